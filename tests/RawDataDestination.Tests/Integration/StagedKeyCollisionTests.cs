namespace RawDataDestination.Tests.Integration;

/// <summary>
/// Issue 20's collision, replayed against the real s3rver: two setups share a staging bucket. Setup X stages under the
/// prefix <c>A</c> for customer bucket <c>B</c>; setup Y stages with no prefix for customer bucket <c>A</c> with the
/// customer prefix <c>B</c>. In the old layout both meant <c>A/B/segment-logs/…</c>, and Y's copier delivered X's batch
/// into bucket <c>A</c>.
/// </summary>
[CancelAfter(120_000)]
public class StagedKeyCollisionTests
{
    private const int Events = 20;

    private sealed record Setups(string Stage, string BucketA, string BucketB, StagingOptions X, StagingOptions Y, S3RoleDestination ToB, S3RoleDestination ToAUnderB) : IDisposable
    {
        public void Dispose()
        {
            ToB.Dispose();
            ToAUnderB.Dispose();
        }
    }

    private static async Task<Setups> CreateSetupsAsync()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        string bucketA = await StagingPeers.NewBucketAsync("a");
        string bucketB = await StagingPeers.NewBucketAsync("b");
        await SharedPeers.AllowRoleToWriteAsync(bucketA, bucketB); // setup Y's customer prefix: a misrouted batch would land, not be refused
        StagingOptions x = StagingPeers.Options($"{stage}/{bucketA}"); // stage prefix A
        StagingOptions y = StagingPeers.Options(stage); // no stage prefix
        return new Setups(
            stage,
            bucketA,
            bucketB,
            x,
            y,
            Destinations.Create(Destinations.Options(bucket: bucketB)),
            Destinations.Create(Destinations.Options(bucket: $"{bucketA}/{bucketB}"))); // customer prefix B
    }

    private static Task<string> StageForCustomerBAsync(Setups setups) =>
        StagingPeers.StageBatchAsync(setups.X, setups.ToB, "x", [.. Enumerable.Range(0, Events).Select(i => $"{{\"messageId\":\"x-{i}\"}}")]);

    /// <summary>Copies a staged object to another key of the staging bucket, keeping its bytes and every metadata value, or dropping the destination's.</summary>
    private static async Task CopyStagedAsync(string stage, string from, string to, bool dropDestinationMetadata)
    {
        using AmazonS3Client s3 = SharedPeers.S3.CreateClient(StagingPeers.ServiceCredentials());
        GetObjectMetadataResponse head = await s3.GetObjectMetadataAsync(stage, from);
        var put = new PutObjectRequest { BucketName = stage, Key = to, InputStream = new MemoryStream(await SharedPeers.S3.GetObjectBytesAsync(stage, from)), UseChunkEncoding = false };
        foreach (string name in head.Metadata.Keys.Where(n => !dropDestinationMetadata || !n.Contains("rawdata-destination", StringComparison.Ordinal)))
        {
            put.Metadata[name] = head.Metadata[name];
        }

        await s3.PutObjectAsync(put);
    }

    [Test]
    public async Task Copy_TwoSetupsSharingAStagingBucketWhoseOldKeysCollided_DeliversNothingIntoTheWrongBucket()
    {
        using Setups setups = await CreateSetupsAsync();
        string stagedKey = await StageForCustomerBAsync(setups);

        using (var copierY = new StagedBatchCopier(setups.Y, setups.ToAUnderB, StagingPeers.ServiceCredentials()))
        {
            StagedCopyResult y = await copierY.DrainAsync();
            Assert.That(y.Delivered, Is.Empty, "setup Y's copier does not see setup X's batch");
        }

        Assert.That(await StagingPeers.KeysAsync(setups.BucketA), Is.Empty, "nothing lands in customer A's bucket");
        Assert.That(await StagingPeers.KeysAsync(setups.Stage), Is.EqualTo(new[] { stagedKey }), "X's batch is still staged");

        using var copierX = new StagedBatchCopier(setups.X, setups.ToB, StagingPeers.ServiceCredentials());
        StagedCopyResult x = await copierX.DrainAsync();

        Assert.That(x.AllDelivered, Is.True);
        Assert.That(x.DeliveredEvents, Is.EqualTo(Events));
        Assert.That(await Objects.MessageIdsAsync("segment-logs/", setups.BucketB), Is.EquivalentTo(Enumerable.Range(0, Events).Select(i => $"x-{i}")), "customer B gets its 20 events");
        Assert.That(await StagingPeers.KeysAsync(setups.BucketA), Is.Empty);
        Assert.That(await StagingPeers.KeysAsync(setups.Stage), Is.Empty);
    }

    [Test]
    public async Task Copy_WhenAStagedObjectsMetadataNamesAnotherBucket_SendsNothingCountsItAndLeavesIt()
    {
        using Setups setups = await CreateSetupsAsync();
        string stagedKey = await StageForCustomerBAsync(setups);

        // X's object, bytes and metadata, placed where Y's copier looks: only its metadata says it is not Y's.
        string customerKey = stagedKey[(stagedKey.IndexOf("/~", StringComparison.Ordinal) + 2 + setups.BucketB.Length + 1)..];
        string underY = StagingKeys.Staged(BucketLocation.Parse(setups.Stage), setups.ToAUnderB.Location, $"{setups.BucketB}/{customerKey}");
        await CopyStagedAsync(setups.Stage, stagedKey, underY, dropDestinationMetadata: false);
        var log = new CapturingLogger();
        using var metrics = new MetricsRecorder();
        using var copierY = new StagedBatchCopier(setups.Y, setups.ToAUnderB, StagingPeers.ServiceCredentials(), loggerFactory: log);

        StagedCopyResult first = await copierY.CopyOnceAsync(retryParkedNow: true);
        StagedCopyResult second = await copierY.CopyOnceAsync(retryParkedNow: true);

        Assert.That(first.Delivered, Is.Empty);
        Assert.That(first.UnconfirmedBatches, Is.EqualTo(1));
        Assert.That(second.UnconfirmedBatches, Is.EqualTo(1), "counted at every pass");
        Assert.That(first.AllDelivered, Is.False);
        Assert.That(await StagingPeers.KeysAsync(setups.BucketA), Is.Empty, "never sent");
        Assert.That(await StagingPeers.KeysAsync(setups.Stage), Is.EquivalentTo(new[] { stagedKey, underY }), "never deleted: left for a person");
        Assert.That(log.Lines.Where(l => l.StartsWith("Error: Staged object", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(1).And.All.Contain($"staged for s3://{setups.BucketB}/"), "logged once, with the bucket it was staged for");
        Assert.That(metrics.Named("rawdata.staging.unconfirmed").Sum(m => m.Value), Is.EqualTo(1));
    }

    [Test]
    public async Task Copy_AnObjectOfTheOldLayout_IsLeftByEveryCopierWhoseOldPrefixHoldsIt()
    {
        using Setups setups = await CreateSetupsAsync();
        string stagedKey = await StageForCustomerBAsync(setups);

        // What an earlier version staged for setup X: '{A}/{B}/segment-logs/…', no destination metadata. Setup Y's old
        // prefix ('' + A + '/' + B + '/segment-logs/') holds the very same key.
        string oldKey = stagedKey.Replace("/~", "/", StringComparison.Ordinal);
        await CopyStagedAsync(setups.Stage, stagedKey, oldKey, dropDestinationMetadata: true);
        await CopyStagedAsync(setups.Stage, stagedKey, oldKey + ".parked.json", dropDestinationMetadata: true);
        var log = new CapturingLogger();
        using var copierX = new StagedBatchCopier(setups.X, setups.ToB, StagingPeers.ServiceCredentials(), loggerFactory: log);
        using var copierY = new StagedBatchCopier(setups.Y, setups.ToAUnderB, StagingPeers.ServiceCredentials(), loggerFactory: log);

        StagedCopyResult y = await copierY.DrainAsync();
        StagedCopyResult x = await copierX.DrainAsync();

        Assert.That(y.Delivered, Is.Empty);
        Assert.That(y.UnconfirmedBatches, Is.EqualTo(1));
        Assert.That(x.DeliveredEvents, Is.EqualTo(Events), "X's batch of the new layout is delivered");
        Assert.That(x.UnconfirmedBatches, Is.EqualTo(1), "the old-layout copy is left, even by the setup that wrote it");
        Assert.That(await StagingPeers.KeysAsync(setups.BucketA), Is.Empty);
        Assert.That(await StagingPeers.KeysAsync(setups.BucketB), Has.Count.EqualTo(1), "one object: the old-layout copy was not sent a second time");
        Assert.That(await StagingPeers.KeysAsync(setups.Stage), Is.EquivalentTo(new[] { oldKey, oldKey + ".parked.json" }), "the old-layout object and its marker stay");
        Assert.That(log.Lines.Where(l => l.Contains("the layout of earlier versions", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(2), "each copier says so once");
    }
}
