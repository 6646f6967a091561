using System.Globalization;
using RawDataDestination.Internal;

namespace RawDataDestination.Cli;

/// <summary>
/// The live progress bar of <c>ship</c> when stderr is a terminal: bytes of the input read (of its size, for a file),
/// events/s, MB/s, objects written and, for a file, an ETA. Redrawn four times a second.
/// </summary>
internal sealed class ProgressBar : IAsyncDisposable
{
    private const int Width = 24;
    private readonly ShipCounters _counters;
    private readonly Func<long> _objectsWritten;
    private readonly StderrLines _lines;
    private readonly long? _totalBytes;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ProgressBar(ShipCounters counters, Func<long> objectsWritten, StderrLines lines, long? totalBytes, TimeProvider time)
    {
        _counters = counters;
        _objectsWritten = objectsWritten;
        _lines = lines;
        _totalBytes = totalBytes is > 0 ? totalBytes : null;
        _time = time;
        _started = time.GetTimestamp();
        _loop = RunAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _lines.DrawBar(Render());
        _lines.EndBar();
        _stop.Dispose();
    }

    /// <summary>One frame, such as <c>[#######.........]  31%  62.0/200.0 MB  412,000 ev/s  84.3 MB/s  2 objects  ETA 0:02</c>.</summary>
    internal string Render()
    {
        double seconds = Math.Max(_time.GetElapsedTime(_started).TotalSeconds, 0.001);
        long bytes = _counters.BytesRead;
        long events = _counters.LinesRead;
        double mb = bytes / 1e6;
        double mbPerSecond = mb / seconds;
        string rate = string.Create(CultureInfo.InvariantCulture, $"{events / seconds,9:N0} ev/s  {mbPerSecond,6:0.0} MB/s  {Counted.Of(_objectsWritten(), "object")}");
        if (_totalBytes is not { } total)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{mb,8:0.0} MB read  {rate}");
        }

        double fraction = Math.Min(1, bytes / (double)total);
        int filled = (int)Math.Round(fraction * Width);
        string eta = mbPerSecond > 0 && fraction < 1
            ? FormatEta(TimeSpan.FromSeconds(Math.Min((total - bytes) / 1e6 / mbPerSecond, 99 * 3600)))
            : "0:00";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', Width - filled)}] {fraction * 100,3:0}%  {mb:0.0}/{total / 1e6:0.0} MB  {rate}  ETA {eta}");
    }

    private static string FormatEta(TimeSpan eta) =>
        eta >= TimeSpan.FromHours(1)
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)eta.TotalHours}:{eta:mm\\:ss}")
            : eta.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), _time);
        _lines.DrawBar(Render());
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            _lines.DrawBar(Render());
        }
    }
}
