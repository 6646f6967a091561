using Microsoft.Extensions.Logging;
using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>
/// Seals every open batch at each scheduled time (every <see cref="BatchBufferOptions.FlushInterval"/>, at
/// <see cref="BatchBufferOptions.FlushOffset"/>), then tries refused batches again. Any error is logged and the
/// schedule goes on.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "StopAsync disposes the stop source once the loop has ended.")]
internal sealed class SealSchedule
{
    private readonly TimeSpan _interval;
    private readonly TimeSpan _offset;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<DateTimeOffset, DateTimeOffset, CancellationToken, Task> _onTick;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts the schedule; the first timer starts before the constructor returns.</summary>
    /// <param name="interval">The time between two scheduled seals.</param>
    /// <param name="offset">Where in each interval they fall.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where a failed tick is logged.</param>
    /// <param name="onTick">
    /// Each tick: its scheduled time, the next one's, and the stop token. A tick may go on until the next one's time
    /// (a scheduled seal sealing, as room comes back, what it passed over); the next tick then fires at once.
    /// </param>
    public SealSchedule(TimeSpan interval, TimeSpan offset, TimeProvider time, ILogger logger, Func<DateTimeOffset, DateTimeOffset, CancellationToken, Task> onTick)
    {
        _interval = interval;
        _offset = offset;
        _time = time;
        _logger = logger;
        _onTick = onTick;
        _loop = RunAsync(_stop.Token);
    }

    /// <summary>The next time the schedule fires after <paramref name="now"/>.</summary>
    public static DateTimeOffset Next(DateTimeOffset now, TimeSpan interval, TimeSpan offset)
    {
        long sinceEpoch = (now - DateTimeOffset.UnixEpoch - offset).Ticks;
        long periods = (long)Math.Floor(sinceEpoch / (double)interval.Ticks) + 1;
        var next = DateTimeOffset.UnixEpoch + offset + TimeSpan.FromTicks(periods * interval.Ticks);
        return next > now ? next : next + interval;
    }

    /// <summary>
    /// Stops the schedule and waits for a tick under way to end, past any shutdown deadline. A tick's seals are quick
    /// (their hand-off never waits for room in a lane, and a stopped tick seals no partition another holds); left
    /// running, one would hand its batch to a buffer already stopped, counted as open after the stop and missing from
    /// what the stop reports (kept by the spool's journal, or lost without a spool).
    /// </summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        DateTimeOffset due = Next(_time.GetUtcNow(), _interval, _offset);
        while (!stopping.IsCancellationRequested)
        {
            DateTimeOffset next = Next(due, _interval, _offset);
            try
            {
                TimeSpan wait = due - _time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, stopping).ConfigureAwait(false);
                }

                await _onTick(due, next, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The schedule must keep running after any error; the error is logged.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                LogEvents.TickFailed(_logger, exception);
            }

            // A tick that ran up to (or a little past) the next one's time is followed by it at once; one that ran over a
            // whole interval more resumes at the schedule's next time, as a tick never runs twice to catch up.
            DateTimeOffset now = _time.GetUtcNow();
            due = now - next < _interval ? next : Next(now, _interval, _offset);
        }
    }
}
