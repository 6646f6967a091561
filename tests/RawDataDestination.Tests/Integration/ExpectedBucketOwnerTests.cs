namespace RawDataDestination.Tests.Integration;

/// <summary>
/// <see cref="S3RoleDestinationOptions.ExpectedBucketOwner"/> against moto with IAM enforced, whose peer refuses a
/// request expecting another owner than the bucket's as AWS does (tests/peers/moto-with-aws-rules.py, rule 5), read on
/// the wire through the fault proxy: the right owner lands the objects and every PutObject carries the header; another
/// account writes nothing and the batch is refused for good; unset, no header.
/// </summary>
public class ExpectedBucketOwnerTests
{
    private const string Header = "x-amz-expected-bucket-owner";
    private const string AnotherAccount = "111122223333";

    private static bool IsPut(ProxyRequest request) => request.Method == "PUT";

    private static byte[] Event(string id) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"messageId\":\"{id}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}");

    [Test]
    public async Task Upload_ExpectingTheBucketsOwner_LandsTheObjectAndThePutCarriesTheHeader()
    {
        await using ProxiedUpload upload = await ProxiedUpload.UploadAsync("owner", "o", o => o.ExpectedBucketOwner = AccountSetup.AccountId);
        var (proxy, _, batch, uploaded) = upload;

        Assert.That(await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, uploaded.Key), Is.EqualTo(batch.ReadAllBytes()));
        Assert.That(proxy.Log.Where(l => IsPut(l.Request)).Select(l => l.Request.Headers.GetValueOrDefault(Header)), Is.EqualTo(new[] { AccountSetup.AccountId }));
    }

    [Test]
    public async Task VerifyAsync_ExpectingTheBucketsOwner_PassesAndTheProbeCarriesTheHeader()
    {
        await using FaultProxy proxy = MotoFaults.Proxy(_ => ProxyAction.Forward);
        using S3RoleDestination destination = Destinations.Through(proxy, o => o.ExpectedBucketOwner = AccountSetup.AccountId);

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.Succeeded, Is.True, report.ToString());
        Assert.That(report.Steps[2].Message, Does.Contain($"expecting account {AccountSetup.AccountId} to own the bucket"));
        Assert.That(proxy.Log.Where(l => IsPut(l.Request)).Select(l => l.Request.Headers.GetValueOrDefault(Header)), Is.EqualTo(new[] { AccountSetup.AccountId }));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Flush_ExpectingAnotherOwner_WritesNothingAndRefusesTheBatchForGoodNamingTheExpectedOwner()
    {
        await using FaultProxy proxy = MotoFaults.Proxy(_ => ProxyAction.Forward);
        string source = Objects.UniqueSource("not-owner");
        S3RoleDestinationOptions options = Destinations.Options(s3Url: proxy.ServiceUrl.ToString());
        options.ExpectedBucketOwner = AnotherAccount;
        options.RetryTimeLimit = TimeSpan.FromMinutes(5);
        using S3RoleDestination destination = Destinations.Create(options);
        var buffer = new BatchBuffer(new BatchBufferOptions { RetryBudget = TimeSpan.FromMinutes(5), ShutdownTimeout = TimeSpan.FromSeconds(1) }, destination);
        await buffer.AppendAsync(source, Event("n-1"));
        var clock = Stopwatch.StartNew();

        var error = Assert.ThrowsAsync<BatchDeliveryException>(async () => await buffer.FlushAsync());

        clock.Stop();
        DeliveryStatus status = buffer.GetStatus();
        var puts = proxy.Log.Where(l => IsPut(l.Request)).ToList();
        await buffer.DisposeAsync(); // the shutdown tries the refused batch once more
        Assert.That(error!.InnerException, Is.InstanceOf<DestinationException>());
        var refused = (DestinationException)error.InnerException!;
        Assert.That((refused.ErrorCode, refused.IsPermanent), Is.EqualTo(("AccessDenied", true)));
        Assert.That(refused.Message, Does.Contain($"bucket '{SharedPeers.Bucket}' may not be owned by account {AnotherAccount}, which ExpectedBucketOwner names"));
        Assert.That(status.RefusedBatches, Is.EqualTo(1));
        Assert.That(puts, Has.Count.EqualTo(1), "refused once, not retried");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "given up at the refusal, not at the end of the 5-minute budget");
        Assert.That(proxy.Log.Where(l => IsPut(l.Request)).Select(l => l.Request.Headers.GetValueOrDefault(Header)), Is.All.EqualTo(AnotherAccount));
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{source}/"), Is.Empty, "nothing written");
    }

    [Test]
    public async Task VerifyAsync_ExpectingAnotherOwner_FailsTheProbeNamingTheExpectedOwnerAndWritesNothing()
    {
        string prefix = Objects.UniqueSource("owner-probe"); // a probe key of its own: no other test writes it
        await SharedPeers.AllowRoleToWriteAsync(SharedPeers.Bucket, prefix);
        await using FaultProxy proxy = MotoFaults.Proxy(_ => ProxyAction.Forward);
        using S3RoleDestination destination = Destinations.Through(proxy, o => (o.Bucket, o.ExpectedBucketOwner) = ($"{SharedPeers.Bucket}/{prefix}", AnotherAccount));

        SetupCheckReport report = await destination.VerifyAsync();

        Assert.That(report.Succeeded, Is.False);
        Assert.That((report.Steps[2].Outcome, report.Steps[2].ErrorCode), Is.EqualTo((SetupCheckOutcome.Failed, "AccessDenied")));
        Assert.That(report.Steps[2].Message, Does.Contain($"may not be owned by account {AnotherAccount}"));
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, destination.ProbeObjectKey), Is.Empty, "no probe written");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task StagedCopy_CarriesTheExpectedOwner_DeliveringToTheBucketsOwnerAndParkingForAnotherAccount()
    {
        // The copier writes through the destination it is given (UploadAsync), so its PUTs carry that destination's expected owner.
        string stage = await StagingPeers.NewBucketAsync("stage");
        string customer = await StagingPeers.NewBucketAsync("customer");
        await using FaultProxy customerSide = MotoFaults.Proxy(_ => ProxyAction.Forward);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        StagingOptions staging = StagingPeers.Options(stage);
        using S3RoleDestination owner = Destinations.Through(customerSide, o => (o.Bucket, o.ExpectedBucketOwner) = (customer, AccountSetup.AccountId));
        using S3RoleDestination another = Destinations.Through(customerSide, o => (o.Bucket, o.ExpectedBucketOwner) = (customer, AnotherAccount));

        await StageAsync(staging, owner, time, "first");
        using (var copier = new StagedBatchCopier(staging, owner, StagingPeers.ServiceCredentials(), time))
        {
            Assert.That((await copier.CopyOnceAsync()).AllDelivered, Is.True);
        }

        IReadOnlyList<string> delivered = await StagingPeers.KeysAsync(customer);
        await StageAsync(staging, another, time, "second");
        using (var copier = new StagedBatchCopier(staging, another, StagingPeers.ServiceCredentials(), time))
        {
            Assert.That((await copier.CopyOnceAsync()).ParkedBatches, Is.EqualTo(1), "refused for good: parked");
        }

        Assert.That(delivered, Has.Count.EqualTo(1));
        Assert.That(await StagingPeers.KeysAsync(customer), Is.EqualTo(delivered), "the second batch was not written");
        Assert.That(customerSide.Log.Where(l => IsPut(l.Request)).Select(l => l.Request.Headers.GetValueOrDefault(Header)), Is.EqualTo(new[] { AccountSetup.AccountId, AnotherAccount }));
    }

    /// <summary>Stages one event of a new source for <paramref name="destination"/>'s bucket.</summary>
    private static async Task StageAsync(StagingOptions staging, S3RoleDestination destination, TimeProvider time, string id)
    {
        using var consumer = new StagingConsumer(staging, destination.Location, StagingPeers.ServiceCredentials(), time);
        await using var buffer = new BatchBuffer(new BatchBufferOptions(), consumer, time);
        await buffer.AppendAsync(Objects.UniqueSource(id), Event(id));
        await buffer.FlushAsync();
    }

    [Test]
    public async Task Upload_WithoutAnExpectedOwner_SendsNoHeader()
    {
        await using ProxiedUpload upload = await ProxiedUpload.UploadAsync("no-owner", "n");
        var (proxy, destination, batch, uploaded) = upload;
        await destination.VerifyAsync();

        Assert.That(await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, uploaded.Key), Is.EqualTo(batch.ReadAllBytes()));
        Assert.That(proxy.Log.Where(l => IsPut(l.Request)).ToList(), Has.Count.EqualTo(2).And.All.Matches<(ProxyRequest Request, ProxyAction Action)>(l => !l.Request.Headers.ContainsKey(Header)));
    }
}
