using Microsoft.Extensions.Logging.Abstractions;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// QA N1: a tenant whose external id (or role, or expected owner) changed in the tenants file left its batches staged
/// under the old identity (<c>~BUCKET~OLDTAG/</c>), which no copier takes; the last line counted them with a bucket no
/// tenant lists and said "list the tenant again, or deliver them with rawdata deliver-staged", both of which fail once the
/// customer rotated its external id. They are counted apart, naming the tenant and the move to its prefix now that works;
/// never taken by the copier (the identity keeps another customer's bucket of the same name apart).
/// </summary>
[CancelAfter(60_000)]
public class KafkaStagedDeliveryRotatedTests
{
    [Test]
    public async Task CountLeftAsync_WithBatchesStagedUnderATenantsEarlierExternalId_NamesTheTenantAndTheMoveToItsPrefixNow()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        StagingOptions staging = StagingPeers.Options(stage);
        S3RoleDestinationOptions before = Destinations.Options(bucket: "rotated-customer", externalId: "ext-before");
        S3RoleDestinationOptions now = Destinations.Options(bucket: "rotated-customer", externalId: "ext-after");
        using (var stager = new StagingConsumer(new StagingStore(StagingSettings.From(staging), StagingPeers.ServiceCredentials()), BucketLocation.Parse("rotated-customer"), TimeProvider.System, null, TenantIdentity.Of(before)))
        using (SealedBatch batch = await TestBatches.CreateAsync("src-rotated", new DateOnly(2023, 11, 24), "{\"messageId\":\"a\"}"))
        {
            await stager.StageAsync(batch);
        }

        var sources = new Dictionary<string, IReadOnlySet<string>> { ["acme"] = new HashSet<string> { "src-rotated" } };
        await using var delivery = new StagedDelivery(staging, [new TenantDestination("acme", now)], StagingPeers.ServiceCredentials(), Destinations.BaseCredentials(), TimeProvider.System, NullLoggerFactory.Instance, sourcesOf: sources);
        StageLeft left = await delivery.CountLeftAsync(CancellationToken.None);

        BucketLocation location = BucketLocation.Parse(stage);
        Assert.That(left.Count, Is.Zero, "not the tenant's own: no copier takes them");
        Assert.That(left.Unowned, Is.Null, "not counted as a bucket no tenant lists");
        Assert.That(left.Rotated, Is.EqualTo(new Dictionary<RotatedIdentity, int>
        {
            [new RotatedIdentity(
                "acme",
                StagingKeys.DestinationPrefix(location, BucketLocation.Parse("rotated-customer"), TenantIdentity.Of(before).Tag),
                StagingKeys.DestinationPrefix(location, BucketLocation.Parse("rotated-customer"), TenantIdentity.Of(now).Tag))] = 1,
        }));
    }

    [Test]
    public async Task CountLeftAsync_WithBatchesOfAnotherIdentityOfASourceTheTenantDoesNotList_CountsThemUnowned()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        StagingOptions staging = StagingPeers.Options(stage);
        S3RoleDestinationOptions other = Destinations.Options(bucket: "same-name", externalId: "ext-other");
        using (var stager = new StagingConsumer(new StagingStore(StagingSettings.From(staging), StagingPeers.ServiceCredentials()), BucketLocation.Parse("same-name"), TimeProvider.System, null, TenantIdentity.Of(other)))
        using (SealedBatch batch = await TestBatches.CreateAsync("src-of-another-deployment", new DateOnly(2023, 11, 24), "{\"messageId\":\"a\"}"))
        {
            await stager.StageAsync(batch);
        }

        var sources = new Dictionary<string, IReadOnlySet<string>> { ["acme"] = new HashSet<string> { "src-acme" } };
        await using var delivery = new StagedDelivery(staging, [new TenantDestination("acme", Destinations.Options(bucket: "same-name"))], StagingPeers.ServiceCredentials(), Destinations.BaseCredentials(), TimeProvider.System, NullLoggerFactory.Instance, sourcesOf: sources);
        StageLeft left = await delivery.CountLeftAsync(CancellationToken.None);

        Assert.That(left.Rotated, Is.Null, "another source's batch is not named as the tenant's");
        Assert.That(left.Unowned, Has.Count.EqualTo(1));
    }
}

/// <summary>
/// The remedy the last line names for batches staged under a tenant's earlier identity works: moved (copied with their
/// metadata, the old object deleted) to the tenant's prefix now, they are delivered by its copier with its role and
/// external id now.
/// </summary>
[CancelAfter(90_000)]
public class KafkaStagedDeliveryRotatedMoveTests
{
    [Test]
    public async Task TenantCopier_AfterTheMoveTheLastLineNames_DeliversABatchStagedUnderTheTenantsEarlierExternalId()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        StagingOptions staging = StagingPeers.Options(stage);
        string source = "src-rotated-" + Guid.NewGuid().ToString("N")[..8];
        S3RoleDestinationOptions before = Destinations.Options(externalId: "ext-before-rotation");
        S3RoleDestinationOptions now = Destinations.Options();
        var location = BucketLocation.Parse(now.Bucket);
        using (var stager = new StagingConsumer(new StagingStore(StagingSettings.From(staging), StagingPeers.ServiceCredentials()), location, TimeProvider.System, null, TenantIdentity.Of(before)))
        using (SealedBatch batch = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), "{\"messageId\":\"rotated-1\"}"))
        {
            await stager.StageAsync(batch);
        }

        string from = StagingKeys.DestinationPrefix(BucketLocation.Parse(stage), location, TenantIdentity.Of(before).Tag);
        string to = StagingKeys.DestinationPrefix(BucketLocation.Parse(stage), location, TenantIdentity.Of(now).Tag);
        foreach (string key in await StagingPeers.KeysAsync(stage))
        {
            Assert.That(key, Does.StartWith(from));
            await SharedPeers.S3.Account.AdministratorS3.CopyObjectAsync(stage, key, stage, to + key[from.Length..]);
            await SharedPeers.S3.Account.AdministratorS3.DeleteObjectAsync(stage, key);
        }

        var log = new CapturingLogger();
        using var passes = new SemaphoreSlim(staging.MaxConcurrentCopies);
        using var stopping = new CancellationTokenSource();
        var copier = new TenantCopier(new TenantDestination("acme", now), staging, StagingPeers.ServiceCredentials(), Destinations.BaseCredentials(), passes, TimeProvider.System, log, sources: new HashSet<string> { source });
        copier.Wake(stopping.Token);
        await StagedCopierPaceTests.UntilAsync(() => copier.Copied == 1 || log.Lines.Any(l => l.Contains("parked", StringComparison.Ordinal)));
        await stopping.CancelAsync();
        await copier.StoppedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(copier.Copied, Is.EqualTo(1), "delivered by the tenant's copier with its values now\n" + string.Join("\n", log.Lines));
        Assert.That(await StagingPeers.KeysAsync(stage), Is.Empty, "nothing left staged");
    }
}
