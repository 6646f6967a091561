namespace RawDataDestination.Tests.Support;

/// <summary>Where the built <c>localpeers</c> program is, and the dotnet host to run it with.</summary>
internal static class LocalPeersProgram
{
    private const string DllName = "localpeers.dll";
    private static readonly Lazy<string> LazyDllPath = new(() => Environment.GetEnvironmentVariable("LOCALPEERS_DLL") is { Length: > 0 } overridden
        ? (File.Exists(overridden) ? overridden : throw new FileNotFoundException("LOCALPEERS_DLL does not exist", overridden))
        : BuiltPrograms.Find(Path.Combine("tests", "RawDataDestination.LocalPeers"), DllName));

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

    /// <summary>How long a short-lived command may run before the test fails instead of hanging (real time).</summary>
    public static readonly TimeSpan CommandBound = TimeSpan.FromSeconds(60);

    /// <summary>Runs a short-lived <c>localpeers</c> command (list, cat, create-bucket, setup-account) to completion, bounded by <see cref="CommandBound"/>.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] arguments) =>
        ChildProcess.RunAsync(DotnetHost, [DllPath, .. arguments], CommandBound);
}
