namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The worker's settings out of their ranges, refused when its delivery is built (the program: exit 2), each naming the
/// setting, its value, its range and its default. Polly checks a circuit breaker's options only when a tenant's pipeline
/// is built, at every direct attempt: a break of 0.1 s failed every attempt, and every batch went to the stage.
/// </summary>
public class KafkaToS3OptionsTests
{
    private static IEnumerable<TestCaseData> OutOfRange()
    {
        yield return Case(o => o.TenantBreakDuration = TimeSpan.FromMilliseconds(100), "TenantBreakDuration is 00:00:00.1000000; it must be at least 500 milliseconds and at most 1 day (the default is 1 minute).");
        yield return Case(o => o.TenantBreakDuration = TimeSpan.FromDays(2), "TenantBreakDuration is 2.00:00:00; it must be at least 500 milliseconds and at most 1 day (the default is 1 minute).");
        yield return Case(o => o.DirectRetryDelay = TimeSpan.FromSeconds(-1), "DirectRetryDelay is -00:00:01; it must be zero or more and at most 1 day (the default is 200 milliseconds).");
        yield return Case(o => o.DirectRetries = -1, "DirectRetries is -1; it must be 0 or more (the default is 1).");
        yield return Case(o => o.MaxConcurrentDeliveries = 0, "MaxConcurrentDeliveries is 0; it must be greater than 0 (the default is 8).");
        yield return Case(o => o.DirectStepAside = TimeSpan.Zero, "DirectStepAside is 00:00:00; it must be greater than zero and at most 1 hour (the default is 2 seconds).");
        yield return Case(o => o.MaxBatchRecords = 0, "MaxBatchRecords is 0; it must be greater than 0 (the default is 100,000).");
        yield return Case(o => o.HoldRetryDelay = TimeSpan.FromSeconds(-1), "HoldRetryDelay is -00:00:01; it must be greater than zero and at most 1 day (the default is 1 second).");
        yield return Case(o => o.HoldRetryMaxDelay = TimeSpan.Zero, "HoldRetryMaxDelay is 00:00:00; it must be greater than zero and at most 1 day (the default is 1 minute).");
        yield return Case(o => o.RetryTimeLimit = TimeSpan.FromSeconds(-1), "RetryTimeLimit is -00:00:01; it must be zero or more and at most 1 day (the default is 5 minutes).");

        static TestCaseData Case(Action<KafkaToS3Options> set, string message) =>
            new TestCaseData(set, message).SetArgDisplayNames(message[..message.IndexOf(' ', StringComparison.Ordinal)]);
    }

    [TestCaseSource(nameof(OutOfRange))]
    public void TenantDeliveryCreate_WithASettingOutOfRange_ThrowsNamingTheSettingItsRangeAndItsDefault(object set, string message)
    {
        var options = new KafkaToS3Options();
        ((Action<KafkaToS3Options>)set)(options); // an object: the options type is internal to the sample

        var error = Assert.Throws<ArgumentException>(() => TenantDelivery.Create(options, Tenants(), staging: null, baseCredentials: null, stagingCredentials: null, time: null, loggers: null).DisposeAsync().AsTask().Wait());

        Assert.That(error!.Message, Is.EqualTo(message));
    }

    [Test]
    public void TenantDeliveryCreate_WithSeveralSettingsOutOfRange_NamesEachOnItsOwnLine()
    {
        var options = new KafkaToS3Options { TenantBreakDuration = TimeSpan.Zero, MaxConcurrentDeliveries = -2 };

        var error = Assert.Throws<ArgumentException>(() => TenantDelivery.Create(options, Tenants(), staging: null, baseCredentials: null, stagingCredentials: null, time: null, loggers: null).DisposeAsync().AsTask().Wait());

        Assert.That(error!.Message.Split(Environment.NewLine), Is.EqualTo(new[]
        {
            "MaxConcurrentDeliveries is -2; it must be greater than 0 (the default is 8).",
            "TenantBreakDuration is 00:00:00; it must be at least 500 milliseconds and at most 1 day (the default is 1 minute).",
        }));
    }

    [Test]
    public async Task TenantDeliveryCreate_WithTheShortestBreakPollyTakes_DeliversDirectly()
    {
        // 500 ms is inside Polly's range: the tenant's pipeline is built and the batch goes to the customer's bucket.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(5);
        KafkaToS3Options options = topic.Options("shortest-break");
        options.TenantBreakDuration = TimeSpan.FromMilliseconds(500);
        string bucket = await topic.NewCustomerBucketAsync();
        await using TenantDelivery delivery = TenantDelivery.Create(options, topic.Tenants(_ => bucket + "/t00"), staging: null, Destinations.BaseCredentials(), stagingCredentials: null, time: null, loggers: null);
        KafkaToS3Worker worker = new(options, delivery);

        Assert.That(await worker.RunAsync(CancellationToken.None), Is.EqualTo(ExitCodes.Success));

        Assert.That(worker.ObjectsUploaded, Is.EqualTo(topic.BatchCount));
        Assert.That(worker.WindowsHeld, Is.Zero);
    }

    private static TenantDestinationsOptions Tenants()
    {
        var tenant = new TenantOptions { Region = "us-east-1", Bucket = "acme-logs", RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload", ExternalId = "acme-7f3a" };
        tenant.Sources.Add("web");
        var tenants = new TenantDestinationsOptions();
        tenants.Tenants.Add(tenant);
        return tenants;
    }
}
