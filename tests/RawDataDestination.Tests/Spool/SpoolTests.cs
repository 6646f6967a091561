namespace RawDataDestination.Tests.Spool;

public class SpoolTests : SpoolDirectoryTests
{
    private BatchBuffer Create(ISealedBatchConsumer consumer, Action<BatchBufferOptions>? configure = null, TimeProvider? time = null, string? directory = null)
    {
        var options = new BatchBufferOptions { SpoolDirectory = directory ?? SpoolPath };
        configure?.Invoke(options);
        return new BatchBuffer(options, consumer, time ?? new FakeTimeProvider(Start));
    }

    [Test]
    public async Task Dispose_WhenDeliveryFails_KeepsBatchInSpoolAndNextStartDeliversItWithTheSameKey()
    {
        var failing = new RecordingConsumer { FailuresToInject = int.MaxValue };
        var time = new FakeTimeProvider(Start);
        var buffer = Create(failing, time: time);
        await buffer.AppendAsync("src", Event(1));
        await buffer.AppendAsync("src", Event(2));
        await time.DriveAsync(buffer.DisposeAsync().AsTask(), TimeSpan.FromSeconds(1)); // 30 s of failed retries, then the deadline

        string spooled = Directory.EnumerateFiles(Path.Combine(SpoolPath, "sealed"), "*.gz", SearchOption.AllDirectories).Single();
        var consumer = new RecordingConsumer();
        await using (var next = Create(consumer))
        {
            await next.FlushAsync();
        }

        DeliveredBatch delivered = consumer.Batches.Single();
        Assert.That(delivered.FileName, Is.EqualTo(Path.GetFileName(spooled)), "the original key");
        Assert.That(delivered.Cause, Is.EqualTo(SealCause.Recovered));
        Assert.That(delivered.Lines.Select(l => l.Split('"')[3]), Is.EqualTo(new[] { "m-1", "m-2" }));
        Assert.That(SpooledFiles(SpoolPath), Is.Empty, "deleted once delivered");
    }

    [Test]
    public async Task Journal_AfterACrash_RecoversEveryAcknowledgedEventAndCutsATornTail()
    {
        string crashed = Directory.CreateTempSubdirectory("rawdata-crash-").FullName;
        try
        {
            var buffer = Create(new RecordingConsumer());
            for (int i = 0; i < 500; i++)
            {
                await buffer.AppendAsync(i % 2 == 0 ? "even" : "odd", Event(i)); // acknowledged: on disk
            }

            // The state a kill -9 leaves: the journals as they are on disk, and a line torn half-way.
            CopyDirectory(SpoolPath, crashed);
            string journal = Directory.EnumerateFiles(Path.Combine(crashed, "journal"), "*.ndjson", SearchOption.AllDirectories).First();
            await File.AppendAllTextAsync(journal, "{\"messageId\":\"torn\",\"rece");
            await buffer.DisposeAsync();

            var consumer = new RecordingConsumer();
            await using (var recovered = Create(consumer, directory: crashed))
            {
                await recovered.FlushAsync();
            }

            var ids = consumer.AllLines.Select(l => l.Split('"')[3]).ToList();
            Assert.That(ids, Is.EquivalentTo(Enumerable.Range(0, 500).Select(i => $"m-{i}")));
            Assert.That(consumer.Batches.Select(b => b.Cause), Is.All.EqualTo(SealCause.Recovered));
        }
        finally
        {
            Directory.Delete(crashed, recursive: true);
        }
    }

    [Test]
    public async Task Append_WhenSpoolIsFullAndFailModeSet_RefusesWithSpoolFullException()
    {
        var failing = new RecordingConsumer { FailuresToInject = int.MaxValue };
        await using var buffer = Create(failing, o =>
        {
            o.MaxSpoolBytes = 1024 * 1024;
            o.SpoolFullMode = SpoolFullMode.Fail;
            o.ShutdownTimeout = TimeSpan.Zero; // deliveries keep failing: stop at once
            o.CompressionLevel = System.IO.Compression.CompressionLevel.NoCompression;
        });
        byte[] big = Encoding.UTF8.GetBytes("{\"receivedAt\":\"2023-11-24T10:00:00Z\",\"pad\":\"" + new string('x', 30_000) + "\"}");

        var error = Assert.ThrowsAsync<SpoolFullException>(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                await buffer.AppendAsync("src", big);
            }
        });

        Assert.That(error!.Message, Does.Contain("MaxSpoolBytes"));
    }

    [Test]
    public async Task Dispose_WhenShutdownDeadlinePasses_LeavesPendingBatchesInSpoolForTheNextStart()
    {
        var time = new FakeTimeProvider(Start);
        var hanging = new HangingConsumer();
        var buffer = Create(hanging, o => o.ShutdownTimeout = TimeSpan.FromSeconds(5), time);
        await buffer.AppendAsync("src", Event(1));
        await buffer.AppendAsync("other", Event(2));

        Task disposing = buffer.DisposeAsync().AsTask();
        await hanging.Started;
        time.Advance(TimeSpan.FromSeconds(5));
        await disposing;

        Assert.That(Directory.EnumerateFiles(Path.Combine(SpoolPath, "sealed"), "*.gz", SearchOption.AllDirectories).Count(), Is.EqualTo(2));
        var consumer = new RecordingConsumer();
        await using (var next = Create(consumer))
        {
            await next.FlushAsync();
        }

        Assert.That(consumer.AllLines.Select(l => l.Split('"')[3]), Is.EquivalentTo(new[] { "m-1", "m-2" }));
    }

    /// <summary>The spool's files but its lock file.</summary>
    private static IEnumerable<string> SpooledFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Where(path => Path.GetFileName(path) != "spool.lock");

    [Test]
    public async Task Constructor_WhenTheSpoolIsInUse_RefusesNamingTheDirectory()
    {
        await using var first = Create(new RecordingConsumer());

        InvalidOperationException? refused = Assert.Throws<InvalidOperationException>(() => Create(new RecordingConsumer()));

        Assert.That(refused!.Message, Does.Contain(SpoolPath).And.Contain("SpoolDirectory of its own"));
    }

    [Test]
    public async Task Constructor_OnAReadOnlyDisk_SaysSoNotThatTheSpoolIsInUse()
    {
        // A read-only or full folder fails the lock file's open too; it was reported as "in use by another batch
        // buffer", and the user waited for a run that did not exist.
        await using SmallDisk? disk = await SmallDisk.TryMountAsync(Path.Combine(SpoolPath, "read-only"), 65536);
        if (disk is null)
        {
            Assert.Ignore("needs Linux and root, to mount a small disk (tmpfs) and make it read-only");
        }

        await disk.MakeReadOnlyAsync();

        IOException? refused = Assert.Throws<IOException>(() => Create(new RecordingConsumer(), directory: disk.Folder));
        Assert.That(refused!.Message, Does.Contain("Read-only file system").And.Not.Contain("in use"), refused.Message);
    }

    [Test]
    public async Task Constructor_AfterTheBufferUsingTheSpoolIsDisposed_TakesItOver()
    {
        await (Create(new RecordingConsumer())).DisposeAsync();

        await using var second = Create(new RecordingConsumer());

        Assert.That(File.Exists(Path.Combine(SpoolPath, "spool.lock")), Is.True);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in SpooledFiles(from))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
