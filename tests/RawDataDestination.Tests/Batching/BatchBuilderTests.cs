namespace RawDataDestination.Tests.Batching;

public class BatchBuilderTests
{
    private static readonly DateOnly Day = new(2023, 11, 24);
    private static readonly DateTimeOffset SealedAt = new(2023, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static byte[] Event(string body) => Encoding.UTF8.GetBytes(body);

    [Test]
    public async Task SealAsync_SameIdentityAndEvents_GivesSameFileNameAndBytes()
    {
        byte[] first = await BuildAsync("orders-3-0000001200");
        byte[] second = await BuildAsync("orders-3-0000001200");

        Assert.That(second, Is.EqualTo(first), "a replay with the same identity must rebuild the same object");
        Assert.That(Gzip.Lines(first), Is.EqualTo(new[]
        {
            "{\"messageId\":\"a\",\"receivedAt\":\"2023-11-24T09:00:00Z\"}",
            "{\"messageId\":\"b\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}",
        }));

        static async Task<byte[]> BuildAsync(string batchId)
        {
            var builder = new BatchBuilder("src", Day, batchId, SealedAt);
            await using (builder)
            {
                await builder.AppendAsync(Event("{\"messageId\":\"a\",\"receivedAt\":\"2023-11-24T09:00:00Z\"}"));
                await builder.AppendAsync(Event("{ \"messageId\" : \"b\" }"));
                using SealedBatch batch = await builder.SealAsync();
                Assert.That(batch.FileName, Is.EqualTo($"{SealedAt.ToUnixTimeMilliseconds()}.{batchId}.gz"));
                Assert.That(batch.EventCount, Is.EqualTo(2));
                return batch.ReadAllBytes();
            }
        }
    }

    [Test]
    public async Task AppendAsync_ThousandsOfBuildersOpenAtOnce_CostAboutTheirLinesNotACompressorEach()
    {
        // A Kafka worker holds a builder per source in each partition's window: with 2,000 sources it held 8,000, each
        // with a live deflate state (about 256 KB of native memory), and grew to 2 GB for 12 MB of records. The memory
        // asked of the system is measured (resident set), as native memory is not in the managed heap's counts.
        const int Builders = 2_000;
        var builders = new List<BatchBuilder>(Builders);
        GC.Collect();
        long before = Environment.WorkingSet;
        for (int i = 0; i < Builders; i++)
        {
            var builder = new BatchBuilder($"src-{i}", Day, $"b-{i}", SealedAt);
            await builder.AppendAsync(Event($"{{\"messageId\":\"m-{i}\",\"receivedAt\":\"2023-11-24T09:00:00Z\"}}"));
            builders.Add(builder);
        }

        long grown = Environment.WorkingSet - before;
        foreach (BatchBuilder builder in builders)
        {
            using SealedBatch batch = await builder.SealAsync();
            Assert.That(Gzip.Lines(batch.ReadAllBytes()), Has.Length.EqualTo(1));
            await builder.DisposeAsync();
        }

        Assert.That(grown, Is.LessThan(64L << 20), $"{grown / 1024 / 1024} MB for {Builders} open builders of one line each");
    }

    [Test]
    public async Task AppendAsync_EventOfAnotherDay_IsRefusedAndTheOthersStay()
    {
        var builder = new BatchBuilder("src", Day, "b1", SealedAt);
        await using (builder)
        {
            await builder.AppendAsync(Event("{\"n\":1}"));
            Assert.That(
                async () => await builder.AppendAsync(Event("{\"n\":2,\"receivedAt\":\"2023-11-25T00:00:00Z\"}")),
                Throws.TypeOf<EventRejectedException>()
                    .With.Property(nameof(EventRejectedException.Reason)).EqualTo(EventRejectionReason.InvalidReceivedAt)
                    .And.Message.Contains("2023-11-25").And.Message.Contains("2023-11-24"));
            await builder.AppendAsync(Event("{\"n\":3}"));
            using SealedBatch batch = await builder.SealAsync();
            Assert.That(Gzip.Lines(batch.ReadAllBytes()), Has.Length.EqualTo(2));
        }
    }

    [Test]
    public async Task Constructor_LongestIdWithLongestPrefixAndSourceId_KeyFitsS3Limit()
    {
        // The longest prefix BucketLocation accepts, the longest source id and the longest host-chosen batch id.
        int longestPrefix = Enumerable.Range(1, ObjectKeyLayout.MaxKeyBytes).Last(n => BucketLocation.TryParse("bkt/" + new string('p', n), out _));
        BucketLocation location = BucketLocation.Parse("bkt/" + new string('p', longestPrefix));
        string longestId = new('b', BatchNaming.MaxBatchIdLength);
        var builder = new BatchBuilder(new string('s', 128), new DateOnly(2286, 11, 20), longestId, BatchNaming.MaxSealedAt);
        await using (builder)
        {
            using SealedBatch batch = await builder.SealAsync();
            string key = ObjectKeyLayout.Build(location, batch.SourceId, batch.ReceivedDay, batch.FileName);
            Assert.That(Encoding.UTF8.GetByteCount(key), Is.LessThanOrEqualTo(ObjectKeyLayout.MaxKeyBytes));
        }
    }

    [Test]
    public void Constructor_IdLongerThanTheKeyBudget_IsRefusedSayingHowLongItMayBe() =>
        Assert.That(
            () => new BatchBuilder("src", Day, new string('b', BatchNaming.MaxBatchIdLength + 1), SealedAt),
            Throws.ArgumentException.With.Message.Contains("at most 64 characters").And.Message.Contains("1024"));

    [TestCase("")]
    [TestCase("a/b")]
    [TestCase("a.b")]
    [TestCase("ünï")]
    public void Constructor_InvalidId_IsRefused(string batchId) =>
        Assert.That(
            () => new BatchBuilder("src", Day, batchId, SealedAt),
            Throws.ArgumentException.With.Message.Contains("[A-Za-z0-9_-]"));

    [Test]
    public void Constructor_SealedAtBeforeEpoch_IsRefused() =>
        Assert.That(
            () => new BatchBuilder("src", Day, "b1", DateTimeOffset.UnixEpoch.AddMilliseconds(-1)),
            Throws.ArgumentException.With.Message.Contains("SealedAt").And.Message.Contains("1970-01-01"));

    [Test]
    public void Constructor_InvalidSourceId_IsRefused() =>
        Assert.That(() => new BatchBuilder("a/b", Day, "b1", SealedAt), Throws.ArgumentException.With.Message.Contains("SourceId"));

    [Test]
    public async Task AppendAsync_AfterSeal_Throws()
    {
        var builder = new BatchBuilder("src", Day, "b1", SealedAt);
        await using (builder)
        {
            using SealedBatch batch = await builder.SealAsync();
            Assert.That(async () => await builder.AppendAsync(Event("{}")), Throws.TypeOf<ObjectDisposedException>());
        }
    }
}
