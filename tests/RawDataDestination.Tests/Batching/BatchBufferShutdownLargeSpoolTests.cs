namespace RawDataDestination.Tests.Batching;

/// <summary>
/// A stop over a large spool (QA L6): many thousands of sealed batches held in the spool behind customers that keep
/// failing, with the default 16 upload slots. The stop keeps its deadline (ShutdownTimeout, and the grace for attempts
/// that ignore their cancellation), in the run that spooled them and in a run that found them at its start, and says
/// the true counts: every batch left in the spool, and no attempt left behind (these attempts end by their cancellation).
/// Real time, as the host's stop is. None of these attempts ignores its cancellation, so the stop needs no grace: it
/// ends at the deadline, give or take a second for a loaded machine. Measured: 4.04-4.08 s with 10,100 batches and
/// 4.07-4.68 s with 30,100; 5.5 s when the stop waited for every batch's run to unwind (QA: 21-22 s at 30,000).
/// </summary>
public class BatchBufferShutdownLargeSpoolTests : SpoolDirectoryTests
{
    private const int Lanes = 100;

    private const int Batches = 10_000;

    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(4);

    /// <summary>What a loaded machine may add past the deadline (this stop measured 0.04-0.08 s; waiting for every run to unwind, 1.5 s).</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    [Test]
    public async Task DisposeAsync_OverTenThousandSpooledBatchesBehindFailingCustomers_KeepsItsDeadlineAndCountsThemAll()
    {
        var options = Options();
        byte[] padding = Encoding.UTF8.GetBytes(new string('x', 700));
        var log = new TimedLogger();
        var buffer = new BatchBuffer(options, new FailingConsumer(), TimeProvider.System, new Logger<BatchBuffer>(log));
        for (int i = 0; i < Batches + Lanes; i++)
        {
            // Each event fills a batch: every append seals the source's batch before it (the last of each stays open).
            await buffer.AppendAsync(Source(i), Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"messageId\":\"m-{i}\",\"properties\":{{\"pad\":\"{Encoding.UTF8.GetString(padding)}\"}}}}"));
        }

        await WaitForSpooledAsync(buffer, Batches);

        TimeSpan took = await TimedDisposeAsync(buffer, log, "the run that spooled them");

        Assert.That(took, Is.LessThan(ShutdownTimeout + Slack), Said(log));
        Assert.That(log.Lines, Has.Some.StartsWith($"Warning: Not delivered by shutdown: batches {Batches + Lanes}, events {Batches + Lanes}; they stay in the spool"), Said(log));
        Assert.That(log.Lines.Count(l => l.Contains("did not stop within", StringComparison.Ordinal)), Is.Zero, "every attempt ends by its cancellation: none is left behind");

        // A restart over that spool (where QA saw 30,697 'left behind' and 22 s): recovery lists them, the lanes fail again.
        var restartLog = new TimedLogger();
        var restarted = new BatchBuffer(Options(), new FailingConsumer(), TimeProvider.System, new Logger<BatchBuffer>(restartLog));
        await WaitForSpooledAsync(restarted, Batches + Lanes);
        await WaitForFailingAsync(restarted);

        TimeSpan tookAgain = await TimedDisposeAsync(restarted, restartLog, "a run that found them at its start");

        Assert.That(tookAgain, Is.LessThan(ShutdownTimeout + Slack), Said(restartLog));
        Assert.That(restartLog.Lines, Has.Some.StartsWith($"Warning: Not delivered by shutdown: batches {Batches + Lanes}, events {Batches + Lanes}; they stay in the spool"), Said(restartLog));
        Assert.That(restartLog.Lines.Count(l => l.Contains("did not stop within", StringComparison.Ordinal)), Is.Zero, Said(restartLog));
        Assert.That(Directory.EnumerateFiles(SpoolPath, "*.gz", SearchOption.AllDirectories).Count(), Is.EqualTo(Batches + Lanes), "every batch is in the spool for the next start");
    }

    private BatchBufferOptions Options() => new()
    {
        SpoolDirectory = SpoolPath,
        DurableAppends = false,
        MaxEventBytes = 1024,
        MaxBatchBytes = 1024,
        FlushInterval = TimeSpan.FromDays(1),
        RetryBaseDelay = TimeSpan.FromMilliseconds(50), // the failing customers are tried again and again, as 503s are
        RetryMaxDelay = TimeSpan.FromMilliseconds(200),
        ShutdownTimeout = ShutdownTimeout,
        MaxConcurrentUploads = 16,
    };

    private static string Source(int i) => $"c{i % Lanes:D3}-s0";

    private static async Task<TimeSpan> TimedDisposeAsync(BatchBuffer buffer, TimedLogger log, string run)
    {
        log.Mark("stop");
        var watch = Stopwatch.StartNew();
        await buffer.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(2));
        TimeSpan took = watch.Elapsed;
        TestContext.Out.WriteLine($"{run}: DisposeAsync took {took.TotalSeconds:F2} s (ShutdownTimeout {ShutdownTimeout.TotalSeconds} s)");
        foreach (string line in log.Timed.TakeLast(8))
        {
            TestContext.Out.WriteLine("  " + (line.Length > 300 ? line[..300] : line));
        }

        return took;
    }

    private static string Said(TimedLogger log) => string.Join("\n", log.Timed.TakeLast(10).Select(l => l.Length > 400 ? l[..400] : l));

    private static async Task WaitForSpooledAsync(BatchBuffer buffer, int atLeast)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (buffer.GetStatus().SpooledBatches < atLeast)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private static async Task WaitForFailingAsync(BatchBuffer buffer)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (buffer.GetStatus().FailingLanes.Count < Lanes)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private sealed class FailingConsumer : ISealedBatchConsumer
    {
        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken) =>
            Task.FromException<BatchReceipt>(new IOException("the customer's bucket answers 503 SlowDown"));
    }

    /// <summary>Keeps every line with the seconds since <see cref="Mark"/>: where a stop's time goes.</summary>
    private sealed class TimedLogger : ILogger, ILoggerFactory
    {
        private readonly ConcurrentQueue<string> _lines = new();
        private readonly Stopwatch _since = Stopwatch.StartNew();

        public IReadOnlyList<string> Lines => [.. _lines.Select(l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..])];

        public IReadOnlyList<string> Timed => [.. _lines];

        public void Mark(string what)
        {
            _since.Restart();
            _lines.Enqueue($"0.000 Mark: {what}");
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue($"{_since.Elapsed.TotalSeconds:F3} {logLevel}: {formatter(state, exception)}");
    }
}
