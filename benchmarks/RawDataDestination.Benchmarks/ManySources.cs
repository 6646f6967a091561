using System.Diagnostics;
using System.Globalization;
using System.Text;
using RawDataDestination.Batching;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// Many sources against one: appends a corpus round-robin over N source ids, each spread over <c>--days</c> UTC days
/// (so N × days open batches), to a <see cref="BatchBuffer"/> whose consumer discards, then disposes it (sealing and
/// delivering every batch). For each N: MB/s of NDJSON (appends, seals and deliveries), managed bytes allocated per
/// event on the append path, the peak working set's growth while the batches are open (the kernel's high-water mark,
/// reset before the run, so no peak is missed), and that growth per open batch and against the NDJSON held open. Each
/// source count runs in a process of its own.
/// Writes a Markdown table and an SVG chart with <c>--out DIR</c>. A measurement to read, not an assertion.
/// </summary>
public static class ManySources
{
    private static readonly int[] DefaultSources = [1, 100, 1_000, 5_000, 10_000];

    /// <summary>Runs the measurement: <c>--sources [--counts 1,100,1000,5000,10000] [--mb 64] [--days 4] [--threads 1] [--out DIR]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        int megabytes = Option(args, "--mb", 64);
        int days = Option(args, "--days", 4);
        int threads = Option(args, "--threads", 1);
        int[] sourceCounts = OptionText(args, "--counts") is { } list
            ? list.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            : DefaultSources;
        string? output = OptionText(args, "--out");

        Corpus corpus = Corpus.Create(megabytes);
        if (OptionText(args, "--one") is { } one)
        {
            // A child process measures one source count, so no run inherits another's heap, pools or peak.
            byte[][] events = corpus.Events.Select(e => e.ToArray()).ToArray();
            int[] dayDigit = events.Select(DayDigitOffset).ToArray();
            await MeasureAsync(events[..(events.Length / 32)], dayDigit, 100, days, threads, corpus.Ndjson.Length / 32); // warm-up
            Result measured = await MeasureAsync(events, dayDigit, int.Parse(one, CultureInfo.InvariantCulture), days, threads, corpus.Ndjson.Length);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {measured.Sources} {measured.OpenBatches} {measured.MegabytesPerSecond:R} {measured.BytesPerEvent:R} {measured.PeakGrowth} {measured.NdjsonBytes} {measured.AppendMegabytesPerSecond:R} {measured.SealSeconds:R} {measured.ManagedHeld}"));
            return 0;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"corpus: {corpus}; {days} UTC days per source; CompressionThreads = {threads}; one process per row"));
        var results = new List<Result>();
        Console.WriteLine("| sources | open batches | MB/s, all | vs 1 source | MB/s, appends | seal + deliver all, s | B/event (appends) | peak working set growth, batches open | per open batch | ÷ NDJSON held open | managed heap held, ÷ NDJSON |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int sources in sourceCounts)
        {
            Result result = RunChild(sources, megabytes, days, threads);
            results.Add(result);
            Console.WriteLine(Row(result, results[0]));
        }

        Console.WriteLine(PeakMemory.CanReset
            ? "peak: the kernel's high-water mark (VmHWM), reset before each run"
            : "peak: the process's high-water mark (could not be reset here: later runs show the largest peak so far)");
        if (output is not null)
        {
            Write(output, corpus, days, threads, results);
        }

        return 0;
    }

    private static async Task<Result> MeasureAsync(byte[][] events, int[] dayDigit, int sources, int days, int threads, long ndjsonBytes)
    {
        string[] ids = Enumerable.Range(0, sources).Select(i => string.Create(CultureInfo.InvariantCulture, $"source-{i:D5}")).ToArray();
        for (int i = 0; i < events.Length; i++)
        {
            // Round r of the round-robin goes to day r % days: every source gets every day.
            events[i][dayDigit[i]] = (byte)('4' + (i / sources % days));
        }

        // Every source and day stays open, as the row says: past MaxOpenBatches (20,000 by default) each append to a
        // new partition would seal the least recently appended one, which a round-robin over more partitions than that
        // turns into a seal of a one-event batch per append. A host with that many open partitions raises the limit.
        var options = new BatchBufferOptions
        {
            FlushInterval = TimeSpan.FromDays(1),
            CompressionThreads = threads,
            MaxOpenBatches = Math.Max(new BatchBufferOptions().MaxOpenBatches, sources * days),
        };
        var consumer = new DiscardingConsumer();
        // Aggressive: compacts and gives free memory back to the system, so the baseline holds no reusable slack.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        long managedBaseline = GC.GetTotalMemory(forceFullCollection: true);
        long baseline = PeakMemory.Current();
        PeakMemory.Reset();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        var buffer = new BatchBuffer(options, consumer);
        for (int i = 0; i < events.Length; i++)
        {
            await buffer.AppendAsync(ids[i % sources], events[i]);
        }

        TimeSpan appending = stopwatch.Elapsed;
        stopwatch.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long openBatches = Math.Min(events.Length, (long)sources * days);
        long peakOpen = PeakMemory.Peak() - baseline;
        long managedHeld = GC.GetTotalMemory(forceFullCollection: true) - managedBaseline; // outside the timing
        stopwatch.Start();
        await buffer.DisposeAsync();
        stopwatch.Stop();
        return new Result(sources, openBatches, ndjsonBytes / 1048576.0 / stopwatch.Elapsed.TotalSeconds, allocated / (double)events.Length, peakOpen, ndjsonBytes)
        {
            AppendMegabytesPerSecond = ndjsonBytes / 1048576.0 / appending.TotalSeconds,
            SealSeconds = (stopwatch.Elapsed - appending).TotalSeconds,
            ManagedHeld = managedHeld,
        };
    }

    private static Result RunChild(int sources, int megabytes, int days, int threads)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in new[] { typeof(ManySources).Assembly.Location, "--sources", "--one", sources.ToString(CultureInfo.InvariantCulture), "--mb", megabytes.ToString(CultureInfo.InvariantCulture), "--days", days.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using Process child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string line = output.Split('\n').Single(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        string[] f = line.Split(' ');
        return new Result(
            int.Parse(f[1], CultureInfo.InvariantCulture),
            long.Parse(f[2], CultureInfo.InvariantCulture),
            double.Parse(f[3], CultureInfo.InvariantCulture),
            double.Parse(f[4], CultureInfo.InvariantCulture),
            long.Parse(f[5], CultureInfo.InvariantCulture),
            long.Parse(f[6], CultureInfo.InvariantCulture))
        {
            AppendMegabytesPerSecond = double.Parse(f[7], CultureInfo.InvariantCulture),
            SealSeconds = double.Parse(f[8], CultureInfo.InvariantCulture),
            ManagedHeld = long.Parse(f[9], CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The offset of the units digit of the day in the event's receivedAt (<c>2023-11-24</c>).</summary>
    private static int DayDigitOffset(byte[] e)
    {
        int name = e.AsSpan().IndexOf("\"receivedAt\""u8);
        int date = e.AsSpan(name).IndexOf("2023-11-24"u8);
        return name + date + 9;
    }

    private static string Row(Result r, Result first) => string.Create(
        CultureInfo.InvariantCulture,
        $"| {r.Sources:N0} | {r.OpenBatches:N0} | {r.MegabytesPerSecond:F0} | {r.MegabytesPerSecond / first.MegabytesPerSecond:F2}× | {r.AppendMegabytesPerSecond:F0} | {r.SealSeconds:F2} | {r.BytesPerEvent:F0} | {r.PeakGrowth / 1048576.0:F1} MB | {r.PeakGrowth / 1024.0 / r.OpenBatches:F1} KB | {r.PeakGrowth / (double)r.NdjsonBytes:F2}× | {r.ManagedHeld / (double)r.NdjsonBytes:F2}× |");

    private static void Write(string directory, Corpus corpus, int days, int threads, List<Result> results)
    {
        Directory.CreateDirectory(directory);
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"Corpus: {corpus}; {days} UTC days per source; CompressionThreads = {threads}; {Environment.ProcessorCount} cores; {DateTime.UtcNow:yyyy-MM-dd}.");
        table.AppendLine();
        table.AppendLine("| sources | open batches | MB/s, all | vs 1 source | MB/s, appends | seal + deliver all, s | B/event (appends) | peak working set growth, batches open | per open batch | ÷ NDJSON held open | managed heap held, ÷ NDJSON |");
        table.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (Result r in results)
        {
            table.AppendLine(Row(r, results[0]));
        }

        File.WriteAllText(Path.Combine(directory, "many-sources.md"), table.ToString());
        SvgChart.Write(
            Path.Combine(directory, "many-sources.svg"),
            string.Create(CultureInfo.InvariantCulture, $"BatchBuffer, {corpus.Ndjson.Length / 1048576.0:F0} MB of NDJSON round-robin over N sources × {days} days, consumer discards; {Environment.ProcessorCount} cores"),
            [
                new SvgChart.Panel("Throughput", "sources", "MB/s of NDJSON", [new SvgChart.Series("MB/s, appends + seals + deliveries", results.Select(r => ((double)r.Sources, r.MegabytesPerSecond)).ToList()), new SvgChart.Series("MB/s, appends only", results.Select(r => ((double)r.Sources, r.AppendMegabytesPerSecond)).ToList())]),
                new SvgChart.Panel("Memory while open", "sources", "working set growth ÷ NDJSON held", [new SvgChart.Series("peak working set growth ÷ NDJSON held open", results.Select(r => ((double)r.Sources, r.PeakGrowth / (double)r.NdjsonBytes)).ToList()), new SvgChart.Series("managed heap held ÷ NDJSON held open", results.Select(r => ((double)r.Sources, r.ManagedHeld / (double)r.NdjsonBytes)).ToList())]),
                new SvgChart.Panel("Per open batch", "sources", "KB", [new SvgChart.Series("working set growth per open batch", results.Select(r => ((double)r.Sources, r.PeakGrowth / 1024.0 / r.OpenBatches)).ToList())]),
            ]);
        Console.WriteLine($"wrote {Path.Combine(directory, "many-sources.md")} and many-sources.svg");
    }

    private static string? OptionText(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static int Option(string[] args, string name, int fallback) =>
        OptionText(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private sealed record Result(int Sources, long OpenBatches, double MegabytesPerSecond, double BytesPerEvent, long PeakGrowth, long NdjsonBytes)
    {
        public double AppendMegabytesPerSecond { get; init; }

        public double SealSeconds { get; init; }

        public long ManagedHeld { get; init; }
    }
}
