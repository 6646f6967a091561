using System.Diagnostics;

namespace RawDataDestination.Tests.Support;

/// <summary>Where the built <c>localpeers</c> program is, and the dotnet host to run it with.</summary>
internal static class LocalPeersProgram
{
    private const string DllName = "localpeers.dll";
    private static readonly Lazy<string> LazyDllPath = new(FindDll);

    /// <summary>Set LOCALPEERS_DLL to override the search.</summary>
    public static string DllPath => LazyDllPath.Value;

    /// <summary>The dotnet host running these tests (DOTNET_HOST_PATH, set by the SDK), else the one on PATH.</summary>
    public static string DotnetHost
    {
        get
        {
            var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
            {
                return fromSdk;
            }

            var current = Environment.ProcessPath;
            return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
        }
    }

    /// <summary>Runs a short-lived <c>localpeers</c> command (list, cat, create-bucket) to completion, bounded by <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start localpeers");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bounded = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(bounded.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"localpeers {string.Join(' ', arguments)} did not finish within {timeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static string FindDll()
    {
        var overridden = Environment.GetEnvironmentVariable("LOCALPEERS_DLL");
        if (!string.IsNullOrEmpty(overridden))
        {
            return File.Exists(overridden) ? overridden : throw new FileNotFoundException("LOCALPEERS_DLL does not exist", overridden);
        }

        var projectDir = Path.Combine(RepoPaths.Root, "tests", "RawDataDestination.LocalPeers");

        // Same configuration and framework as these tests: .../RawDataDestination.Tests/bin/Debug/net10.0 -> .../LocalPeers/bin/Debug/net10.0
        var testsDir = Path.Combine(RepoPaths.Root, "tests", "RawDataDestination.Tests");
        var relative = Path.GetRelativePath(testsDir, AppContext.BaseDirectory);
        if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
        {
            var sibling = Path.Combine(projectDir, relative, DllName);
            if (IsRunnable(sibling))
            {
                return sibling;
            }
        }

        // Otherwise the newest build anywhere under the project's bin folder.
        var newest = Directory.Exists(Path.Combine(projectDir, "bin"))
            ? Directory.EnumerateFiles(Path.Combine(projectDir, "bin"), DllName, SearchOption.AllDirectories)
                .Where(IsRunnable)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault()
            : null;
        return newest ?? throw new FileNotFoundException(
            $"{DllName} not found under {projectDir}/bin; build tests/RawDataDestination.LocalPeers (the test project references it) or set LOCALPEERS_DLL");
    }

    private static bool IsRunnable(string dll) =>
        File.Exists(dll) && File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json"));
}
