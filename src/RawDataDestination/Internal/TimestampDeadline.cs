namespace RawDataDestination.Internal;

/// <summary>
/// A deadline measured as the retry budget is, on the timestamps of a <see cref="TimeProvider"/>
/// (<see cref="TimeProvider.GetElapsedTime(long)"/>), not on its timers alone: a timer wakes it, and its token is
/// cancelled only once its timeout has passed on those timestamps; else the timer is set again for the
/// rest. On the system's clock it is <c>new CancellationTokenSource(timeout, time)</c>. On a clock whose timestamps leave
/// out the time the process was stopped (rawdata's, through Ctrl+Z or <c>kill -STOP</c>) the stop does not count against
/// it, where a timer fires as the process resumes, its due time passed meanwhile: a shutdown stopped and resumed quit at
/// once, as if it had waited for its deliveries all that time.
/// </summary>
#pragma warning disable CA2213 // _passed holds no timer nor handle; disposing it while a cancellation runs its callbacks would be the hazard
internal sealed class TimestampDeadline : IDisposable
#pragma warning restore CA2213
{
    /// <summary>The shortest rest the timer is set again for: one the system's timer rounds down to none would wake it again at once.</summary>
    private static readonly TimeSpan ShortestRest = TimeSpan.FromMilliseconds(1);

    private readonly CancellationTokenSource _passed = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly long _start;
    private readonly Lock _lock = new();
    private readonly ITimer? _timer;
    private bool _disposed;

    /// <summary>Starts the deadline now: <paramref name="timeout"/> from now on the timestamps of <paramref name="time"/>; zero or less has passed already.</summary>
    /// <param name="timeout">How long until it passes, or <see cref="Timeout.InfiniteTimeSpan"/> for never.</param>
    /// <param name="time">The clock: its timestamps measure, its timers wake.</param>
    public TimestampDeadline(TimeSpan timeout, TimeProvider time)
    {
        _time = time;
        _timeout = timeout;
        _start = time.GetTimestamp();
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        if (timeout <= TimeSpan.Zero)
        {
            _passed.Cancel();
            return;
        }

        _timer = time.CreateTimer(static deadline => ((TimestampDeadline)deadline!).Wake(), this, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Gets a token cancelled once the deadline has passed.</summary>
    public CancellationToken Token => _passed.Token;

    /// <summary>Gets a value indicating whether the deadline has passed.</summary>
    public bool IsCancellationRequested => _passed.IsCancellationRequested;

    /// <summary>Stops its timer; the token stays as it is (its source holds no timer nor handle: nothing of it to release).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }

        _timer?.Dispose();
    }

    /// <summary>The timer fired: cancel the token if the timeout has passed on the timestamps, else wait for the rest.</summary>
    private void Wake()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            TimeSpan rest = _timeout - _time.GetElapsedTime(_start);
            if (rest > TimeSpan.Zero)
            {
                _timer!.Change(rest < ShortestRest ? ShortestRest : rest, Timeout.InfiniteTimeSpan);
                return;
            }
        }

        // Outside the lock: its callbacks run here, and may dispose this.
        _passed.Cancel();
    }
}
