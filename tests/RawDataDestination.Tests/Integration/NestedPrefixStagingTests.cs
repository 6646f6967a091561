namespace RawDataDestination.Tests.Integration;

/// <summary>
/// Two destinations of one customer bucket staged into one staging bucket, where one's path prefix holds the other's
/// key prefix: <c>{bucket}/nest</c> (keys <c>nest/segment-logs/…</c>) and <c>{bucket}/nest/segment-logs/x</c> (keys
/// <c>nest/segment-logs/x/segment-logs/…</c>). The first's staging prefix lists the second's batches too; they are the
/// second's, so the first's copier leaves them without counting them, and the second's copier delivers them.
/// </summary>
[CancelAfter(120_000)]
public class NestedPrefixStagingTests
{
    private const string OuterPrefix = "nest";
    private const string InnerPrefix = "nest/segment-logs/x";

    private sealed record Nested(string Stage, string Customer, StagingOptions Staging, S3RoleDestination Outer, S3RoleDestination Inner, string OuterStaged, string InnerStaged) : IDisposable
    {
        public StagedBatchCopier Copier(S3RoleDestination destination, ILoggerFactory? log = null) =>
            new(Staging, destination, StagingPeers.ServiceCredentials(), loggerFactory: log);

        public void Dispose()
        {
            Outer.Dispose();
            Inner.Dispose();
        }
    }

    /// <summary>One batch staged for each destination, as <c>outer-{i}</c> and <c>inner-{i}</c>, and a parked marker beside the inner one.</summary>
    private static async Task<Nested> StageBothAsync()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        string customer = await StagingPeers.NewBucketAsync("customer");
        await SharedPeers.AllowRoleToWriteAsync(customer, OuterPrefix); // nest/segment-logs/*, which holds the inner destination's keys too
        StagingOptions staging = StagingPeers.Options(stage);
        S3RoleDestination outer = Destinations.Create(Destinations.Options(bucket: $"{customer}/{OuterPrefix}"));
        S3RoleDestination inner = Destinations.Create(Destinations.Options(bucket: $"{customer}/{InnerPrefix}"));
        string outerStaged = await StageAsync(staging, outer, "outer");
        string innerStaged = await StageAsync(staging, inner, "inner");
        await StagingPeers.ParkForADayAsync(staging, innerStaged, eventCount: 5);

        Assert.That(innerStaged, Does.StartWith(StagingKeys.DestinationPrefix(BucketLocation.Parse(stage), outer.Location)), "the inner destination's batch is under the outer one's staging prefix");
        return new Nested(stage, customer, staging, outer, inner, outerStaged, innerStaged);
    }

    private static Task<string> StageAsync(StagingOptions staging, S3RoleDestination destination, string name) =>
        StagingPeers.StageBatchAsync(staging, destination, name, [.. Enumerable.Range(0, 5).Select(i => $"{{\"messageId\":\"{name}-{i}\"}}")]);

    [Test]
    public async Task Drain_ForTheDestinationWhoseStagingPrefixHoldsAnothersBatches_DeliversItsOwnCountsNoneFailedAndLeavesTheOthers()
    {
        using Nested nested = await StageBothAsync();
        var log = new CapturingLogger();

        StagedCopyResult outer;
        using (StagedBatchCopier copier = nested.Copier(nested.Outer, log))
        {
            outer = await copier.DrainAsync();
        }

        Assert.That((outer.FailedBatches, outer.ParkedBatches, outer.UnconfirmedBatches), Is.EqualTo((0, 0, 0)), "the inner destination's batch is not the outer one's to count");
        Assert.That(outer.AllDelivered, Is.True, "rawdata deliver-staged would exit 0");
        Assert.That(outer.Delivered.Select(o => o.Key), Is.EqualTo(new[] { nested.OuterStaged[(nested.Customer.Length + 2)..] }));
        Assert.That(await StagingPeers.KeysAsync(nested.Stage), Is.EquivalentTo(new[] { nested.InnerStaged, StagingKeys.Marker(nested.InnerStaged) }), "the inner batch and its marker stay staged");
        Assert.That(log.Lines.Where(l => l.Contains(nested.InnerStaged, StringComparison.Ordinal)), Is.Empty, "left silently: it is another destination's");

        using (StagedBatchCopier copier = nested.Copier(nested.Inner))
        {
            StagedCopyResult inner = await copier.DrainAsync();
            Assert.That(inner.AllDelivered, Is.True);
            Assert.That(inner.Delivered.Select(o => o.Key), Is.EqualTo(new[] { nested.InnerStaged[(nested.Customer.Length + 2)..] }));
        }

        Assert.That(await StagingPeers.KeysAsync(nested.Stage), Is.Empty, "staging emptied, the marker included");
        Assert.That(await Objects.MessageIdsAsync($"{InnerPrefix}/segment-logs/", nested.Customer), Is.EquivalentTo(Enumerable.Range(0, 5).Select(i => $"inner-{i}")));
        Assert.That(await Objects.MessageIdsAsync($"{OuterPrefix}/segment-logs/", nested.Customer), Is.EquivalentTo(Enumerable.Range(0, 5).SelectMany(i => new[] { $"outer-{i}", $"inner-{i}" })), "each event once, each under its own destination's prefix");
    }

    [Test]
    public async Task Drain_ForTheDestinationWithTheLongerPrefixFirst_DeliversItsOwnAndLeavesTheOthersForItsCopier()
    {
        using Nested nested = await StageBothAsync();

        using (StagedBatchCopier copier = nested.Copier(nested.Inner))
        {
            StagedCopyResult inner = await copier.DrainAsync();
            Assert.That(inner.AllDelivered, Is.True);
            Assert.That(inner.Delivered.Select(o => o.Key), Is.EqualTo(new[] { nested.InnerStaged[(nested.Customer.Length + 2)..] }));
        }

        Assert.That(await StagingPeers.KeysAsync(nested.Stage), Is.EqualTo(new[] { nested.OuterStaged }));
        using (StagedBatchCopier copier = nested.Copier(nested.Outer))
        {
            StagedCopyResult outer = await copier.DrainAsync();
            Assert.That(outer.AllDelivered, Is.True);
            Assert.That(outer.Delivered.Select(o => o.Key), Is.EqualTo(new[] { nested.OuterStaged[(nested.Customer.Length + 2)..] }));
        }

        Assert.That(await StagingPeers.KeysAsync(nested.Stage), Is.Empty);
    }

    [Test]
    public async Task Copy_AnObjectOfTheOldLayoutForTheDestinationWithTheLongerPrefix_IsCountedByItsCopierOnly()
    {
        using Nested nested = await StageBothAsync();
        string oldKey = nested.InnerStaged[1..]; // the layout of earlier versions: no '~' before the customer's bucket
        using (AmazonS3Client s3 = SharedPeers.S3.CreateClient(StagingPeers.ServiceCredentials()))
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = nested.Stage, Key = oldKey, ContentBody = "staged by an earlier version", UseChunkEncoding = false });
        }

        StagedCopyResult outer, inner;
        using (StagedBatchCopier copier = nested.Copier(nested.Outer))
        {
            outer = await copier.CopyOnceAsync(retryParkedNow: true);
        }

        using (StagedBatchCopier copier = nested.Copier(nested.Inner))
        {
            inner = await copier.CopyOnceAsync(retryParkedNow: true);
        }

        Assert.That((outer.UnconfirmedBatches, outer.FailedBatches), Is.EqualTo((0, 0)), "under the outer destination's old prefix too, but not its batch");
        Assert.That(outer.AllDelivered, Is.True);
        Assert.That(inner.UnconfirmedBatches, Is.EqualTo(1), "the inner destination's copier still reports it");
        Assert.That(await StagingPeers.KeysAsync(nested.Stage), Is.EqualTo(new[] { oldKey }), "both delivered their batches; the old-layout object is left");
    }

    [Test]
    public async Task Copy_AnObjectUnderTheStagingPrefixThatIsNoDestinationsBatch_IsLeftWithAWarningAndNotCountedFailed()
    {
        using Nested nested = await StageBothAsync();
        string stray = StagingKeys.DestinationPrefix(BucketLocation.Parse(nested.Stage), nested.Outer.Location) + "notes.txt";
        using (AmazonS3Client s3 = SharedPeers.S3.CreateClient(StagingPeers.ServiceCredentials()))
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = nested.Stage, Key = stray, ContentBody = "not a batch", UseChunkEncoding = false });
        }

        var log = new CapturingLogger();
        using StagedBatchCopier copier = nested.Copier(nested.Outer, log);
        StagedCopyResult outer = await copier.CopyOnceAsync();

        Assert.That((outer.Delivered.Count, outer.FailedBatches), Is.EqualTo((1, 0)));
        Assert.That(await StagingPeers.KeysAsync(nested.Stage), Is.EquivalentTo(new[] { stray, nested.InnerStaged, StagingKeys.Marker(nested.InnerStaged) }), "left alone");
        Assert.That(log.Lines.Where(l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains(stray, StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(1), "said where, for a person");
    }
}
