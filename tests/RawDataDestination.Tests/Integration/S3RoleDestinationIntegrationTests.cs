namespace RawDataDestination.Tests.Integration;

/// <summary>The whole path against real local peers: buffer, encoder, AssumeRole on the loopback STS, PutObject on s3rver.</summary>
public class S3RoleDestinationIntegrationTests
{
    private static string Event(string id, string receivedAt) =>
        $"{{\"type\":\"track\",\"messageId\":\"{id}\",\"event\":\"Order Completed\",\"properties\":{{\"revenue\":9.5,\"note\":\"caf\\u00e9 \\\"x\\\"\"}},\"receivedAt\":\"{receivedAt}\"}}";

    [Test]
    public async Task Ship_EventsLandAtDocumentedKeys_AndGunzipToExactlyTheAppendedEventsInOrder()
    {
        string source = Objects.UniqueSource("keys");
        var events = Enumerable.Range(0, 300).Select(i => Event($"m-{i}", "2023-11-24T10:00:00.000Z")).ToList();
        using (var destination = Destinations.Create(Destinations.Options()))
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { MaxBatchBytes = 20_000, MaxEventBytes = 1024 }, destination))
        {
            foreach (string json in events)
            {
                await buffer.AppendAsync(source, Encoding.UTF8.GetBytes(json));
            }

            await buffer.FlushAsync();
        }

        Dictionary<string, string[]> objects = await Objects.ReadAllAsync($"segment-logs/{source}/");
        Assert.That(objects.Keys, Has.All.Match($@"^segment-logs/{source}/1700784000000/\d{{13}}\.[0-9a-f]{{8}}-[0-9a-f]{{4}}-7[0-9a-f]{{3}}-[89ab][0-9a-f]{{3}}-[0-9a-f]{{12}}\.gz$"));
        Assert.That(objects, Has.Count.GreaterThan(1), "the size limit split the events");
        string[] lines = objects.OrderBy(o => o.Key, StringComparer.Ordinal).SelectMany(o => o.Value).ToArray();
        Assert.That(lines, Is.EqualTo(events), "every event, byte for byte, in order");
        string firstKey = objects.Keys.Order(StringComparer.Ordinal).First();
        byte[] raw = await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, firstKey);
        Assert.That(Encoding.UTF8.GetString(SystemGzip.Decompress(raw)), Is.EqualTo(string.Concat(objects[firstKey].Select(l => l + "\n"))), "the system gzip reads it too");
    }

    [Test]
    public async Task Ship_BatchAcrossUtcMidnight_MakesOneFolderPerDay()
    {
        string source = Objects.UniqueSource("midnight");
        using (var destination = Destinations.Create(Destinations.Options()))
        await using (var buffer = new BatchBuffer(new BatchBufferOptions(), destination))
        {
            await buffer.AppendAsync(source, Encoding.UTF8.GetBytes(Event("before", "2023-11-24T23:59:59.999Z")));
            await buffer.AppendAsync(source, Encoding.UTF8.GetBytes(Event("after", "2023-11-25T00:00:00.000Z")));
            await buffer.AppendAsync(source, Encoding.UTF8.GetBytes(Event("before-2", "2023-11-24T12:00:00.000Z")));
            await buffer.FlushAsync();
        }

        Dictionary<string, string[]> objects = await Objects.ReadAllAsync($"segment-logs/{source}/");
        Assert.That(objects.Keys.Select(k => k.Split('/')[2]).Order(), Is.EqualTo(new[] { "1700784000000", "1700870400000" }));
        Assert.That(Objects.MessageIds(objects.Single(o => o.Key.Contains("/1700784000000/", StringComparison.Ordinal)).Value), Is.EqualTo(new[] { "before", "before-2" }));
        Assert.That(Objects.MessageIds(objects.Single(o => o.Key.Contains("/1700870400000/", StringComparison.Ordinal)).Value), Is.EqualTo(new[] { "after" }));
    }

    [TestCase(SharedPeers.Bucket + "/path/prefix", "path/prefix/segment-logs/")]
    [TestCase(SharedPeers.Bucket + "/segment-logs/test", "segment-logs/test/segment-logs/")]
    [TestCase(SharedPeers.Bucket + "//trimmed/", "trimmed/segment-logs/")]
    public async Task Ship_WithPathPrefix_WritesUnderThePrefix(string bucketSetting, string expectedPrefix)
    {
        string source = Objects.UniqueSource("prefix");
        using (var destination = Destinations.Create(Destinations.Options(bucket: bucketSetting)))
        await using (var buffer = new BatchBuffer(new BatchBufferOptions(), destination))
        {
            await buffer.AppendAsync(source, Encoding.UTF8.GetBytes(Event("p-1", "2023-11-24T10:00:00Z")));
            await buffer.FlushAsync();
        }

        Dictionary<string, string[]> objects = await Objects.ReadAllAsync($"{expectedPrefix}{source}/");
        Assert.That(objects, Has.Count.EqualTo(1));
        Assert.That(objects.Single().Key, Does.StartWith($"{expectedPrefix}{source}/1700784000000/"));
    }

    [Test]
    public async Task Upload_WithWrongExternalId_FailsNamingTheTrustRelationship()
    {
        using var destination = Destinations.Create(Destinations.Options(externalId: "wrong-external-id"));
        using SealedBatch batch = await TestBatches.CreateAsync("src", new DateOnly(2023, 11, 24), "{}");

        var error = Assert.ThrowsAsync<DestinationException>(async () => await destination.UploadAsync(batch));

        Assert.That(error!.ErrorCode, Is.EqualTo("AccessDenied"));
        Assert.That(error.Message, Does.Contain("trust relationship").And.Contain("sts:ExternalId").And.Contain(SharedPeers.RoleArn));
    }

    [Test]
    public async Task Credentials_AreRefreshedBeforeTheyExpire_WithOneStsCallPerRefreshUnderConcurrentUploads()
    {
        // STS stamps expiry from the real clock; fake time starts there and moves ahead, so each later grant is made
        // long enough to still lie in the fake clock's future.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var destination = Destinations.Create(Destinations.Options(), time);
        int before = await SharedPeers.Sts.GetGrantedCountAsync();
        try
        {
            await UploadConcurrentlyAsync(destination, 12);
            Assert.That(await SharedPeers.Sts.GetGrantedCountAsync() - before, Is.EqualTo(1), "first use: one AssumeRole for 12 concurrent uploads");

            // 55 minutes in: inside the 5-minute refresh window before the 1-hour credentials (less the SDK's 1-minute buffer) expire.
            await SharedPeers.Sts.SetExpiryAsync(3 * 3600);
            time.Advance(TimeSpan.FromMinutes(55));
            await UploadConcurrentlyAsync(destination, 12);
            await WaitForGrantedAsync(before + 2);
            await UploadConcurrentlyAsync(destination, 12);
            Assert.That(await SharedPeers.Sts.GetGrantedCountAsync() - before, Is.EqualTo(2), "one background refresh, before expiry");
            Assert.That(destination.Credentials.SecondsUntilExpiry, Is.GreaterThan(60 * 60), "the refreshed credentials are in use");

            // Far past expiry: the next uploads wait for one blocking refresh.
            await SharedPeers.Sts.SetExpiryAsync(12 * 3600);
            time.Advance(TimeSpan.FromHours(4));
            await UploadConcurrentlyAsync(destination, 12);
            Assert.That(await SharedPeers.Sts.GetGrantedCountAsync() - before, Is.EqualTo(3), "one blocking refresh for 12 concurrent uploads");
        }
        finally
        {
            await SharedPeers.Sts.SetExpiryAsync(3600);
        }
    }

    private static async Task UploadConcurrentlyAsync(S3RoleDestination destination, int count)
    {
        string source = Objects.UniqueSource("refresh");
        SealedBatch[] batches = await Task.WhenAll(Enumerable.Range(0, count).Select(i => TestBatches.CreateAsync(source, new DateOnly(2023, 11, 24), Guid.NewGuid().ToString(), [Event($"r-{i}", "2023-11-24T10:00:00Z")])));
        await Task.WhenAll(batches.Select(b => destination.UploadAsync(b)));
        foreach (SealedBatch batch in batches)
        {
            batch.Dispose();
        }

        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{source}/"), Has.Count.EqualTo(count));
    }

    /// <summary>The background refresh runs on its own; wait for it (bounded), not for time.</summary>
    private static async Task WaitForGrantedAsync(int expected)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await SharedPeers.Sts.GetGrantedCountAsync() < expected)
        {
            await Task.Delay(20, deadline.Token);
        }
    }
}
