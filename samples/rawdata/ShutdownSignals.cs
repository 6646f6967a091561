using System.Runtime.InteropServices;

namespace RawDataDestination.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM: the first one cancels <see cref="Token"/>, so <c>ship</c> stops reading, seals and
/// delivers within its shutdown timeout; a second one ends the process at once (with a spool, acknowledged events stay
/// on disk for the next run).
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _count;
    private PosixSignal? _received;

    public ShutdownSignals(Action<string> notice)
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnSignal(context, notice)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnSignal(context, notice)),
        ];
    }

    public CancellationToken Token => _stop.Token;

    /// <summary>Gets the first signal received, or null.</summary>
    public PosixSignal? Received => _received;

    /// <summary>Gets the exit code for the signal received.</summary>
    public int ExitCode => _received == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
    }

    private void OnSignal(PosixSignalContext context, Action<string> notice)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _count) == 1)
        {
            _received = context.Signal;
            notice($"{context.Signal} received: stopped reading; sealing and delivering what was read (again to quit at once).");
            _stop.Cancel();
        }
        else
        {
            notice($"{context.Signal} received again: quitting now.");
            Environment.Exit(context.Signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted);
        }
    }
}
