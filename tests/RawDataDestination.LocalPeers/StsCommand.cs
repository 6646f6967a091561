using System.Runtime.InteropServices;

namespace RawDataDestination.LocalPeers;

/// <summary><c>localpeers sts</c>: runs the STS peer until SIGTERM or Ctrl+C.</summary>
internal static class StsCommand
{
    public static async Task<int> RunAsync(CommandLine line)
    {
        var options = StsOptions.From(line);
        using var stopping = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var server = StsServer.Start(options);

        Console.Out.WriteLine($"listening on {server.BaseUrl}");
        Console.Out.Flush();

        await server.RunAsync(stopping.Token);
        await Console.Error.WriteLineAsync($"stopped after {server.State.Calls} AssumeRole calls");
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
    }
}
