using System.Diagnostics;
using System.Globalization;
using RawDataDestination.Batching;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// Measures what one full batch costs in process memory: appends <c>--mb</c> MB (default 100) of events to one source
/// and day, streaming them from the generator so no corpus is held, seals it and reports the peak working set against
/// the batch's compressed size. A measurement to read, not an assertion.
/// </summary>
public static class BatchMemory
{
    /// <summary>Runs the measurement and prints the result.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        int index = Array.IndexOf(args, "--mb");
        int megabytes = index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : 100;
        long target = megabytes * 1024L * 1024;

        var random = new Random(20231124);
        var consumer = new DiscardingConsumer();
        var options = new BatchBufferOptions { MaxBatchBytes = Math.Max(target + (1024 * 1024), BatchBufferOptions.DefaultMaxBatchBytes), FlushInterval = TimeSpan.FromDays(1) };

        // Warm up the code paths with a small batch, then take the baseline.
        await using (var warm = new BatchBuffer(options, new DiscardingConsumer()))
        {
            for (int i = 0; i < 2000; i++)
            {
                await warm.AppendAsync("warm", Corpus.Event(random, i));
            }
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        long baseline = PeakMemory.Current();
        PeakMemory.Reset();
        long appended = 0;
        var stopwatch = Stopwatch.StartNew();
        await using (var buffer = new BatchBuffer(options, consumer))
        {
            for (int i = 0; appended < target; i++)
            {
                byte[] e = Corpus.Event(random, i);
                appended += e.Length + 1;
                await buffer.AppendAsync("memory", e);
            }
        }

        long peak = Math.Max(PeakMemory.Peak(), baseline); // the kernel's high-water mark: no peak between samples is missed
        stopwatch.Stop();
        double mb = 1024.0 * 1024;
        long growth = peak - baseline;
        long allowance = consumer.LargestBatchBytes + (16L * 1024 * 1024);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"batch: {appended / mb:F1} MB of NDJSON appended to one batch, sealed at {consumer.LargestBatchBytes / mb:F1} MB compressed"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"working set: {baseline / mb:F1} MB before, {peak / mb:F1} MB at the peak ({(PeakMemory.CanReset ? "the kernel's high-water mark since the baseline" : "the process's high-water mark")}): +{growth / mb:F1} MB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"budget: compressed size + 16 MB = {allowance / mb:F1} MB; growth is {(growth <= allowance ? "within" : "OVER")} it ({growth / (double)allowance:P0} of it)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"managed heap after the seal: {GC.GetTotalMemory(forceFullCollection: false) / mb:F1} MB; {stopwatch.Elapsed.TotalSeconds:F1} s including event generation"));
        return 0;
    }
}
