using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.Runtime;
using RawDataDestination.Batching;
using RawDataDestination.Routing;
using RawDataDestination.Sts;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// The memory of many customers' destinations, and its release once they go idle (issue 18): a
/// <see cref="DestinationRouter"/> over N tenants (a <see cref="TenantDestinationResolver"/> over
/// <see cref="TenantDestinationsOptions"/>, each tenant with its own source, bucket, role and external id) delivers one
/// one-event batch per customer through <see cref="DestinationRouter.ConsumeAsync"/> to an in-process STS and S3 stub
/// (<see cref="LocalAwsStub"/>), so every destination is really used: its role assumed and its credentials cached, its S3
/// client built and one PutObject sent. The managed heap (after a full, compacting GC) and the process's working set
/// are measured before, with every destination built, and again once the idle timeout has passed (real time) and the
/// router has disposed them. A measurement to read, not an assertion.
/// </summary>
public static class CustomerDestinations
{
    /// <summary>Runs the measurement: <c>--destinations [--tenants 10000] [--idle 60] [--parallel 16]</c> (idle in seconds).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        int tenants = Option(args, "--tenants", 10_000);
        TimeSpan idle = TimeSpan.FromSeconds(Option(args, "--idle", 60));
        int parallel = Option(args, "--parallel", 16);
        using LocalAwsStub stub = LocalAwsStub.Start();
        var baseCredentials = new BasicAWSCredentials("AKIABENCHMARK", "benchmark-secret");

        // Warm-up: the SDK's and the library's one-time state (endpoint rules, pools, JIT) belongs to the baseline.
        using (var warm = new DestinationRouter(new TenantDestinationResolver(Tenants("warm", 50, stub.Url)), new DestinationRouterOptions { DestinationIdleTimeout = idle }, baseCredentials))
        {
            await TouchAsync(warm, "warm", 50, parallel);
        }

        using var resolver = new TenantDestinationResolver(Tenants("customer", tenants, stub.Url));
        using var router = new DestinationRouter(resolver, new DestinationRouterOptions { DestinationIdleTimeout = idle }, baseCredentials);
        Sample baseline = Measure(string.Create(CultureInfo.InvariantCulture, $"baseline: the router and {tenants:N0} tenants' settings, nothing used yet"), router);

        long started = Stopwatch.GetTimestamp();
        await TouchAsync(router, "customer", tenants, parallel);
        TimeSpan touching = Stopwatch.GetElapsedTime(started);
        long lastUse = Stopwatch.GetTimestamp();
        Sample used = Measure(string.Create(CultureInfo.InvariantCulture, $"each customer used once ({touching.TotalSeconds:F1} s, {parallel} at a time)"), router);

        // Idle destinations go at the router's next sweep (every half idle timeout) after the idle timeout.
        TimeSpan deadline = (idle * 2) + TimeSpan.FromSeconds(30);
        while (router.ActiveDestinations > 0 && Stopwatch.GetElapsedTime(lastUse) < deadline)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        Sample released = Measure(string.Create(CultureInfo.InvariantCulture, $"{Stopwatch.GetElapsedTime(lastUse).TotalSeconds:F0} s after the last use (DestinationIdleTimeout {idle.TotalSeconds:F0} s)"), router);

        bool trimmed = NativeHeap.Trim();
        Sample trimmedSample = Measure(trimmed ? "the same, after glibc's malloc_trim(0) gave the C heap's free memory back" : "the same (no malloc_trim here)", router);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{tenants:N0} tenants, each with its own source, bucket, role and external id; one one-event batch each through DestinationRouter.ConsumeAsync to an in-process STS + S3 stub on loopback (AssumeRole granted, PUT answered 200, no keep-alive); {stub.AssumeRoles:N0} AssumeRole and {stub.Puts:N0} PUT answered (50 of each for the warm-up); managed heap after a full compacting GC; GC committed: the memory the GC holds from the system (GCMemoryInfo.TotalCommittedBytes); working set as Environment.WorkingSet"));
        Console.WriteLine();
        Console.WriteLine("| state | destinations (ActiveDestinations) | cached credentials | managed heap | vs baseline | per customer | GC committed | working set | vs baseline | per customer |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (Sample sample in new[] { baseline, used, released, trimmedSample })
        {
            Console.WriteLine(Row(sample, baseline, tenants));
        }

        return 0;
    }

    private static TenantDestinationsOptions Tenants(string prefix, int count, Uri stub)
    {
        var options = new TenantDestinationsOptions();
        options.Defaults.Region = "us-east-1";
        options.Defaults.ServiceUrl = stub;
        options.Defaults.StsServiceUrl = stub;
        options.Defaults.StsRegion = "us-east-1";
        for (int i = 0; i < count; i++)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i:D5}");
            var tenant = new TenantOptions
            {
                Name = name,
                Bucket = $"{name}-bucket/raw",
                RoleArn = $"arn:aws:iam::123456789012:role/{name}-upload",
                ExternalId = $"ext-{name}",
            };
            tenant.Sources.Add($"src-{name}");
            options.Tenants.Add(tenant);
        }

        return options;
    }

    /// <summary>Delivers one one-event batch for each customer, <paramref name="parallel"/> at a time.</summary>
    private static async Task TouchAsync(DestinationRouter router, string prefix, int count, int parallel)
    {
        byte[] json = Encoding.UTF8.GetBytes("{\"type\":\"track\",\"event\":\"Order Completed\"}");
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, cancellationToken) =>
        {
            string source = string.Create(CultureInfo.InvariantCulture, $"src-{prefix}-{i:D5}");
            DateTimeOffset now = TimeProvider.System.GetUtcNow();
            await using var builder = new BatchBuilder(source, DateOnly.FromDateTime(now.UtcDateTime), "benchmark", now);
            await builder.AppendAsync(json, cancellationToken);
            using SealedBatch batch = await builder.SealAsync(cancellationToken);
            await router.ConsumeAsync(batch, cancellationToken);
        });
    }

    private static Sample Measure(string state, DestinationRouter router)
    {
        // Aggressive: compacts and gives free memory back to the system, so what is left is what is held.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        return new Sample(state, router.ActiveDestinations, SharedCredentialsCache.Count, managed, GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes, Environment.WorkingSet);
    }

    private static string Row(Sample s, Sample baseline, int tenants)
    {
        long managed = s.ManagedHeap - baseline.ManagedHeap;
        long working = s.WorkingSet - baseline.WorkingSet;
        bool isBaseline = ReferenceEquals(s, baseline);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"| {s.State} | {s.Destinations:N0} | {s.Credentials:N0} | {Megabytes(s.ManagedHeap)} | {(isBaseline ? "–" : Signed(managed))} | {(isBaseline ? "–" : PerCustomer(managed, tenants))} | {Megabytes(s.GcCommitted)} | {Megabytes(s.WorkingSet)} | {(isBaseline ? "–" : Signed(working))} | {(isBaseline ? "–" : PerCustomer(working, tenants))} |");
    }

    private static string Megabytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MB");

    private static string Signed(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{(bytes >= 0 ? "+" : "−")}{Math.Abs(bytes) / 1048576.0:F1} MB");

    private static string PerCustomer(long bytes, int tenants) => string.Create(CultureInfo.InvariantCulture, $"{(bytes >= 0 ? "" : "−")}{Math.Abs(bytes) / 1024.0 / tenants:F1} KB");

    private static int Option(string[] args, string name, int fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed record Sample(string State, int Destinations, int Credentials, long ManagedHeap, long GcCommitted, long WorkingSet);
}
