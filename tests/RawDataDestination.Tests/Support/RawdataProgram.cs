namespace RawDataDestination.Tests.Support;

/// <summary>Runs the built <c>rawdata</c> program (samples/rawdata) as a child process.</summary>
internal static class RawdataProgram
{
    private static readonly Lazy<string> LazyDllPath = new(() => BuiltPrograms.Find(Path.Combine("samples", "rawdata"), "rawdata.dll"));

    public static string DllPath => LazyDllPath.Value;

    /// <summary>Starts <c>rawdata</c> with the given arguments and environment; output is read by the caller.</summary>
    public static Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        StartDll(DllPath, arguments, environment);

    /// <summary>
    /// Gets or sets the base credentials every run gets in its environment (the SDK's default chain): a key no AWS knows,
    /// until the integration tests' fixture sets the service identity's key, which may assume the role.
    /// </summary>
    public static IReadOnlyDictionary<string, string> BaseCredentialsEnvironment { get; set; } = new Dictionary<string, string>
    {
        ["AWS_ACCESS_KEY_ID"] = "CLIBASEKEY",
        ["AWS_SECRET_ACCESS_KEY"] = "cli-base-secret",
    };

    /// <summary>
    /// Starts <c>rawdata</c> with its standard input redirected from <paramref name="inputFile"/>, as a shell's
    /// <c>rawdata ... &lt; FILE</c> does (a file, not a pipe); output is read by the caller.
    /// </summary>
    /// <param name="maxOpenFiles">The open-file limit it runs under (<c>ulimit -n</c>, soft and hard), or <see langword="null"/> for the test's own.</param>
    /// <param name="outputTo">Where its standard output goes instead of the caller's pipe (<c>sh</c>'s <c>&gt;</c>), such as <c>/dev/full</c>.</param>
    /// <param name="errorTo">Where its standard error goes instead of the caller's pipe (<c>sh</c>'s <c>2&gt;</c>).</param>
    /// <param name="softLimitOnly">Whether <paramref name="maxOpenFiles"/> is only the soft limit (<c>ulimit -S -n</c>), the hard one left as the test's own.</param>
    public static Process StartReading(string inputFile, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, int? maxOpenFiles = null, string? outputTo = null, string? errorTo = null, bool softLimitOnly = false) =>
        StartDll(DllPath, arguments, environment, inputFile, maxOpenFiles, outputTo, errorTo, softLimitOnly);

    /// <summary>
    /// Starts a built program's dll with <c>dotnet</c>, with <see cref="BaseCredentialsEnvironment"/> as its base AWS
    /// credentials (they may assume the role, and only the assumed role can write); output is read by the caller. Its
    /// standard input is a pipe, or, with <paramref name="inputFile"/>, that file (through <c>sh</c>'s <c>&lt;</c>), and with
    /// <paramref name="maxOpenFiles"/> it runs under that open-file limit (<c>sh</c>'s <c>ulimit -n</c>; needs <paramref name="inputFile"/>).
    /// With <paramref name="outputTo"/> or <paramref name="errorTo"/> (needs <paramref name="inputFile"/>), its standard output
    /// or error goes to that file (<c>sh</c>'s <c>&gt;</c> and <c>2&gt;</c>), and the caller's pipe for it stays empty. With
    /// <paramref name="softLimitOnly"/>, <paramref name="maxOpenFiles"/> is only the soft limit (<c>ulimit -S -n</c>).
    /// </summary>
    public static Process StartDll(string dllPath, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? inputFile = null, int? maxOpenFiles = null, string? outputTo = null, string? errorTo = null, bool softLimitOnly = false)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(maxOpenFiles is null || inputFile is not null, true, nameof(maxOpenFiles));
        ArgumentOutOfRangeException.ThrowIfNotEqual((outputTo is null && errorTo is null) || inputFile is not null, true, nameof(outputTo));
        var start = new ProcessStartInfo(inputFile is null ? LocalPeersProgram.DotnetHost : "sh")
        {
            RedirectStandardInput = inputFile is null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        if (inputFile is not null)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add((maxOpenFiles is { } limit ? $"ulimit {(softLimitOnly ? "-S " : string.Empty)}-n {limit} && " : string.Empty) + "exec \"$0\" \"$@\" < \"$RAWDATA_TEST_INPUT\""
                + (outputTo is null ? string.Empty : " > \"$RAWDATA_TEST_OUTPUT\"") + (errorTo is null ? string.Empty : " 2> \"$RAWDATA_TEST_ERROR\""));
            start.ArgumentList.Add(LocalPeersProgram.DotnetHost);
            start.Environment["RAWDATA_TEST_INPUT"] = inputFile;
            start.Environment["RAWDATA_TEST_OUTPUT"] = outputTo ?? string.Empty;
            start.Environment["RAWDATA_TEST_ERROR"] = errorTo ?? string.Empty;
        }

        start.ArgumentList.Add(dllPath);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (KeyValuePair<string, string> variable in BaseCredentialsEnvironment)
        {
            start.Environment[variable.Key] = variable.Value;
        }

        start.Environment.Remove("AWS_SESSION_TOKEN");
        start.Environment.Remove("AWS_PROFILE");
        foreach (KeyValuePair<string, string> variable in environment ?? new Dictionary<string, string>())
        {
            start.Environment[variable.Key] = variable.Value;
        }

        return Process.Start(start)!;
    }

    /// <summary>Runs <c>rawdata</c> to completion (bounded) with <paramref name="stdin"/> as its input.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> arguments, string stdin = "")
    {
        using Process process = Start(arguments);
        return await RunToEndAsync(process, stdin);
    }

    /// <summary>Feeds <paramref name="stdin"/> to a started program and waits (at most 3 minutes) for it to end; kills it on the deadline.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunToEndAsync(Process process, string stdin) =>
        ChildProcess.WaitToEndAsync(process, TimeSpan.FromMinutes(3), stdin);
}
