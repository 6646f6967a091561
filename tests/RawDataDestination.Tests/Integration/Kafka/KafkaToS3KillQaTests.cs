namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program killed with SIGKILL at seeded random points mid-run (between uploads and commits, while a
/// throttled customer's batches are staged and copied), and run again each time: in the end every event is in its
/// customer's bucket in exactly one object (an object rewritten at its own key is fine; an event in two objects is not),
/// nothing is left staged, and every offset is committed.
/// </summary>
[CancelAfter(420_000)]
public class KafkaToS3KillQaTests
{
    private const int Tenants = 4, Throttled = 2, Kills = 4;

    [Test]
    public async Task KafkaToS3Program_KilledAtRandomPointsAndRestarted_EveryEventInExactlyOneObject()
    {
        using KafkaToS3GroupFixture group = await KafkaToS3GroupFixture.CreateAsync(Tenants);
        await using var faults = TenantPutFaults.Start(group.Customer, (Throttled, ProxyAction.SlowDown));
        List<string> arguments = group.Arguments("killed", faults.ServiceUrl);

        // Between uploads and commits: a few commits into the run, up to 400 ms after one.
        await group.KillAtRandomPointsAsync("killed", arguments, Kills, random =>
        {
            int commits = random.Next(1, 12);
            return new KillPoint(lines => lines.Count(l => l.Contains(" Committed ", StringComparison.Ordinal)) >= commits, $"commit {commits}", TimeSpan.FromMilliseconds(random.Next(0, 400)));
        });

        // The last run, with the throttled customer answering again: to every partition's end, and the stage emptied.
        faults.Heal();
        await group.LastRunDeliversEveryEventInExactlyOneObjectAsync("killed", arguments, (async () => (await StagingPeers.KeysAsync(group.Stage)).Count == 0, "the stage emptied by the copier"));
    }
}
