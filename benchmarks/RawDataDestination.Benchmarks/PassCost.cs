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
        foreach (var (name, megabytesPerSecond) in best)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {megabytesPerSecond:F0} | {megabytesPerSecond / limit:F2} |"));
        }

        return 0;
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
