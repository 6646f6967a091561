using Microsoft.Extensions.Logging.Abstractions;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// <see cref="StagedDelivery"/>'s count of what is left in the stage, which ends every run with <c>--stage-bucket</c>:
/// when the stage cannot be listed it says why, for the last line, and never throws (the run's exit code is decided by then).
/// </summary>
[CancelAfter(60_000)]
public class KafkaStagedDeliveryTests
{
    [Test]
    public async Task CountLeftAsync_WithNoAwsCredentials_SaysSoInsteadOfThrowing()
    {
        StagingOptions staging = StagingPeers.Options("ops-stage", RealAnswers.Refusing().ToString());
        await using var delivery = new StagedDelivery(staging, [Tenant("ops-customer")], new NoCredentialsFound(), Destinations.BaseCredentials(), TimeProvider.System, NullLoggerFactory.Instance);

        StageLeft left = await delivery.CountLeftAsync(CancellationToken.None);

        Assert.That(left, Is.EqualTo(StageLeft.NotListedFor("this service has no AWS credentials")));
    }

    [Test]
    public async Task CountLeftAsync_WhenTheServiceMayNotListTheStage_SaysItLacksListBucket()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using FaultProxy stagingSide = MotoFaults.Proxy(request =>
            request.Path.Contains("list-type=2", StringComparison.Ordinal) ? ProxyDecision.Response(403, "AccessDenied", "Access Denied") : ProxyAction.Forward);
        StagingOptions staging = StagingPeers.Options(stage, stagingSide.ServiceUrl.ToString());
        await using var delivery = new StagedDelivery(staging, [Tenant("ops-customer")], StagingPeers.ServiceCredentials(), Destinations.BaseCredentials(), TimeProvider.System, NullLoggerFactory.Instance);

        StageLeft left = await delivery.CountLeftAsync(CancellationToken.None);

        Assert.That(left, Is.EqualTo(StageLeft.NotListedFor("this service's credentials may not list it (s3:ListBucket)")));
    }

    [Test]
    public async Task CountLeftAsync_WhenTheStageRefusesConnections_SaysItCouldNotBeReachedAndWhy()
    {
        StagingOptions staging = StagingPeers.Options("ops-stage", RealAnswers.Refusing().ToString());
        await using var delivery = new StagedDelivery(staging, [Tenant("ops-customer")], StagingPeers.ServiceCredentials(), Destinations.BaseCredentials(), TimeProvider.System, NullLoggerFactory.Instance);

        StageLeft left = await delivery.CountLeftAsync(CancellationToken.None);

        Assert.That(left.Count, Is.Null);
        Assert.That(left.NotListed, Does.StartWith("it could not be reached (").And.Contain("refused"), "not the exception's type name");
    }

    [Test]
    public async Task CountLeftAsync_WithAStageItMayList_CountsNothingLeft()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using var delivery = new StagedDelivery(StagingPeers.Options(stage), [Tenant("ops-customer")], StagingPeers.ServiceCredentials(), Destinations.BaseCredentials(), TimeProvider.System, NullLoggerFactory.Instance);

        Assert.That(await delivery.CountLeftAsync(CancellationToken.None), Is.EqualTo(StageLeft.Listed(0)));
    }

    [Test]
    public async Task CountLeftAsync_WithBatchesStagedForABucketNoTenantListsNow_CountsThemApartNamingTheBucket()
    {
        // QA: a tenant removed from the file (or moved to another prefix) left its staged batches unseen: "(0 left there)".
        string stage = await StagingPeers.NewBucketAsync("stage");
        StagingOptions staging = StagingPeers.Options(stage);
        using (var removed = new StagingConsumer(staging, BucketLocation.Parse("removed-customer/logs"), StagingPeers.ServiceCredentials()))
        using (SealedBatch batch = await TestBatches.CreateAsync("src-removed", new DateOnly(2023, 11, 24), "{\"messageId\":\"a\"}"))
        {
            await removed.StageAsync(batch);
        }

        await using var delivery = new StagedDelivery(staging, [Tenant("ops-customer")], StagingPeers.ServiceCredentials(), Destinations.BaseCredentials(), TimeProvider.System, NullLoggerFactory.Instance);
        StageLeft left = await delivery.CountLeftAsync(CancellationToken.None);

        Assert.That(left.Count, Is.Zero, "none of the tenants'");
        Assert.That(left.Unowned, Is.EqualTo(new Dictionary<string, int> { ["removed-customer/logs"] = 1 }));
    }

    private static TenantDestination Tenant(string bucket) => new("acme", Destinations.Options(bucket: bucket));
}
