using System.Diagnostics;
using System.Globalization;
using System.Text;
using RawDataDestination.Batching;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// Many customers on one <see cref="BatchBuffer"/>, K of N broken (issue 18): the healthy customers' delivery time with
/// the broken ones failing at once or never answering, without and with a spool, against a control with none broken,
/// all in one run and one process. The consumer (<see cref="CustomersStandIn"/>) stands for S3: a healthy upload takes a
/// fixed short time, a broken one throws at once or waits until cancelled. Real time, small batches, the schedule sealing
/// every second. Each customer appends its events at a steady pace over a few seconds (the broken ones in tasks of their
/// own, whose appends may wait on their own share); the healthy appends run in one loop, so any healthy append that waits
/// shows. A measurement to read, not an assertion.
/// </summary>
public static class ManyCustomers
{
    private const int EventPad = 60;

    /// <summary>
    /// Runs the measurement:
    /// <c>--customers [--sizes 50+4,460+40] [--events 100] [--seconds 5] [--upload-ms 2] [--batch-bytes 4096] [--drain 30] [--response-timeout 10] [--quick]</c>.
    /// Each size is healthy+broken customers.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool quick = args.Contains("--quick");
        var settings = new Settings(
            Sizes: (OptionText(args, "--sizes") ?? (quick ? "10+2" : "50+4")).Split(',').Select(ParseSize).ToArray(),
            EventsPerCustomer: Option(args, "--events", quick ? 20 : 100),
            AppendSeconds: Option(args, "--seconds", quick ? 1 : 5),
            UploadTime: TimeSpan.FromMilliseconds(Option(args, "--upload-ms", 2)),
            BatchBytes: Option(args, "--batch-bytes", 4096),
            Drain: TimeSpan.FromSeconds(Option(args, "--drain", quick ? 5 : 30)),
            ResponseTimeout: TimeSpan.FromSeconds(Option(args, "--response-timeout", quick ? 1 : 10)));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"each customer appends {settings.EventsPerCustomer} events (~{EventBytes} B each) at a steady pace over {settings.AppendSeconds} s; MaxBatchBytes {settings.BatchBytes}; the schedule seals every second; a healthy upload takes {settings.UploadTime.TotalMilliseconds:F0} ms (Task.Delay); other options at their defaults (MaxPendingBatches {new BatchBufferOptions().MaxPendingBatches}, per lane {new BatchBufferOptions().MaxPendingBatchesPerLane}; MaxConcurrentUploads {new BatchBufferOptions().MaxConcurrentUploads}, per lane {new BatchBufferOptions().MaxConcurrentUploadsPerLane}; AttemptTimeout {new BatchBufferOptions().AttemptTimeout.TotalMinutes:F0} min; with a spool, DurableAppends on); results counted {settings.Drain.TotalSeconds:F0} s after the last append at the latest"));
        _ = await RunRowAsync(new Scenario(10, 2, StandInHealth.Healthy, Spool: false), settings with { EventsPerCustomer = 10, AppendSeconds = 1 }); // warm-up, not shown
        Console.WriteLine();
        Console.WriteLine("| customers (healthy + broken) | the broken customers' uploads | spool | healthy events delivered | append → delivered, p50 / p99 / max | seal → delivered, p50 / p99 / max | longest healthy append | p99 ÷ control's | lanes failing (GetStatus) | attempts on broken customers | most at once | duplicates |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach ((int healthy, int broken) in settings.Sizes)
        {
            foreach (bool spool in new[] { false, true })
            {
                Result control = await RunRowAsync(new Scenario(healthy, broken, StandInHealth.Healthy, spool), settings);
                Console.WriteLine(Row(control, control));
                foreach (StandInHealth health in new[] { StandInHealth.FailsAtOnce, StandInHealth.NeverAnswers, StandInHealth.SilentUntilTimeout })
                {
                    Console.WriteLine(Row(await RunRowAsync(new Scenario(healthy, broken, health, spool), settings), control));
                }

                if (!spool && !quick)
                {
                    // The control again, after the broken rows: how much the machine alone moves the figures.
                    Console.WriteLine(Row(await RunRowAsync(new Scenario(healthy, broken, StandInHealth.Healthy, spool), settings) with { Again = true }, control));
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("append → delivered: from the start of each healthy event's append to the end of the upload that delivered it; seal → delivered: each healthy batch's SealedAt to the end of its upload; p99 ÷ control's: the append → delivered p99 against the control row with the same spool setting in this run; most at once: the most uploads to broken customers under way at once, each holding one of the MaxConcurrentUploads slots");
        return 0;
    }

    private static int EventBytes => Event('h', 0).Length;

    private static byte[] Event(char kind, int index) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"type\":\"track\",\"event\":\"Order Completed\",\"messageId\":\"{kind}{index}\",\"properties\":{{\"pad\":\"{new string('x', EventPad)}\"}}}}"));

    private static async Task<Result> RunRowAsync(Scenario scenario, Settings settings)
    {
        int healthyEvents = scenario.Healthy * settings.EventsPerCustomer;
        var consumer = new CustomersStandIn(settings.UploadTime, healthyEvents, settings.ResponseTimeout);
        string[] healthyLanes = [.. Enumerable.Range(0, scenario.Healthy).Select(i => string.Create(CultureInfo.InvariantCulture, $"healthy-{i:D4}"))];
        string[] brokenLanes = scenario.Health == StandInHealth.Healthy
            ? []
            : [.. Enumerable.Range(0, scenario.Broken).Select(i => string.Create(CultureInfo.InvariantCulture, $"broken-{i:D4}"))];
        foreach (string lane in brokenLanes)
        {
            consumer.Set(lane, scenario.Health);
        }

        // Event i of healthy customer c has index i * customers + c: the order the loop below appends them in.
        byte[][] events = [.. Enumerable.Range(0, healthyEvents).Select(i => Event('h', i))];
        var appendStarted = new long[healthyEvents];
        string? spool = scenario.Spool ? Directory.CreateTempSubdirectory("rawdata-customers-").FullName : null;
        var options = new BatchBufferOptions
        {
            MaxBatchBytes = settings.BatchBytes,
            MaxEventBytes = 1024,
            FlushInterval = TimeSpan.FromSeconds(1),
            FlushOffset = TimeSpan.Zero,
            SpoolDirectory = spool,
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        };
        var buffer = new BatchBuffer(options, consumer);
        TimeSpan round = TimeSpan.FromSeconds(settings.AppendSeconds) / settings.EventsPerCustomer;
        using var stopBroken = new CancellationTokenSource();
        long start = Stopwatch.GetTimestamp();
        Task[] brokenAppends = [.. brokenLanes.Select((lane, b) => AppendBrokenAsync(buffer, lane, b, settings.EventsPerCustomer, start, round, stopBroken.Token))];

        long longestAppend = 0;
        for (int i = 0; i < settings.EventsPerCustomer; i++)
        {
            await WaitUntilAsync(start, round * i);
            for (int c = 0; c < scenario.Healthy; c++)
            {
                int index = (i * scenario.Healthy) + c;
                long before = Stopwatch.GetTimestamp();
                appendStarted[index] = before;
                await buffer.AppendAsync(healthyLanes[c], events[index]);
                longestAppend = Math.Max(longestAppend, Stopwatch.GetTimestamp() - before);
            }
        }

        long appended = Stopwatch.GetTimestamp();
        while (consumer.Delivered < healthyEvents && Stopwatch.GetElapsedTime(appended) < settings.Drain)
        {
            await Task.Delay(10);
        }

        DeliveryStatus status = buffer.GetStatus();
        var result = new Result(
            scenario,
            settings.ResponseTimeout,
            healthyEvents,
            consumer.Delivered,
            Percentiles([.. consumer.DeliveredAt.Select((at, i) => at == 0 ? TimeSpan.MinValue : Stopwatch.GetElapsedTime(appendStarted[i], at)).Where(t => t != TimeSpan.MinValue)]),
            Percentiles([.. consumer.SealToDelivery]),
            Stopwatch.GetElapsedTime(0, longestAppend),
            status.FailingLaneCount,
            consumer.BrokenAttempts,
            consumer.MostBrokenInFlight,
            consumer.Duplicates);

        await stopBroken.CancelAsync();
        try
        {
            await buffer.DisposeAsync();
        }
        catch (Exception exception) when (exception is BatchDeliveryException or OperationCanceledException)
        {
            // The broken customers' batches are reported undelivered (or left in the spool): expected here.
        }

        await Task.WhenAll(brokenAppends).WaitAsync(TimeSpan.FromSeconds(30));
        if (spool is not null)
        {
            Directory.Delete(spool, recursive: true);
        }

        return result;
    }

    /// <summary>One broken customer's appends, at the healthy customers' pace; they may wait on its own share, and stop at the end of the row.</summary>
    private static async Task AppendBrokenAsync(BatchBuffer buffer, string lane, int customer, int count, long start, TimeSpan round, CancellationToken stop)
    {
        try
        {
            for (int i = 0; i < count; i++)
            {
                await WaitUntilAsync(start, round * i);
                await buffer.AppendAsync(lane, Event('b', (i * 1000) + customer), stop);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or BufferFullException)
        {
            // The row ended while this customer's append waited for room in its own share.
        }
    }

    private static async Task WaitUntilAsync(long start, TimeSpan at)
    {
        TimeSpan wait = at - Stopwatch.GetElapsedTime(start);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    private static Spread Percentiles(TimeSpan[] times)
    {
        if (times.Length == 0)
        {
            return new Spread(null, null, null);
        }

        Array.Sort(times);
        return new Spread(At(0.50), At(0.99), times[^1]);

        TimeSpan At(double quantile) => times[(int)Math.Ceiling(quantile * times.Length) - 1]; // nearest rank
    }

    private static string Row(Result r, Result control)
    {
        string what = r.Scenario.Health switch
        {
            StandInHealth.FailsAtOnce => $"{r.Scenario.Broken} fail at once (503)",
            StandInHealth.NeverAnswers => $"{r.Scenario.Broken} never answer (until cancelled)",
            StandInHealth.SilentUntilTimeout => string.Create(CultureInfo.InvariantCulture, $"{r.Scenario.Broken} never answer; each upload gives up after {r.ResponseTimeout.TotalSeconds:F0} s"),
            _ => r.Again ? "none broken (control, again)" : "none broken (control)",
        };
        int broken = r.Scenario.Health == StandInHealth.Healthy ? 0 : r.Scenario.Broken;
        string customers = string.Create(CultureInfo.InvariantCulture, $"{r.Scenario.Healthy + broken:N0} ({r.Scenario.Healthy:N0} + {broken:N0})");
        string ratio = r.AppendToDelivery.P99 is { } p99 && control.AppendToDelivery.P99 is { } controlP99
            ? string.Create(CultureInfo.InvariantCulture, $"{p99 / controlP99:F2}×")
            : "–";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"| {customers} | {what} | {(r.Scenario.Spool ? "yes" : "no")} | {r.Delivered:N0} of {r.HealthyEvents:N0} | {r.AppendToDelivery} | {r.SealToDelivery} | {Milliseconds(r.LongestAppend)} | {ratio} | {r.FailingLanes} | {r.BrokenAttempts:N0} | {r.MostBrokenInFlight} | {r.Duplicates} |");
    }

    private static string Milliseconds(TimeSpan? time) => time is { } t
        ? t.TotalMilliseconds >= 100 ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:F2} s") : string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:F1} ms")
        : "–";

    private static (int Healthy, int Broken) ParseSize(string text)
    {
        string[] parts = text.Split('+');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 0);
    }

    private static string? OptionText(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static int Option(string[] args, string name, int fallback) =>
        OptionText(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private sealed record Settings((int Healthy, int Broken)[] Sizes, int EventsPerCustomer, int AppendSeconds, TimeSpan UploadTime, int BatchBytes, TimeSpan Drain, TimeSpan ResponseTimeout);

    private sealed record Scenario(int Healthy, int Broken, StandInHealth Health, bool Spool);

    private sealed record Spread(TimeSpan? P50, TimeSpan? P99, TimeSpan? Max)
    {
        public override string ToString() => $"{Milliseconds(P50)} / {Milliseconds(P99)} / {Milliseconds(Max)}";
    }

    private sealed record Result(Scenario Scenario, TimeSpan ResponseTimeout, int HealthyEvents, long Delivered, Spread AppendToDelivery, Spread SealToDelivery, TimeSpan LongestAppend, int FailingLanes, long BrokenAttempts, int MostBrokenInFlight, long Duplicates)
    {
        public bool Again { get; init; }
    }
}
