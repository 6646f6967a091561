namespace RawDataDestination.Cli;

/// <summary>
/// While deliveries are stuck (a delivery pending with none succeeding), writes a status line to stderr at least every
/// 10 seconds, and gives up (cancels <see cref="GaveUp"/>) once they have been stuck for the retry budget
/// (<c>--retry-time-limit</c>). The one place that reads the delivery state: today from the uploader and the buffer's
/// counts; a richer status API of the buffer would plug in here.
/// </summary>
internal sealed class DeliveryStatus : IAsyncDisposable
{
    /// <summary>The most time between two status lines while deliveries fail.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly RecordingUploader _uploads;
    private readonly Func<int> _spooledBatches;
    private readonly Func<string> _describeError;
    private readonly StderrLines _lines;
    private readonly TimeSpan _budget;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _gaveUp = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public DeliveryStatus(RecordingUploader uploads, Func<int> spooledBatches, Func<string> describeError, StderrLines lines, TimeSpan budget, TimeProvider time)
    {
        _uploads = uploads;
        _spooledBatches = spooledBatches;
        _describeError = describeError;
        _lines = lines;
        _budget = budget;
        _time = time;
        _loop = RunAsync();
    }

    /// <summary>Gets a token cancelled when the retry budget is spent.</summary>
    public CancellationToken GaveUp => _gaveUp.Token;

    public bool HasGivenUp => _gaveUp.IsCancellationRequested;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _gaveUp.Dispose();
    }

    /// <summary>The status line for deliveries stuck since <paramref name="since"/>.</summary>
    internal string Line(DateTimeOffset since)
    {
        TimeSpan stuck = _time.GetUtcNow() - since;
        string error = _uploads.LastError is null ? "none yet, the upload is still waiting for an answer." : _describeError();
        int spooled = _spooledBatches();
        return $"status: no delivery has succeeded for {Duration.Format(stuck)}; {_uploads.InFlight} uploading, "
            + $"{_uploads.Failures} failed attempt(s), {_uploads.Objects.Count} object(s) written"
            + (spooled > 0 ? $", {spooled} batch(es) in the spool" : string.Empty)
            + $"; last error: {error} Giving up in {Duration.Format(_budget - stuck < TimeSpan.Zero ? TimeSpan.Zero : _budget - stuck)} (--retry-time-limit {Duration.Format(_budget)}).";
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        DateTimeOffset? lastLine = null;
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (_uploads.StuckSince is not { } since)
            {
                lastLine = null;
                continue;
            }

            if (now - since >= _budget)
            {
                _lines.WriteLine($"status: giving up: no delivery has succeeded for {Duration.Format(now - since)} (--retry-time-limit {Duration.Format(_budget)}); last error: {(_uploads.LastError is null ? "none, the upload never got an answer." : _describeError())}");
                await _gaveUp.CancelAsync().ConfigureAwait(false);
                return;
            }

            // The first line once stuck for 5 s (or failed), then every 10 s.
            bool due = lastLine is { } last ? now - last >= Interval - TimeSpan.FromMilliseconds(500) : now - since >= Interval / 2 || _uploads.LastError is not null;
            if (due)
            {
                _lines.WriteLine(Line(since));
                lastLine = now;
            }
        }
    }
}
