namespace RawDataDestination.Cli;

/// <summary>
/// The clock <c>ship</c> measures its durations with (the retry budget, an upload's silence, the shutdown's countdown):
/// the system's, but its timestamps do not count the time the process was stopped (Ctrl+Z, <c>kill -STOP</c>, a frozen
/// VM). A run stopped for an hour and resumed with <c>fg</c> found every batch an hour past its retry budget and gave up
/// at once, though S3 had not failed at all. The wall time (<see cref="GetUtcNow"/>) and the timers are the system's: a
/// timer whose due time passed during a stop fires as the process resumes (an upload's attempt then ends, its answer long
/// overdue, and is retried with the budget it has left). A deadline that must leave the stop out is measured on the
/// timestamps, a timer only waking it (<c>TimestampDeadline</c>): the shutdown's countdown, the buffer's and ship's wait
/// for it. Before, a run stopped after a Ctrl+C, while it waited for its deliveries, quit at once when resumed ("did not
/// stop within --shutdown-timeout").
/// </summary>
/// <remarks>
/// A stop is told by a gap between two readings: a heartbeat reads the clock every <see cref="HeartbeatInterval"/>
/// while the process runs, so a gap longer than <see cref="LongestGap"/> is time the process did not run, and counts as
/// <see cref="LongestGap"/>. The first reading after a resume, whichever thread takes it, sees the gap, so no duration
/// is measured across it first.
/// </remarks>
internal sealed class TimeWhileRunning : TimeProvider, IDisposable
{
    /// <summary>How often the heartbeat reads the clock.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest gap between two readings counted whole: a longer one is a stop, and counts this much.</summary>
    public static readonly TimeSpan LongestGap = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _system;
    private readonly long _longestGap;
    private readonly Lock _lock = new();
    private volatile bool _stopped;
    private long _lastReading;
    private long _notRunning; // the system's ticks left out: the part of each gap longer than LongestGap

    /// <summary>Creates the clock over <paramref name="system"/>, with no heartbeat (<see cref="StartHeartbeat"/>).</summary>
    /// <param name="system">The clock read: <see cref="TimeProvider.System"/>, or a fake one in tests.</param>
    public TimeWhileRunning(TimeProvider system)
    {
        _system = system;
        _longestGap = (long)(LongestGap.TotalSeconds * system.TimestampFrequency);
        _lastReading = system.GetTimestamp();
    }

    /// <inheritdoc/>
    public override long TimestampFrequency => _system.TimestampFrequency;

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => _system.LocalTimeZone;

    /// <summary>Creates the clock over the system's, its heartbeat started.</summary>
    public static TimeWhileRunning StartOverSystem()
    {
        var time = new TimeWhileRunning(System);
        time.StartHeartbeat();
        return time;
    }

    /// <summary>Starts reading the clock every <see cref="HeartbeatInterval"/> on a thread of its own (not the thread pool's, which a busy run may keep waiting).</summary>
    public void StartHeartbeat()
    {
        var heartbeat = new Thread(() =>
        {
            while (!_stopped)
            {
                Thread.Sleep(HeartbeatInterval);
                GetTimestamp();
            }
        })
        {
            IsBackground = true,
            Name = "rawdata clock heartbeat",
        };
        heartbeat.Start();
    }

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => _system.GetUtcNow();

    /// <summary>Gets the system's timestamp less the time the process was not running.</summary>
    public override long GetTimestamp()
    {
        lock (_lock)
        {
            long now = _system.GetTimestamp();
            long gap = now - _lastReading;
            if (gap > _longestGap)
            {
                _notRunning += gap - _longestGap;
            }

            _lastReading = Math.Max(_lastReading, now);
            return now - _notRunning;
        }
    }

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _system.CreateTimer(callback, state, dueTime, period);

    /// <summary>Stops the heartbeat.</summary>
    public void Dispose() => _stopped = true;
}
