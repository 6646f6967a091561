using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using RawDataDestination.Batching;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// Appends with a spool while one customer's lane is failing, beside <see cref="Lanes"/> lanes that deliver: the cost of
/// one append into the failing lane (whose appends check the failing lanes' share of the spool) against one into a
/// healthy lane, in the same run. Journals are written without fsync (<c>DurableAppends</c> off), so the check's cost is
/// not hidden behind the disk. Run: <c>--filter '*FailingLaneAppendBenchmark*'</c>.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10, invocationCount: 4096)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the buffer in [GlobalCleanup], and a benchmark class may not be sealed.")]
public class FailingLaneAppendBenchmark
{
    private const string Broken = "broken";
    private static readonly byte[] Event = """{"type":"track","event":"Order Completed","properties":{"total":12.5}}"""u8.ToArray();

    private string _spool = "";
    private BatchBuffer? _buffer;

    /// <summary>Gets or sets how many lanes deliver beside the failing one.</summary>
    [Params(10, 1_000, 10_000)]
    public int Lanes { get; set; }

    /// <summary>Opens the buffer, gives each healthy lane a delivered batch, and seals one batch of the broken lane, whose attempt fails.</summary>
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    /// <summary>Appends one event into the failing lane.</summary>
    [Benchmark(Description = "append into the failing lane")]
    public ValueTask AppendIntoFailingLane() => _buffer!.AppendAsync(Broken, Event);

    /// <summary>Appends one event into a lane that delivers: the baseline.</summary>
    [Benchmark(Baseline = true, Description = "append into a healthy lane")]
    public ValueTask AppendIntoHealthyLane() => _buffer!.AppendAsync("source-00000", Event);

    /// <summary>Stops the buffer (its failing batches stay in the spool) and deletes the spool.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _buffer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    private async Task SetupAsync()
    {
        _spool = Directory.CreateTempSubdirectory("rawdata-bench-failing-lane-").FullName;
        var buffer = new BatchBuffer(
            new BatchBufferOptions
            {
                SpoolDirectory = _spool,
                DurableAppends = false,
                FlushInterval = TimeSpan.FromDays(1),
                ShutdownTimeout = TimeSpan.Zero,
                MaxConcurrentUploads = 64,
            },
            new FailingForOneSource(Broken));
        _buffer = buffer;
        for (int i = 0; i < Lanes; i++)
        {
            await buffer.AppendAsync(string.Create(CultureInfo.InvariantCulture, $"source-{i:D5}"), Event);
        }

        await buffer.AppendAsync(Broken, Event);
        using var flushBound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await buffer.FlushAsync(flushBound.Token); // every lane delivers but the broken one, which keeps failing
        }
        catch (Exception e) when (e is OperationCanceledException or BatchDeliveryException)
        {
        }

        // Every healthy lane's batch delivered (its seal writes a file each), and the broken lane failing: at most a minute.
        DeliveryStatus status = buffer.GetStatus();
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); status.DeliveredBatches < Lanes || !status.FailingLanes.Any(l => l.Key == Broken); status = buffer.GetStatus())
        {
            if (waited.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new InvalidOperationException($"set-up: expected {Lanes} delivered batches and '{Broken}' failing within a minute; status: {status.DeliveredBatches} delivered, failing: {string.Join(", ", status.FailingLanes.Select(l => l.Key))}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Discards every batch but those of one source, whose every attempt fails as an unreachable endpoint's would.</summary>
    private sealed class FailingForOneSource(string failing) : ISealedBatchConsumer
    {
        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken) =>
            batch.SourceId == failing
                ? throw new IOException("the endpoint refused the connection")
                : Task.FromResult(BatchReceipt.For(batch, "discarded"));
    }
}
