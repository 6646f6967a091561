namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// QA N1: batches staged under a tenant's earlier external id were counted in the last line as staged for a bucket "which no
/// tenant in --tenants takes", with the advice "list the tenant again, or deliver them with rawdata deliver-staged", which
/// fails once the customer rotated its external id. The last line names the tenant, both staging prefixes and the move.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3RotatedIdentityProcessTests
{
    [Test]
    public async Task KafkaToS3Program_WithABatchStagedUnderATenantsEarlierExternalId_EndsNamingTheTenantAndTheMoveToItsPrefixNow()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20);
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true);
        S3RoleDestinationOptions before = Destinations.Options(bucket: HeldTenantRun.TenantBucket(customers.Customer, 0), externalId: "ext-before-rotation");
        S3RoleDestinationOptions now = Destinations.Options(bucket: HeldTenantRun.TenantBucket(customers.Customer, 0));
        var location = BucketLocation.Parse(before.Bucket);
        using (var stager = new StagingConsumer(new StagingStore(StagingSettings.From(StagingPeers.Options(customers.Stage)), StagingPeers.ServiceCredentials()), location, TimeProvider.System, null, TenantIdentity.Of(before)))
        using (SealedBatch batch = await TestBatches.CreateAsync(topic.Source, new DateOnly(2023, 11, 24), "{\"messageId\":\"rotated-1\"}"))
        {
            await stager.StageAsync(batch);
        }

        (int exitCode, string stdout, string stderr) = await customers.RunToEndAsync("rotated-identity");
        TestContext.Out.WriteLine(stdout + "\n--- stderr ---\n" + stderr);

        string last = stdout.TrimEnd().Split('\n')[^1];
        string from = StagingKeys.DestinationPrefix(BucketLocation.Parse(customers.Stage), location, TenantIdentity.Of(before).Tag);
        string to = StagingKeys.DestinationPrefix(BucketLocation.Parse(customers.Stage), location, TenantIdentity.Of(now).Tag);
        Assert.That(exitCode, Is.EqualTo(0), stderr);
        Assert.That(last, Does.Contain($"1 more batch of tenant {topic.Source} staged under an earlier identity of its bucket (s3://{customers.Stage}/{from}), not its identity in --tenants now (s3://{customers.Stage}/{to})"), last);
        Assert.That(last, Does.Contain($"move those objects to s3://{customers.Stage}/{to}"), last);
        Assert.That(last, Does.Not.Contain("which no tenant in --tenants takes"), "not counted as a bucket no tenant lists\n" + last);
    }
}
