namespace RawDataDestination.Tests.Integration;

/// <summary>Staging and customer buckets of their own on the shared moto, and the service's own credentials for the staging side.</summary>
internal static class StagingPeers
{
    /// <summary>
    /// Creates a bucket with a fresh name, so each test sees only its own objects: a "stage" bucket the service's
    /// identity may use (put, get, delete, list), any other a customer bucket the customer's role may write to.
    /// </summary>
    public static async Task<string> NewBucketAsync(string role)
    {
        string bucket = $"{role}-{Guid.NewGuid():N}";
        if (role == "stage")
        {
            await SharedPeers.S3.Account.GrantStagingAsync(SharedPeers.Service, bucket);
        }
        else
        {
            await SharedPeers.AllowRoleToWriteAsync(bucket);
        }

        return bucket;
    }

    public static StagingOptions Options(string bucket, string? s3Url = null) => new()
    {
        Bucket = bucket,
        Region = "us-east-1",
        ServiceUrl = new Uri(s3Url ?? SharedPeers.S3.ServiceUrl),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>The operator's own key pair: plain credentials, no session token.</summary>
    public static AWSCredentials ServiceCredentials() => SharedPeers.ServiceCredentials();

    public static byte[] Event(string id) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"messageId\":\"{id}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}");

    /// <summary>
    /// Stages one batch of <paramref name="events"/> for <paramref name="destination"/> into <paramref name="staging"/>,
    /// for a fresh source named after <paramref name="source"/>, received 2023-11-24; returns its staged key.
    /// </summary>
    public static async Task<string> StageBatchAsync(StagingOptions staging, S3RoleDestination destination, string source, params string[] events)
    {
        using var consumer = new StagingConsumer(staging, destination.Location, ServiceCredentials());
        using SealedBatch batch = await TestBatches.CreateAsync(Objects.UniqueSource(source), new DateOnly(2023, 11, 24), events);
        return (await consumer.StageAsync(batch)).Key;
    }

    /// <summary>
    /// Parks the staged batch at <paramref name="key"/> of <paramref name="eventCount"/> events as a copier does once
    /// the customer refused it (AccessDenied, once), its next attempt a day away: its marker beside it.
    /// </summary>
    public static async Task ParkForADayAsync(StagingOptions staging, string key, long eventCount)
    {
        using var store = new StagingStore(StagingSettings.From(staging), ServiceCredentials());
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        await store.PutMarkerAsync(StagingKeys.Marker(key), new ParkedMarker("AccessDenied", "refused once", now, now, now, now.AddDays(1), 1, eventCount), CancellationToken.None);
    }

    /// <summary>Every key in a bucket, staged batches and markers alike.</summary>
    public static Task<IReadOnlyList<string>> KeysAsync(string bucket) => SharedPeers.S3.ListKeysAsync(bucket);
}

/// <summary>
/// A stage bucket and a customer bucket of their own (<see cref="StagingPeers.NewBucketAsync"/>), staging options over the
/// first and a destination that writes to the second as the customer's role: what a staging test starts from.
/// </summary>
internal sealed class StageAndCustomer : IDisposable
{
    private StageAndCustomer(string stage, string customer)
    {
        (Stage, Customer) = (stage, customer);
        Staging = StagingPeers.Options(stage);
        Destination = Destinations.Create(Destinations.Options(bucket: customer));
    }

    public string Stage { get; }

    public string Customer { get; }

    public StagingOptions Staging { get; }

    public S3RoleDestination Destination { get; }

    public static async Task<StageAndCustomer> CreateAsync()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        string customer = await StagingPeers.NewBucketAsync("customer");
        return new StageAndCustomer(stage, customer);
    }

    /// <summary>A consumer that stages batches for <see cref="Destination"/> into <see cref="Stage"/> with the service's own credentials.</summary>
    public StagingConsumer NewConsumer(TimeProvider? time = null) => new(Staging, Destination.Location, StagingPeers.ServiceCredentials(), time);

    /// <summary>Stages one batch of <paramref name="events"/> for a fresh source named after <paramref name="source"/>, received 2023-11-24, and returns its staged key.</summary>
    public Task<string> StageOneAsync(string source, params string[] events) => StagingPeers.StageBatchAsync(Staging, Destination, source, events);

    public void Deconstruct(out string stage, out string customer, out StagingOptions staging, out S3RoleDestination destination) =>
        (stage, customer, staging, destination) = (Stage, Customer, Staging, Destination);

    public void Dispose() => Destination.Dispose();
}
