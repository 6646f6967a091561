using RawDataDestination.Batching;
using RawDataDestination.Internal;

namespace RawDataDestination.Cli;

/// <summary>
/// Says how <c>ship</c>'s deliveries go, on stderr, from the buffer's own status (<see cref="BatchBuffer.GetStatus"/>):
/// while nothing is delivered, a status line at least every 10 seconds; once the buffer's status says the retry budget
/// is spent (<see cref="DeliveryStatus.RetryBudgetSpent"/>, with <see cref="BatchBufferOptions.RetryBudget"/> set from
/// <c>--retry-time-limit</c>), a last line, and <see cref="GaveUp"/> is cancelled. The rule of giving up is the
/// buffer's, the same a flush applies; this class only watches it and says it. Once <c>ship</c> stops (a signal, or
/// giving up), the lines say how long the shutdown may still take (<c>--shutdown-timeout</c>), not the retry budget.
/// While appends wait for room in the spool (<see cref="DeliveryStatus.SpoolRoomWaitSince"/>: its disk full), the lines
/// say so, and why no delivery frees room; the buffer's status counts that wait against the same budget.
/// </summary>
internal sealed class StatusLines : IAsyncDisposable
{
    /// <summary>The most time between two status lines while nothing is delivered.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly Func<DeliveryStatus> _status;
    private readonly Func<Exception?, string> _explain;
    private readonly Func<bool>? _roleAssumed;
    private readonly string? _spool;
    private readonly StderrLines _lines;
    private readonly TimeSpan _budget;
    private readonly TimeSpan _shutdownTimeout;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _gaveUp = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private int _givingUp;
    private long? _shutdownStarted; // timestamps (TimeProvider.GetTimestamp): the countdown and the lines' spacing are durations
    private long? _lastLine;
    private Stall? _stall;

    /// <param name="status">Takes a snapshot of the buffer's deliveries.</param>
    /// <param name="explain">Says what a delivery error means and what to check.</param>
    /// <param name="lines">Where the lines go.</param>
    /// <param name="budget">The retry budget given to the buffer, for the lines.</param>
    /// <param name="shutdownTimeout">The buffer's shutdown timeout, for the lines once stopping.</param>
    /// <param name="time">The clock.</param>
    /// <param name="roleAssumed">
    /// Whether the customer's role has been assumed, when uploads go to the customer's bucket (<see langword="null"/>
    /// with a stage): while it has not, an upload with no answer is still waiting for STS AssumeRole, and the lines say so.
    /// </param>
    /// <param name="spool">The --spool-dir, for the lines while appends wait for room in it; <see langword="null"/> without one.</param>
    public StatusLines(Func<DeliveryStatus> status, Func<Exception?, string> explain, StderrLines lines, TimeSpan budget, TimeSpan shutdownTimeout, TimeProvider time, Func<bool>? roleAssumed = null, string? spool = null)
    {
        _status = status;
        _explain = explain;
        _roleAssumed = roleAssumed;
        _spool = spool;
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
    /// Gets why the spool had no room when ship gave up while reading waited for it, with what to do; <see langword="null"/>
    /// when it gave up otherwise, or not at all: for the last line when no delivery error says more.
    /// </summary>
    public string? SpoolHadNoRoom { get; private set; }

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
        bool refused = status.RefusedBatches > 0 && !(status.RetryBudgetEndsAt <= now);
        string limit = $"{ShipCommand.RetryTimeLimit.Name} {Duration.Format(_budget)}";
        if (!refused && status.SpoolRoomWaitSince is not null)
        {
            SpoolHadNoRoom = $"reading waited for room in the spool ({SpoolFull(status)}), and no delivery freed any within {limit}. Free room on its file system, then run ship again with {ShipCommand.SpoolDir.Name} '{_spool}': it delivers what the spool keeps.";
        }

        string what = refused
            ? $"{Counted.Of(status.RefusedBatches, "batch")} refused, at once: a refusal is not retried for {ShipCommand.RetryTimeLimit.Name}"
            : status.SpoolRoomWaitSince is { } waiting
            ? $"reading has waited for room in the spool for {Duration.Format(AtLeastTheBudget(now - waiting))}: {SpoolFull(status)}, and no delivery has freed any ({limit})"
            : $"no delivery has succeeded for {Duration.Format(AtLeastTheBudget(_stall?.For(_time) ?? TimeSpan.Zero))} ({limit})";
        _lines.WriteLine($"status: giving up: {what}; last error: {Error(status, NotAnswered(status, yet: false))}");
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
            long now = _time.GetTimestamp();
            if (_shutdownStarted is not null)
            {
                return;
            }

            _shutdownStarted = now;
            DeliveryStatus status = _status();
            if (status.UndeliveredEvents + status.OpenEvents > 0)
            {
                _lines.WriteLine(ShutdownLine(status, why));
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

    /// <summary>The status line for deliveries stalled for <paramref name="stalled"/>.</summary>
    private string Line(DeliveryStatus status, TimeSpan stalled, DateTimeOffset now) =>
        $"status: no delivery has succeeded for {Duration.Format(stalled)}; {Counts(status)}; last error: "
        + $"{Error(status, NotAnswered(status, yet: true))} {Budget(status, now)}";

    /// <summary>The status line while appends have waited for room in the spool since <paramref name="since"/>: why, and why no delivery frees any.</summary>
    private string SpoolLine(DeliveryStatus status, DateTimeOffset since, DateTimeOffset now) =>
        $"status: waiting for room in the spool for {Duration.Format(now - since < TimeSpan.Zero ? TimeSpan.Zero : now - since)}: {SpoolFull(status)}, and only a delivery frees room; "
        + $"{Counts(status)}; last error: {Error(status, NotAnswered(status, yet: true))} {Budget(status, now)}";

    /// <summary>Why appends wait: the spool's disk is full, or the spool holds as much as it may (its limit, or a failing customer's share of it).</summary>
    private string SpoolFull(DeliveryStatus status) => status.SpoolDiskFullSince is not null
        ? $"its disk at '{_spool}' is full"
        : $"'{_spool}' holds as much as it may (MaxSpoolBytes, or 4/5 of its disk's room where that is less; a failing customer fills at most 3/4 of that)";

    /// <summary>When the status lines give up: the time left of the retry budget.</summary>
    private string Budget(DeliveryStatus status, DateTimeOffset now)
    {
        string limit = $"{ShipCommand.RetryTimeLimit.Name} {Duration.Format(_budget)}";
        return status.RetryBudgetEndsAt is { } ends
            ? $"Giving up in {Duration.Format(ends - now < TimeSpan.Zero ? TimeSpan.Zero : ends - now)} ({limit})."
            : $"Giving up once an upload has had no answer, or a batch has kept failing, for {limit}.";
    }

    /// <summary>The status line once stopping: what is left, and how long the shutdown may still take.</summary>
    private string ShutdownLine(DeliveryStatus status, string? why)
    {
        TimeSpan left = _shutdownTimeout - _time.GetElapsedTime(_shutdownStarted!.Value);
        return $"status: stopping{(why is null ? string.Empty : $" ({why})")}: {Counted.Of(status.UndeliveredEvents + status.OpenEvents, "event")} not delivered yet; {Counts(status)}; "
            + $"last error: {Error(status, "none.")} Stopping in {Duration.Format(left < TimeSpan.Zero ? TimeSpan.Zero : left)} at the latest "
            + $"({ShipCommand.ShutdownTimeout.Name} {Duration.Format(_shutdownTimeout)}); what is not delivered by then is counted in the summary.";
    }

    /// <summary>
    /// The time shown for a budget spent: <paramref name="stalled"/>, but never less than the budget the buffer measured
    /// (the first look may see a stall up to a second after it began, or not at all when giving up comes first).
    /// </summary>
    private TimeSpan AtLeastTheBudget(TimeSpan stalled) => stalled > _budget ? stalled : _budget;

    private static string Counts(DeliveryStatus status) =>
        $"{status.UploadingBatches} uploading, {status.FailingBatches} failing, {status.RefusedBatches} refused, {Counted.Of(status.DeliveredBatches, "object")} written"
        + (status.SpooledBatches > 0 ? $", {Counted.Of(status.SpooledBatches, "batch")} in the spool" : string.Empty);

    private string Error(DeliveryStatus status, string none) => status.LastError is { } error ? _explain(error) : none;

    /// <summary>
    /// The last error's place while no upload has had an answer: what the upload waits for, STS when the role is not
    /// assumed yet (the SDK signs the PUT only once AssumeRole has answered), else S3; or, while appends wait for spool
    /// room and nothing was tried, that nothing is there to deliver.
    /// </summary>
    private string NotAnswered(DeliveryStatus status, bool yet) => (_roleAssumed?.Invoke() == false, yet) switch
    {
        _ when status.SpoolRoomWaitSince is not null && status.UploadingBatches == 0 && status.StalledSince is null => "none: nothing sealed is waiting for delivery, so no delivery can free room.",
        (true, true) => $"none yet; the customer's role is not assumed yet, so the upload is waiting for STS AssumeRole to answer (check {DestinationOptions.StsEndpointUrl.Name} or {DestinationOptions.StsRegion.Name}).",
        (true, false) => $"none; the customer's role was never assumed: STS AssumeRole never answered (check {DestinationOptions.StsEndpointUrl.Name} or {DestinationOptions.StsRegion.Name}).",
        (false, true) => "none yet, the upload is still waiting for an answer.",
        (false, false) => "none, the upload never got an answer.",
    };

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
        long nowStamp = _time.GetTimestamp();
        if (_shutdownStarted is not null)
        {
            // Stopping: a line every 10 s while something is left, counting down the shutdown timeout.
            if (status.UndeliveredEvents + status.OpenEvents > 0 && (_lastLine is not { } shown || _time.GetElapsedTime(shown, nowStamp) >= Interval - TimeSpan.FromMilliseconds(500)))
            {
                _lines.WriteLine(ShutdownLine(status, why: null));
                _lastLine = nowStamp;
            }

            return;
        }

        if (status.RetryBudgetSpent)
        {
            GiveUp();
            return;
        }

        if (status.SpoolRoomWaitSince is { } waiting)
        {
            // Appends wait for room: the first line once they have waited a second (at once when a batch fails: the
            // first attempt's answer is then in it), then every 10 s, in place of the stall's lines.
            bool spoolLineDue = _lastLine is { } shown
                ? _time.GetElapsedTime(shown, nowStamp) >= Interval - TimeSpan.FromMilliseconds(500)
                : now - waiting >= TimeSpan.FromSeconds(1) || status.FailingBatches + status.RefusedBatches > 0;
            if (spoolLineDue)
            {
                _lines.WriteLine(SpoolLine(status, waiting, now));
                _lastLine = nowStamp;
            }

            return;
        }

        if (status.StalledSince is not { } since)
        {
            _lastLine = null;
            _stall = null;
            return;
        }

        if (_stall?.Since != since)
        {
            _stall = new Stall(since, nowStamp, now - since);
        }

        // The first line once stalled for 5 s (at once when a batch fails), then every 10 s.
        bool due = _lastLine is { } last
            ? _time.GetElapsedTime(last, nowStamp) >= Interval - TimeSpan.FromMilliseconds(500)
            : _stall.For(_time) >= Interval / 2 || status.FailingBatches + status.RefusedBatches > 0;
        if (due)
        {
            _lines.WriteLine(Line(status, _stall.For(_time), now));
            _lastLine = nowStamp;
        }
    }

    /// <summary>
    /// A stall of the deliveries (<see cref="DeliveryStatus.StalledSince"/>), timed on the monotonic clock from the first
    /// look that saw it, plus how old the wall clock said it was then (a look comes every second, so a clock set back or
    /// forward later does not move the count).
    /// </summary>
    /// <param name="Since">The status' <see cref="DeliveryStatus.StalledSince"/>: a new value is a new stall.</param>
    /// <param name="SeenAt">The <see cref="TimeProvider.GetTimestamp"/> of the first look that saw it.</param>
    /// <param name="AgeWhenSeen">How long it had lasted by the wall clock at that look.</param>
    private sealed record Stall(DateTimeOffset Since, long SeenAt, TimeSpan AgeWhenSeen)
    {
        /// <summary>How long the stall has lasted.</summary>
        public TimeSpan For(TimeProvider time) =>
            (AgeWhenSeen > TimeSpan.Zero ? AgeWhenSeen : TimeSpan.Zero) + time.GetElapsedTime(SeenAt);
    }
}
