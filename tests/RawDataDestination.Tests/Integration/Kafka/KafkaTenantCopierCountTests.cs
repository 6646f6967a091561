namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The worker's copiers count what they copied as it is copied: a stop in the middle of a pass still counts the staged
/// batches that pass delivered (and removed from the stage) before the stop.
/// </summary>
[CancelAfter(120_000)]
public class KafkaTenantCopierCountTests
{
    [Test]
    public async Task CopiedFromStage_WhenTheWorkerStopsMidPass_CountsTheBatchesThePassAlreadyDelivered()
    {
        // Six batches an earlier run staged for one tenant; the customer takes the first two PUTs and never answers the
        // others, so the copier's first pass has delivered two when the worker stops.
        string customer = await StagingPeers.NewBucketAsync("customer");
        string stage = await StagingPeers.NewBucketAsync("stage");
        string source = Objects.UniqueSource("stopped");
        int puts = 0;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            request.Method == "PUT" && Interlocked.Increment(ref puts) > 2 ? ProxyAction.Stall : ProxyAction.Forward);
        S3RoleDestinationOptions defaults = Destinations.Options(s3Url: proxy.ServiceUrl.ToString());
        defaults.ResponseTimeout = TimeSpan.FromMinutes(10);
        var tenant = new TenantOptions { Region = defaults.Region, Bucket = customer, RoleArn = defaults.RoleArn, ExternalId = defaults.ExternalId };
        tenant.Sources.Add(source);
        var tenants = new TenantDestinationsOptions { Defaults = defaults };
        tenants.Tenants.Add(tenant);
        StagingOptions staging = StagingPeers.Options(stage);
        staging.MaxConcurrentCopies = 1; // one batch at a time: two delivered, the third hanging
        using (var stager = new StagingConsumer(staging, BucketLocation.Parse(customer), StagingPeers.ServiceCredentials()))
        {
            for (int b = 0; b < 6; b++)
            {
                using SealedBatch batch = await TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), $"{{\"messageId\":\"b{b}\"}}");
                await stager.StageAsync(batch);
            }
        }

        TenantDelivery delivery = TenantDelivery.Create(new KafkaToS3Options(), tenants, staging, Destinations.BaseCredentials(), StagingPeers.ServiceCredentials(), null, null);
        delivery.Hold([0]); // as the worker does when the group gives it partition 0, of which these batches are (their ids are no topic's)
        var waited = Stopwatch.StartNew();
        while (Volatile.Read(ref puts) < 3)
        {
            Assert.That(waited.Elapsed, Is.LessThan(WorkerRuns.Limit), "the pass reached its third batch");
            await Task.Delay(50, CancellationToken.None);
        }

        await delivery.DisposeAsync().AsTask().WaitAsync(WorkerRuns.Limit); // the worker stops: the pass is cancelled

        Assert.That((await SharedPeers.S3.ListKeysAsync(customer)).Count, Is.EqualTo(2), "two staged batches reached the customer's bucket");
        Assert.That((await StagingPeers.KeysAsync(stage)).Count, Is.EqualTo(4), "and left the stage");
        Assert.That(delivery.CopiedFromStage, Is.EqualTo(2), "the summary's copied count includes them");
    }
}
