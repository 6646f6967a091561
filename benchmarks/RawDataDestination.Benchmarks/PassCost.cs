using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using RawDataDestination.Batching;
using RawDataDestination.Ndjson;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// What each pass over the corpus costs in CPU time rather than wall time (<c>--passes</c>): on a shared, loaded
/// machine wall time mostly measures the waiting. Each pass runs 7 times; the best is kept. Single-threaded passes
/// only: CPU time cannot show what a second thread gains.
/// </summary>
public static class PassCost
{
    /// <summary>Runs the passes and prints MB of compact NDJSON per CPU second, and each against compress-only.</summary>
    public static async Task<int> RunAsync()
    {
        Corpus corpus = Corpus.Create(32);
        byte[] line = new byte[64 * 1024];
        var appendedAt = new DateTimeOffset(2023, 11, 24, 12, 0, 0, TimeSpan.Zero);
        var best = new Dictionary<string, double>();
        for (int round = 0; round < 7; round++)
        {
            Time(best, "Utf8JsonReader validation pass (before)", corpus, () => Each(corpus, e => EventJson.ValidateWithReader(e)));
            Time(best, "EventJson.Validate (one-pass scanner, no output)", corpus, () => Each(corpus, e => EventJson.Validate(e, 1 << 20)));
            Time(best, "EventJson.WriteLine (compaction of a validated event)", corpus, () => Each(corpus, e => EventJson.WriteLine(e, null, line)));
            Time(best, "EventJson.ValidateAndWriteLine (one pass)", corpus, () => Each(corpus, e => EventJson.ValidateAndWriteLine(e, 1 << 20, appendedAt, line, out _)));
            Time(best, "GZipStream Fastest, compress only", corpus, () =>
            {
                using var gzip = new GZipStream(Stream.Null, CompressionLevel.Fastest);
                gzip.Write(corpus.Ndjson);
            });
            await TimeAsync(best, "GzipNdjsonEncoder.AppendAsync", corpus, () => CompressionLevelBenchmarks.EncodeAsync(corpus, CompressionLevel.Fastest));
            await TimeAsync(best, "BatchBuffer.AppendAsync, 1 source", corpus, async () =>
            {
                await using var buffer = new BatchBuffer(new BatchBufferOptions { FlushInterval = TimeSpan.FromDays(1) }, new DiscardingConsumer());
                foreach (byte[] e in corpus.Events)
                {
                    await buffer.AppendAsync("passes", e);
                }
            });
        }

        double limit = best["GZipStream Fastest, compress only"];
        Console.WriteLine("| pass (CPU time, one thread, best of 7) | MB/s of compact NDJSON | ÷ compress-only |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (name, megabytesPerSecond) in best)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {megabytesPerSecond:F0} | {megabytesPerSecond / limit:F2} |"));
        }

        await WallTimeAsync(corpus);
        return 0;
    }

    /// <summary>
    /// What a second compression thread gains needs wall time: the serial encoder against the parallel one with two
    /// threads, and the buffer with CompressionThreads 1 and 2, each the best of 7.
    /// </summary>
    private static async Task WallTimeAsync(Corpus corpus)
    {
        var best = new Dictionary<string, double>();
        for (int round = 0; round < 7; round++)
        {
            await WallAsync(best, "GZipStream Fastest, compress only", corpus, () =>
            {
                using var gzip = new GZipStream(Stream.Null, CompressionLevel.Fastest);
                gzip.Write(corpus.Ndjson);
                return Task.CompletedTask;
            });
            await WallAsync(best, "GzipNdjsonEncoder, 1 thread", corpus, () => CompressionLevelBenchmarks.EncodeAsync(corpus, CompressionLevel.Fastest));
            await WallAsync(best, "ParallelGzipNdjsonEncoder, 2 threads", corpus, async () =>
            {
                await using var encoder = new ParallelGzipNdjsonEncoder(new CountingStream(), CompressionLevel.Fastest, threads: 2);
                byte[] line = new byte[64 * 1024];
                foreach (byte[] e in corpus.Events)
                {
                    int length = EventJson.ValidateAndWriteLine(e, 1 << 20, AppendedAt, line, out _);
                    encoder.WriteCompact(line.AsSpan(0, length));
                    await encoder.FlushIfNeededAsync(CancellationToken.None);
                }

                await encoder.CompleteAsync();
            });
            foreach (int threads in (int[])[1, 2])
            {
                await WallAsync(best, $"BatchBuffer.AppendAsync, CompressionThreads = {threads}", corpus, async () =>
                {
                    await using var buffer = new BatchBuffer(new BatchBufferOptions { FlushInterval = TimeSpan.FromDays(1), CompressionThreads = threads }, new DiscardingConsumer());
                    foreach (byte[] e in corpus.Events)
                    {
                        await buffer.AppendAsync("passes", e);
                    }
                });
            }
        }

        double limit = best["GZipStream Fastest, compress only"];
        Console.WriteLine();
        Console.WriteLine("| pass (wall time, best of 7) | MB/s of compact NDJSON | ÷ compress-only, 1 thread |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (name, megabytesPerSecond) in best)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {megabytesPerSecond:F0} | {megabytesPerSecond / limit:F2} |"));
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| two compression threads ÷ one: encoder {best["ParallelGzipNdjsonEncoder, 2 threads"] / best["GzipNdjsonEncoder, 1 thread"]:F2}×, buffer {best["BatchBuffer.AppendAsync, CompressionThreads = 2"] / best["BatchBuffer.AppendAsync, CompressionThreads = 1"]:F2}× | | |"));
    }

    private static readonly DateTimeOffset AppendedAt = new(2023, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static async Task WallAsync(Dictionary<string, double> best, string name, Corpus corpus, Func<Task> pass)
    {
        var stopwatch = Stopwatch.StartNew();
        await pass();
        double megabytesPerSecond = corpus.Ndjson.Length / 1048576.0 / stopwatch.Elapsed.TotalSeconds;
        best[name] = Math.Max(best.GetValueOrDefault(name), megabytesPerSecond);
    }

    private static void Each(Corpus corpus, Action<byte[]> pass)
    {
        foreach (byte[] e in corpus.Events)
        {
            pass(e);
        }
    }

    private static void Time(Dictionary<string, double> best, string name, Corpus corpus, Action pass) =>
        TimeAsync(best, name, corpus, () =>
        {
            pass();
            return Task.CompletedTask;
        }).GetAwaiter().GetResult();

    private static async Task TimeAsync(Dictionary<string, double> best, string name, Corpus corpus, Func<Task> pass)
    {
        TimeSpan before = Process.GetCurrentProcess().TotalProcessorTime;
        await pass();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - before;
        double megabytesPerSecond = corpus.Ndjson.Length / 1048576.0 / cpu.TotalSeconds;
        best[name] = Math.Max(best.GetValueOrDefault(name), megabytesPerSecond);
    }
}
