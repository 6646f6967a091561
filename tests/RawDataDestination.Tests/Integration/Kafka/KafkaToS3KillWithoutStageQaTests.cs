namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program without a stage, killed with SIGKILL at seeded random points while one customer's PUTs land
/// and lose their answer and another's are throttled (their windows held), and run again each time: nothing is
/// committed past a window that was not delivered, and in the end every event is in its customer's bucket in exactly
/// one object, every offset committed.
/// </summary>
[CancelAfter(420_000)]
public class KafkaToS3KillWithoutStageQaTests
{
    private const int Tenants = 4, LosesAnswers = 1, Throttled = 2, Kills = 3;

    [Test]
    public async Task KafkaToS3Program_WithoutAStageKilledAtRandomPointsWhileTenantsAreBroken_CommitsOnlyWhatWasDeliveredAndEveryEventLandsInExactlyOneObject()
    {
        using KafkaToS3GroupFixture group = await KafkaToS3GroupFixture.CreateAsync(Tenants);
        await using var faults = TenantPutFaults.Start(group.Customer, (LosesAnswers, ProxyAction.LandThenDropResponse), (Throttled, ProxyAction.SlowDown));
        List<string> arguments = group.Arguments("killed", faults.ServiceUrl, withStage: false);

        // Among held windows' retries: up to 4 s after the first window held.
        await group.KillAtRandomPointsAsync(
            "killed",
            arguments,
            Kills,
            random => new KillPoint(lines => lines.Any(l => l.Contains("Held the window", StringComparison.Ordinal)), "its first held window", TimeSpan.FromMilliseconds(random.Next(0, 4000))),
            // Every partition carries every customer, and the broken ones' windows were never delivered: no commit at all.
            run => Assert.That(group.Topic.CommittedOffsets("killed"), Has.All.EqualTo(-1001L), "nothing committed past a window whose batches were not delivered\n" + run.Output));

        faults.Heal();
        await group.LastRunDeliversEveryEventInExactlyOneObjectAsync("killed", arguments);
    }
}
