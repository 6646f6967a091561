namespace RawDataDestination.Tests.Integration;

/// <summary>
/// Two copiers over one staging prefix that share its batches (<c>StagedBatchCopier.Takes</c>), as KafkaToS3's workers of
/// one group do: each delivers only the batches it takes, and leaves the others, parked ones and their markers included,
/// counted nowhere, to the other copier.
/// </summary>
[CancelAfter(120_000)]
public class StagedCopierShareTests
{
    [Test]
    public async Task CopyOnce_WithTakes_DeliversOnlyTheBatchesItTakesAndLeavesTheOthersAndTheirMarkersUncounted()
    {
        using StageAndCustomer peers = await StageAndCustomer.CreateAsync();
        var (stage, customer, staging, destination) = peers;
        var keys = new List<string>();
        using (StagingConsumer consumer = peers.NewConsumer())
        {
            for (int b = 0; b < 4; b++)
            {
                using SealedBatch batch = await TestBatches.CreateAsync(Objects.UniqueSource("shared"), new DateOnly(2023, 11, 24), $"{{\"messageId\":\"b{b}\"}}");
                keys.Add((await consumer.StageAsync(batch)).Key);
            }
        }

        // The last batch is parked, its next attempt a day away.
        await StagingPeers.ParkForADayAsync(staging, keys[3], eventCount: 1);

        HashSet<string> mine = [keys[0], keys[1]];
        StagedCopyResult first;
        using (var copier = new StagedBatchCopier(staging, destination, StagingPeers.ServiceCredentials()) { Takes = mine.Contains })
        {
            first = await copier.CopyOnceAsync();
        }

        Assert.That(first.Delivered, Has.Count.EqualTo(2), "its own two");
        Assert.That((first.ParkedBatches, first.FailedBatches, first.UnconfirmedBatches), Is.EqualTo((0, 0, 0)), "the other copier's parked batch is not counted here");
        Assert.That(await StagingPeers.KeysAsync(stage), Is.EquivalentTo(new[] { keys[2], keys[3], StagingKeys.Marker(keys[3]) }), "the other copier's batches stay, the parked one's marker too");

        StagedCopyResult second;
        using (var copier = new StagedBatchCopier(staging, destination, StagingPeers.ServiceCredentials()) { Takes = key => !mine.Contains(key) })
        {
            second = await copier.CopyOnceAsync(retryParkedNow: true);
        }

        Assert.That(second.Delivered, Has.Count.EqualTo(2), "the other two, the parked one tried at once");
        Assert.That(await StagingPeers.KeysAsync(stage), Is.Empty, "the marker went with its batch");
        Assert.That(await StagingPeers.KeysAsync(customer), Has.Count.EqualTo(4), "each batch once");
    }

    [Test]
    public async Task CopyOnce_WhenABatchIsNoLongerTakenAfterTheListing_DoesNotReadOrSendIt()
    {
        // A worker that lost the batch's partition during the pass: asked again before the batch is read, it declines.
        using StageAndCustomer peers = await StageAndCustomer.CreateAsync();
        var (stage, customer, staging, destination) = peers;
        string key = await peers.StageOneAsync("moved", "{\"messageId\":\"a\"}");

        int asked = 0;
        using var copier = new StagedBatchCopier(staging, destination, StagingPeers.ServiceCredentials()) { Takes = _ => Interlocked.Increment(ref asked) == 1 };
        StagedCopyResult result = await copier.CopyOnceAsync();

        Assert.That(asked, Is.EqualTo(2), "asked at the listing and again before the read");
        Assert.That(result.Delivered, Is.Empty);
        Assert.That(await StagingPeers.KeysAsync(customer), Is.Empty, "nothing sent");
        Assert.That(await StagingPeers.KeysAsync(stage), Is.EqualTo(new[] { key }), "left staged for its new owner");
    }
}
