using System.Diagnostics;

namespace RawDataDestination.Tests.Support;

/// <summary>Runs a built sample program (samples/{name}) to completion as a child process, with base credentials that only STS accepts.</summary>
internal static class SamplePrograms
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string name, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(LocalPeersProgram.DotnetHost)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        start.ArgumentList.Add(BuiltPrograms.Find(Path.Combine("samples", name), name + ".dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["AWS_ACCESS_KEY_ID"] = "SAMPLEBASEKEY";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "sample-base-secret";
        start.Environment.Remove("AWS_SESSION_TOKEN");
        start.Environment.Remove("AWS_PROFILE");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";

        using Process process = Process.Start(start)!;
        return await RawdataProgram.RunToEndAsync(process, stdin: "");
    }
}
