namespace RawDataDestination.Tests.Support;

/// <summary>Runs a built sample program (samples/{name}) to completion as a child process, with base credentials that only STS accepts.</summary>
internal static class SamplePrograms
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string name, IEnumerable<string> arguments)
    {
        string dll = BuiltPrograms.Find(Path.Combine("samples", name), name + ".dll");
        using Process process = RawdataProgram.StartDll(dll, arguments, new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production" });
        return await RawdataProgram.RunToEndAsync(process, stdin: "");
    }
}
