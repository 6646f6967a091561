using RawDataDestination.Batching;

namespace RawDataDestination.Cli;

/// <summary>
/// Says how <c>ship</c>'s deliveries go, on stderr, from the buffer's own status (<see cref="BatchBuffer.GetStatus"/>):
/// while nothing is delivered, a status line at least every 10 seconds; once the buffer's status says the retry budget
/// is spent (<see cref="DeliveryStatus.RetryBudgetSpent"/>, with <see cref="BatchBufferOptions.RetryBudget"/> set from
/// <c>--retry-time-limit</c>), a last line, and <see cref="GaveUp"/> is cancelled. The rule of giving up is the
/// buffer's, the same a flush applies; this class only watches it and says it. Once <c>ship</c> stops (a signal, or
/// giving up), the lines say how long the shutdown may still take (<c>--shutdown-timeout</c>), not the retry budget.
/// </summary>
internal sealed class StatusLines : IAsyncDisposable
{
    /// <summary>The most time between two status lines while nothing is delivered.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly Func<DeliveryStatus> _status;
    private readonly Func<Exception?, string> _explain;
    private readonly StderrLines _lines;
    private readonly TimeSpan _budget;
    private readonly TimeSpan _shutdownTimeout;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _gaveUp = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private int _givingUp;
    private DateTimeOffset? _shutdownDeadline;
    private DateTimeOffset? _lastLine;

    /// <param name="status">Takes a snapshot of the buffer's deliveries.</param>
    /// <param name="explain">Says what a delivery error means and what to check.</param>
    /// <param name="lines">Where the lines go.</param>
    /// <param name="budget">The retry budget given to the buffer, for the lines.</param>
    /// <param name="shutdownTimeout">The buffer's shutdown timeout, for the lines once stopping.</param>
    /// <param name="time">The clock.</param>
    public StatusLines(Func<DeliveryStatus> status, Func<Exception?, string> explain, StderrLines lines, TimeSpan budget, TimeSpan shutdownTimeout, TimeProvider time)
    {
        _status = status;
        _explain = explain;
        _lines = lines;
        _budget = budget;
        _shutdownTimeout = shutdownTimeout;
        _time = time;
        _loop = RunAsync();
    }

    /// <summary>Gets a token cancelled when the buffer says the retry budget is spent.</summary>
    public CancellationToken GaveUp => _gaveUp.Token;

    /// <summary>Gets whether ship has given up on its deliveries.</summary>
    public bool HasGivenUp => Volatile.Read(ref _givingUp) != 0;

    /// <summary>
    /// Gives up, once: writes the last status line and cancels <see cref="GaveUp"/>. Called by the watch, or when a flush
    /// ends with a <see cref="BatchDeliveryException"/> (the same rule, seen first by the flush).
    /// </summary>
    public void GiveUp()
    {
        if (Interlocked.Exchange(ref _givingUp, 1) != 0)
        {
            return;
        }

        DeliveryStatus status = _status();
        DateTimeOffset now = _time.GetUtcNow();
        string what = status.RefusedBatches > 0 && !(status.RetryBudgetEndsAt <= now)
            ? $"{Counted.Of(status.RefusedBatches, "batch")} refused, at once: a refusal is not retried for {ShipCommand.RetryTimeLimit.Name}"
            : $"no delivery has succeeded for {Duration.Format(AtLeastTheBudget(now - (status.StalledSince ?? now)))} ({ShipCommand.RetryTimeLimit.Name} {Duration.Format(_budget)})";
        _lines.WriteLine($"status: giving up: {what}; last error: {Error(status, "none, the upload never got an answer.")}");
        _gaveUp.Cancel();
    }

    /// <summary>
    /// Ship is stopping (a signal, or giving up): from now on the lines count down the shutdown timeout, and the watch
    /// no longer gives up. Writes a line at once when batches are still undelivered.
    /// </summary>
    /// <param name="why">What stopped it, for the line: "SIGINT", or "giving up".</param>
    public void BeginShutdown(string why)
    {
        lock (_gate)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (_shutdownDeadline is not null)
            {
                return;
            }

            _shutdownDeadline = now + _shutdownTimeout;
            DeliveryStatus status = _status();
            if (status.UndeliveredEvents + status.OpenEvents > 0)
            {
                _lines.WriteLine(ShutdownLine(status, why, now));
                _lastLine = now;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _gaveUp.Dispose();
    }

    /// <summary>The status line for deliveries stalled since <paramref name="since"/>.</summary>
    private string Line(DeliveryStatus status, DateTimeOffset since, DateTimeOffset now)
    {
        string limit = $"{ShipCommand.RetryTimeLimit.Name} {Duration.Format(_budget)}";
        string budget = status.RetryBudgetEndsAt is { } ends
            ? $"Giving up in {Duration.Format(ends - now < TimeSpan.Zero ? TimeSpan.Zero : ends - now)} ({limit})."
            : $"Giving up once an upload has had no answer, or a batch has kept failing, for {limit}.";
        return $"status: no delivery has succeeded for {Duration.Format(now - since)}; {Counts(status)}; last error: "
            + $"{Error(status, "none yet, the upload is still waiting for an answer.")} {budget}";
    }

    /// <summary>The status line once stopping: what is left, and how long the shutdown may still take.</summary>
    private string ShutdownLine(DeliveryStatus status, string? why, DateTimeOffset now)
    {
        TimeSpan left = _shutdownDeadline!.Value - now;
        return $"status: stopping{(why is null ? string.Empty : $" ({why})")}: {Counted.Of(status.UndeliveredEvents + status.OpenEvents, "event")} not delivered yet; {Counts(status)}; "
            + $"last error: {Error(status, "none.")} Stopping in {Duration.Format(left < TimeSpan.Zero ? TimeSpan.Zero : left)} at the latest "
            + $"({ShipCommand.ShutdownTimeout.Name} {Duration.Format(_shutdownTimeout)}); what is not delivered by then is counted in the summary.";
    }

    /// <summary>
    /// The time shown for a budget spent: the wall clock's <paramref name="stalled"/>, but never less than the budget, which
    /// the buffer measured on the monotonic clock (a wall clock set back meanwhile would show less, even below zero).
    /// </summary>
    private TimeSpan AtLeastTheBudget(TimeSpan stalled) => stalled > _budget ? stalled : _budget;

    private static string Counts(DeliveryStatus status) =>
        $"{status.UploadingBatches} uploading, {status.FailingBatches} failing, {status.RefusedBatches} refused, {Counted.Of(status.DeliveredBatches, "object")} written"
        + (status.SpooledBatches > 0 ? $", {Counted.Of(status.SpooledBatches, "batch")} in the spool" : string.Empty);

    private string Error(DeliveryStatus status, string none) => status.LastError is { } error ? _explain(error) : none;

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            lock (_gate)
            {
                Tick();
            }
        }
    }

    /// <summary>One look at the status, once a second: a line when one is due, and giving up when the buffer says so.</summary>
    private void Tick()
    {
        DeliveryStatus status = _status();
        DateTimeOffset now = _time.GetUtcNow();
        if (_shutdownDeadline is not null)
        {
            // Stopping: a line every 10 s while something is left, counting down the shutdown timeout.
            if (status.UndeliveredEvents + status.OpenEvents > 0 && (_lastLine is not { } shown || now - shown >= Interval - TimeSpan.FromMilliseconds(500)))
            {
                _lines.WriteLine(ShutdownLine(status, why: null, now));
                _lastLine = now;
            }

            return;
        }

        if (status.RetryBudgetSpent)
        {
            GiveUp();
            return;
        }

        if (status.StalledSince is not { } since)
        {
            _lastLine = null;
            return;
        }

        // The first line once stalled for 5 s (at once when a batch fails), then every 10 s.
        bool due = _lastLine is { } last
            ? now - last >= Interval - TimeSpan.FromMilliseconds(500)
            : now - since >= Interval / 2 || status.FailingBatches + status.RefusedBatches > 0;
        if (due)
        {
            _lines.WriteLine(Line(status, since, now));
            _lastLine = now;
        }
    }
}
