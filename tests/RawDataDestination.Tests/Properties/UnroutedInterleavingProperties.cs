using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// Random interleavings of appends, tenants removed and listed again (a configuration reload), flushes and scheduled
/// seals, with and without a spool, over three tenants of two sources each. After every step the counts add up and the
/// batches with no route are at most one failing lane (the routed tenants never fail here); at the end, with every tenant
/// listed, one flush delivers every accepted event exactly once, to its own tenant, and nothing else.
/// </summary>
[CancelAfter(600_000)]
public class UnroutedInterleavingProperties
{
    private const int Tenants = 3;
    private const int SourcesPerTenant = 2;

    private enum Step
    {
        Append,
        Remove,
        List,
        Flush,
        Seal,
    }

    private static readonly Gen<(bool Spool, (Step Step, int Source, int Count)[] Steps)> Runs =
        Gen.Select(Gen.Bool, Gen.Select(Gen.Enum<Step>(), Gen.Int[0, (Tenants * SourcesPerTenant) - 1], Gen.Int[1, 20]).Array[4, 24]);

    [Test]
    public void Steps_InAnyOrder_KeepTheUnroutedInOneLaneAndDeliverEachEventOnceToItsTenant() =>
        Runs.Sample(run => RunAsync(run.Spool, run.Steps).GetAwaiter().GetResult(), iter: 150, threads: 1, print: Print);

    private static string Print((bool Spool, (Step Step, int Source, int Count)[] Steps) run) =>
        (run.Spool ? "spool: " : "memory: ") + string.Join(", ", run.Steps.Select(s => s.Step switch
        {
            Step.Append => $"Append({Source(s.Source)}, {s.Count})",
            Step.Remove or Step.List => $"{s.Step}({TenantOf(s.Source)})",
            _ => s.Step.ToString(),
        }));

    private static string Source(int i) => $"t{i / SourcesPerTenant}-s{i % SourcesPerTenant}";

    private static string TenantOf(int i) => $"t{i / SourcesPerTenant}";

    private static string[] SourcesOf(string tenant) => [.. Enumerable.Range(0, Tenants * SourcesPerTenant).Where(i => TenantOf(i) == tenant).Select(Source)];

    private static async Task RunAsync(bool withSpool, (Step Step, int Source, int Count)[] steps)
    {
        var time = new FakeTimeProvider(Start);
        var router = new TenantsRouter(time);
        for (int t = 0; t < Tenants; t++)
        {
            router.List($"t{t}", SourcesOf($"t{t}"));
        }

        using var spool = withSpool ? new TempDirectory() : null;
        BatchBufferOptions options = Batching.BatchBufferLaneTests.TwoBatchShares(); // about 1 KB batches, two pending per lane, sealed every second
        options.SpoolDirectory = spool?.Path;
        await using var buffer = new BatchBuffer(options, router, time);
        var accepted = new List<(string Id, string Tenant)>();
        int next = 0;
        foreach ((Step step, int source, int count) in steps)
        {
            switch (step)
            {
                case Step.Append:
                    for (int i = 0; i < count; i++)
                    {
                        string id = $"{Source(source)}-{next++}";
                        try
                        {
                            await buffer.AppendAsync(Source(source), Event(id, 0, padding: 60)).AsTask().WaitAsync(Bound);
                            accepted.Add(($"{id}-0", TenantOf(source)));
                        }
                        catch (EventRejectedException refusal) when (refusal.Reason == EventRejectionReason.NoDestination)
                        {
                            // its tenant is not listed now: refused, sent nowhere
                        }
                    }

                    break;
                case Step.Remove:
                    router.Unlist(TenantOf(source));
                    break;
                case Step.List:
                    router.List(TenantOf(source), SourcesOf(TenantOf(source)));
                    break;
                case Step.Flush:
                    try
                    {
                        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));
                    }
                    catch (BatchDeliveryException)
                    {
                        // a removed tenant's batches are refused: kept
                    }

                    break;
                case Step.Seal:
                    time.Advance(TimeSpan.FromSeconds(1));
                    break;
            }

            await time.DriveUntilAsync(() => buffer.GetStatus() is { WaitingBatches: 0, UploadingBatches: 0, FailingBatches: 0 }, TimeSpan.Zero);
            DeliveryStatus status = buffer.GetStatus();
            Assert.That(status.DeliveredEvents + status.UndeliveredEvents + status.OpenEvents, Is.EqualTo(accepted.Count), $"after {step}: every accepted event counted once");
            Assert.That(status.FailingLaneCount, Is.LessThanOrEqualTo(1), $"after {step}: the batches with no route are one lane, whatever their sources");
        }

        for (int t = 0; t < Tenants; t++)
        {
            router.List($"t{t}", SourcesOf($"t{t}"));
        }

        await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));
        DeliveryStatus end = buffer.GetStatus();
        var delivered = router.Delivered.SelectMany(d => d.MessageIds.Select(id => (Id: id, d.Tenant))).ToList();
        Assert.That(delivered.GroupBy(d => d.Id).Where(g => g.Count() > 1).Select(g => g.Key), Is.Empty, "no event twice");
        Assert.That(delivered, Is.EquivalentTo(accepted), "every accepted event, to its own tenant, and nothing else");
        Assert.That(end.UndeliveredEvents + end.OpenEvents, Is.Zero);
        Assert.That(end.FailingLaneCount, Is.Zero);
    }
}
