using System.Runtime.InteropServices;

namespace RawDataDestination.Cli;

/// <summary>
/// SIGINT (Ctrl+C), SIGTERM and SIGHUP (the terminal closed, or the SSH session ended: without this a run would die
/// there with what it held in memory). The first one cancels <see cref="Token"/>: a command stops reading, seals and delivers
/// within its shutdown timeout, and prints its counts. A second one cancels <see cref="Quit"/>: the command stops
/// waiting for deliveries and prints its counts at once (with a spool, acknowledged events stay on disk for the next
/// run); should the process still be running <see cref="QuitGrace"/> later, it exits without them.
/// </summary>
/// <remarks>
/// A job a shell script starts in the background (<c>rawdata ship ... &amp;</c>) has SIGINT ignored, as POSIX shells
/// start such jobs: stop it with SIGTERM. Likewise a run started with <c>nohup</c> keeps ignoring SIGHUP (.NET leaves a
/// signal ignored at start ignored), and goes on when the terminal closes.
/// </remarks>
internal sealed class ShutdownSignals : IDisposable
{
    /// <summary>How long after a second signal the process may still take to print its counts before it exits anyway.</summary>
    public static readonly TimeSpan QuitGrace = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _quit = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly Action<string> _notice;
    private readonly string _firstStop;
    private int _count;
    private PosixSignal? _received;

    /// <param name="notice">Where the notices of each signal go (a line on stderr).</param>
    /// <param name="firstStop">What the command does on the first signal, for its notice: <c>ship</c>'s is the default.</param>
    public ShutdownSignals(Action<string> notice, string firstStop = "stopped reading; sealing and delivering what was read")
    {
        _notice = notice;
        _firstStop = firstStop;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
        ];
    }

    /// <summary>Gets a token cancelled by the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Gets a token cancelled by the second signal: stop waiting, print the counts, exit.</summary>
    public CancellationToken Quit => _quit.Token;

    /// <summary>Gets the first signal received, or null.</summary>
    public PosixSignal? Received => _received;

    /// <summary>Gets the exit code for the signal received.</summary>
    public int ExitCode => _received switch
    {
        PosixSignal.SIGTERM => ExitCodes.Terminated,
        PosixSignal.SIGHUP => ExitCodes.HungUp,
        _ => ExitCodes.Interrupted,
    };

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
        _quit.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        int count = Interlocked.Increment(ref _count);
        if (count == 1)
        {
            _received = context.Signal;
            _notice($"{context.Signal} received: {_firstStop} (send it again to quit at once).");
            _stop.Cancel();
        }
        else if (count == 2)
        {
            // Another signal than the first (a SIGHUP as the terminal closes after a SIGTERM) is no news of its own: the
            // stop is what is under way, and the first signal is what asked for it (and sets the exit code).
            string what = context.Signal == _received ? $"{context.Signal} received again" : $"{context.Signal} received while the stop asked for by {_received} is under way";
            _notice($"{what}: quitting now, with the counts.");
            _quit.Cancel();
            int code = ExitCode;
            _ = Task.Delay(QuitGrace, TimeProvider.System).ContinueWith(_ => Environment.Exit(code), TaskScheduler.Default);
        }
    }
}
