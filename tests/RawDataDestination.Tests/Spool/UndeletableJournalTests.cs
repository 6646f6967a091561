namespace RawDataDestination.Tests.Spool;

/// <summary>
/// Issue 20: a journal that cannot be deleted (<c>chattr +i</c>) was sealed again at every second restart, under a new
/// key, so the bucket held its events twice. Whatever the restarts, its events are delivered under one key only.
/// </summary>
[CancelAfter(120_000)]
public class UndeletableJournalTests : SpoolDirectoryTests
{
    private const int Events = 2_000;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static string Line(int i) => $"{{\"messageId\":\"m-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}";

    /// <summary>Starts a buffer over the spool, flushes, stops; returns what it delivered and its status after the stop.</summary>
    private async Task<(List<DeliveredBatch> Delivered, DeliveryStatus Status)> RestartAsync(FakeTimeProvider time)
    {
        var consumer = new RecordingConsumer();
        var buffer = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = SpoolPath }, consumer, time, new Microsoft.Extensions.Logging.Logger<BatchBuffer>(new CapturingLogger()));
        await buffer.FlushAsync().WaitAsync(Bound);
        await buffer.DisposeAsync().AsTask().WaitAsync(Bound);
        time.Advance(TimeSpan.FromMinutes(1));
        return ([.. consumer.Batches], buffer.GetStatus());
    }

    /// <summary>Starts a buffer over the spool and appends the 2,000 events: one open batch, and its journal on disk.</summary>
    private async Task<(BatchBuffer Buffer, RecordingConsumer Consumer, string Journal)> OpenBatchAsync(FakeTimeProvider time)
    {
        var consumer = new RecordingConsumer();
        var buffer = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = SpoolPath }, consumer, time);
        for (int i = 0; i < Events; i++)
        {
            await buffer.AppendAsync("src", Encoding.UTF8.GetBytes(Line(i))).AsTask().WaitAsync(Bound);
        }

        return (buffer, consumer, Directory.EnumerateFiles(Path.Combine(SpoolPath, "journal"), "*.ndjson", SearchOption.AllDirectories).Single());
    }

    /// <summary>
    /// Five restarts over the spool (<see cref="RestartAsync"/>), each adding what it delivered to <paramref name="all"/>
    /// and leaving nothing to send; <paramref name="alsoAssert"/>, when given, checks more of each restart's status.
    /// </summary>
    private async Task RestartFiveTimesAsync(FakeTimeProvider time, List<DeliveredBatch> all, Action<int, DeliveryStatus>? alsoAssert = null)
    {
        for (int restart = 1; restart <= 5; restart++)
        {
            (List<DeliveredBatch> delivered, DeliveryStatus status) = await RestartAsync(time);
            all.AddRange(delivered);
            Assert.That(status.SpooledBatches, Is.Zero, $"restart {restart}: nothing left to send");
            alsoAssert?.Invoke(restart, status);
        }
    }

    /// <summary>Flushes and stops the buffer of <see cref="OpenBatchAsync"/>, adding what its consumer was sent to <paramref name="all"/>.</summary>
    private static async Task FlushAndStopAsync(BatchBuffer buffer, RecordingConsumer consumer, List<DeliveredBatch> all)
    {
        await buffer.FlushAsync().WaitAsync(Bound);
        await buffer.DisposeAsync().AsTask().WaitAsync(Bound);
        all.AddRange(consumer.Batches);
    }

    private static void AssertDeliveredOnceUnderOneKey(List<DeliveredBatch> all)
    {
        Assert.That(all.Select(b => b.FileName).Distinct().ToList(), Has.Count.EqualTo(1), "one key, whatever the restarts");
        var ids = all.GroupBy(b => b.FileName).Select(g => g.First()).SelectMany(b => b.Lines).Select(l => l.Split('"')[3]).ToList();
        Assert.That(ids, Is.EquivalentTo(Enumerable.Range(0, Events).Select(i => $"m-{i}")), "the 2,000 events, each once in the bucket");
    }

    [Test]
    public async Task Restart_FiveTimesOverAJournalThatCannotBeDeleted_DeliversIts2000EventsOnceUnderOneKey()
    {
        // What kill -9 mid-ship leaves: the journal of an open batch, 2,000 acknowledged lines.
        string folder = Path.Combine(SpoolPath, "journal", "src", Day);
        Directory.CreateDirectory(folder);
        string journal = Path.Combine(folder, "018c00ea-3c00-7000-8000-000000000001.ndjson");
        await File.WriteAllTextAsync(journal, string.Concat(Enumerable.Range(0, Events).Select(i => Line(i) + "\n")));
        var time = new FakeTimeProvider(Start);
        var all = new List<DeliveredBatch>();

        using (Undeletable.Make(journal))
        {
            await RestartFiveTimesAsync(time, all, (restart, status) =>
            {
                Assert.That(status.UndeliveredEvents, Is.Zero, $"restart {restart}");
                Assert.That(File.Exists(journal), Is.True, "it cannot be deleted, and nothing else removes it");
            });
        }

        AssertDeliveredOnceUnderOneKey(all);
        Assert.That(all, Has.Count.EqualTo(1), "sent once: later restarts find it marked delivered");
    }

    [Test]
    public async Task Restart_FiveTimesWhenTheOpenBatchsJournalBecameUndeletableBeforeItsSeal_SendsOnlyItsOneKey()
    {
        var time = new FakeTimeProvider(Start);
        (BatchBuffer buffer, RecordingConsumer first, string journal) = await OpenBatchAsync(time);
        var all = new List<DeliveredBatch>();
        using (Undeletable.Make(journal))
        {
            await FlushAndStopAsync(buffer, first, all); // sealed, delivered; its journal cannot go
            await RestartFiveTimesAsync(time, all);
        }

        AssertDeliveredOnceUnderOneKey(all);
        Assert.That(File.Exists(journal), Is.True);
    }

    [Test]
    public async Task Restart_FiveTimesAfterTheSealedFolderAndTheJournalBecameUnwritable_SendsTheBatchDeliveredFromMemoryOnce()
    {
        // Its save fails (sealed/ takes no new file), so the batch is delivered from memory; its journal, which cannot be
        // deleted, is the only thing on disk that holds its events. It was left unmarked, and the next start sealed it
        // again under a new key: every event twice in the bucket.
        var time = new FakeTimeProvider(Start);
        (BatchBuffer buffer, RecordingConsumer first, string journal) = await OpenBatchAsync(time);
        var all = new List<DeliveredBatch>();
        using (Undeletable.Make(journal))
        {
            using (Undeletable.Make(Path.Combine(SpoolPath, "sealed")))
            {
                await FlushAndStopAsync(buffer, first, all); // the save fails; delivered from memory; its journal cannot go
                Assert.That(Directory.EnumerateFiles(Path.Combine(SpoolPath, "sealed"), "*", SearchOption.AllDirectories), Is.Empty, "the save failed: the case this test is about");
            }

            await RestartFiveTimesAsync(time, all);

            Assert.That(File.Exists(journal), Is.True, "it cannot be deleted");
        }

        AssertDeliveredOnceUnderOneKey(all);
        Assert.That(all, Has.Count.EqualTo(1), "sent once, from memory: later restarts find its journal marked delivered");
    }

    [Test]
    public async Task Restart_FiveTimesOverASealedFileThatCannotBeDeletedAfterDelivery_SendsItOnceAndNamesTheFileToDelete()
    {
        // QA J4: a sealed batch left by an outage, then made undeletable (chattr +i), was sent again by every later start
        // and counted delivered again each time, with a warning that named nothing to do. Its batch is marked delivered.
        string folder = Path.Combine(SpoolPath, "sealed", "src", Day);
        Directory.CreateDirectory(folder);
        string batch = Path.Combine(folder, "1700820000000.018c00ea-3c00-7000-8000-000000000002.gz");
        await using (var gzip = new System.IO.Compression.GZipStream(File.Create(batch), System.IO.Compression.CompressionLevel.Optimal))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, Events).Select(i => Line(i) + "\n"))));
        }

        var time = new FakeTimeProvider(Start);
        var all = new List<DeliveredBatch>();
        var said = new List<IReadOnlyList<string>>();
        using (Undeletable.Make(batch))
        {
            for (int restart = 1; restart <= 5; restart++)
            {
                var consumer = new RecordingConsumer();
                var log = new CapturingLogger();
                var buffer = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = SpoolPath }, consumer, time, new Microsoft.Extensions.Logging.Logger<BatchBuffer>(log));
                await buffer.FlushAsync().WaitAsync(Bound);
                await buffer.DisposeAsync().AsTask().WaitAsync(Bound);
                time.Advance(TimeSpan.FromMinutes(1));
                all.AddRange(consumer.Batches);
                said.Add(log.Lines);
                Assert.That(buffer.GetStatus().SpooledBatches, Is.Zero, $"restart {restart}: nothing left to send");
                Assert.That(File.Exists(batch), Is.True, "it cannot be deleted, and nothing else removes it");
            }
        }

        AssertDeliveredOnceUnderOneKey(all);
        Assert.That(all, Has.Count.EqualTo(1), "sent once: later restarts find it marked delivered");
        Assert.That(said[0], Has.Some.Contains("marked delivered, so no restart sends it again").And.Some.Contains($"sealed file {batch} cannot be deleted"), string.Join("\n", said[0]));
        Assert.That(said[4], Has.Some.Contains($"The sealed file {batch} still cannot be deleted; an earlier run delivered its batch, so it is not sent again. Delete it"), string.Join("\n", said[4]));

        // Once it can be deleted, the next start deletes it and its marker, and sends nothing.
        var last = new RecordingConsumer();
        var lastBuffer = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = SpoolPath }, last, time);
        await lastBuffer.FlushAsync().WaitAsync(Bound);
        await lastBuffer.DisposeAsync().AsTask().WaitAsync(Bound);
        Assert.That((last.Batches.Count, File.Exists(batch), Directory.EnumerateFiles(SpoolPath, "*.delivered", SearchOption.AllDirectories).Count()), Is.EqualTo((0, false, 0)));
    }
}
