using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// Random interleavings of appends, flushes, scheduled seals, outages, kill points and restarts over one spool. A kill
/// point keeps what is on disk at that moment (the spool folder copied, as <c>kill -9</c> leaves it) and carries on from
/// the copy with a new buffer; the killed buffer delivers nothing more. At the end, with the customer's bucket up, one
/// last start flushes. No acknowledged event is lost, none lands under two keys, and the counts add up: the bucket
/// holds exactly the acknowledged events, and nothing is left open, undelivered or quarantined.
/// </summary>
[CancelAfter(600_000)]
public class SpoolInterleavingProperties
{
    private enum Step
    {
        Append,
        Flush,
        Seal,
        Outage,
        Kill,
        Restart,
    }

    private static readonly Gen<(Step Step, int Source, int Count)[]> Steps =
        Gen.Select(Gen.Enum<Step>(), Gen.Int[0, 2], Gen.Int[1, 40]).Array[1, 14];

    [Test]
    public void Steps_InAnyOrder_LoseNothingDuplicateNothingAndAddUp() =>
        Steps.Sample(steps => RunAsync(steps).GetAwaiter().GetResult(), iter: 100, threads: 1, print: Print);

    /// <summary>
    /// The seeds of the failures found, kept. <c>ego0GX0xxOC1</c> (Append, Kill, Restart, ..., Kill, Restart, Flush): a
    /// buffer disposed before its recovery ended let that recovery go on after the spool's lock was released, beside the
    /// next buffer's, and one journal was sealed by both, under two keys. The others failed in this test's own harness
    /// (a flush after an outage longer than the retry budget; copies of the spool that ran beside a seal; <c>bFsyCsyT0fm1</c>,
    /// a stop that came before recovery ended, when the test asked the status to count what recovery had not reached).
    /// <c>3tbAeWy0woa1</c> (Seal, ..., Append, Restart, ...): the schedule's tick ran late, beside the append, and the stop
    /// did not wait for its seal: the stopped buffer counted the event as open, and its seal went on behind the stop.
    /// </summary>
    [TestCase("ego0GX0xxOC1")]
    [TestCase("a1iSaIiNdEs1")]
    [TestCase("2k_0tHpI0471")]
    [TestCase("7wc36YOeT_e1")]
    [TestCase("1MQlhyOsZW71")]
    [TestCase("eGT02hB_36B1")]
    [TestCase("cBJ6XrmHnPc1")]
    [TestCase("bFsyCsyT0fm1")]
    [TestCase("3tbAeWy0woa1")]
    public void Steps_OfAFailureFound_LoseNothingDuplicateNothingAndAddUp(string seed) =>
        Steps.Sample(steps => RunAsync(steps).GetAwaiter().GetResult(), seed: seed, iter: 1, threads: 1, print: Print);

    private static string Print((Step Step, int Source, int Count)[] steps) =>
        string.Join(", ", steps.Select(s => s.Step == Step.Append ? $"Append(src-{s.Source}, {s.Count})" : s.Step.ToString()));

    private static async Task RunAsync((Step Step, int Source, int Count)[] steps)
    {
        var run = new Run();
        try
        {
            foreach ((Step step, int source, int count) in steps)
            {
                switch (step)
                {
                    case Step.Append:
                        await run.AppendAsync($"src-{source}", count);
                        break;
                    case Step.Flush:
                        await run.FlushAsync();
                        break;
                    case Step.Seal:
                        await run.SealOnScheduleAsync();
                        break;
                    case Step.Outage:
                        run.Bucket.Down = !run.Bucket.Down;
                        break;
                    case Step.Kill:
                        await run.KillAsync();
                        break;
                    case Step.Restart:
                        await run.RestartAsync();
                        break;
                }

                AssertFailingLanesCountedRight(run.Buffer);
            }

            run.Bucket.Down = false;
            await run.RestartAsync();
            await run.FlushAsync();
            DeliveryStatus status = run.Buffer.GetStatus();
            AssertFailingLanesCountedRight(run.Buffer);

            Assert.That(status.OpenEvents, Is.Zero);
            Assert.That(status.UndeliveredEvents, Is.Zero);
            Assert.That(status.QuarantinedFiles, Is.Zero, "everything in the spool was its own");
            var byId = run.Bucket.Objects.SelectMany(o => o.Value.Select(id => (Id: id, Key: o.Key))).GroupBy(p => p.Id).ToList();
            Assert.That(byId.Where(g => g.Count() > 1).Select(g => $"{g.Key} in {string.Join(" and ", g.Select(p => p.Key))}"), Is.Empty, "no event under two keys, nor twice in one");
            Assert.That(byId.Select(g => g.Key), Is.EquivalentTo(run.Acknowledged), "every acknowledged event, and only those");
        }
        finally
        {
            await run.DisposeAsync();
        }
    }

    /// <summary>The failing lanes' share of the spool is checked against a total kept as lanes fail and recover: they must be what summing every lane gives.</summary>
    private static void AssertFailingLanesCountedRight(BatchBuffer buffer)
    {
        (long kept, long summed) = buffer.FailingLanesSpoolCheck();
        Assert.That(kept, Is.EqualTo(summed), "the failing lanes' spooled bytes, kept and summed");
    }

    /// <summary>The customer's bucket: one object per key (a second PUT of a key replaces it), and an outage switch.</summary>
    private sealed class Bucket
    {
        public ConcurrentDictionary<string, string[]> Objects { get; } = new(StringComparer.Ordinal);

        public volatile bool Down;
    }

    /// <summary>One buffer's consumer: writes to the bucket while the bucket is up and the buffer has not been killed.</summary>
    private sealed class Consumer(Bucket bucket) : ISealedBatchConsumer
    {
        public volatile bool Killed;

        public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
        {
            if (Killed || bucket.Down)
            {
                throw new IOException(Killed ? "killed" : "the bucket is down");
            }

            string[] ids = [.. Gzip.Lines(batch.ReadAllBytes()).Select(line => line.Split('"')[3])];
            bucket.Objects[$"{batch.SourceId}/{batch.ReceivedDay:yyyy-MM-dd}/{batch.FileName}"] = ids;
            return Task.FromResult(BatchReceipt.For(batch, "bucket:" + batch.FileName));
        }
    }

    private sealed class Run : IAsyncDisposable
    {
        private readonly FakeTimeProvider _time = new(Start);
        private readonly List<string> _directories = [];
        private Consumer _consumer;
        private int _next;

        public Run()
        {
            _directories.Add(Directory.CreateTempSubdirectory("rawdata-prop-steps-").FullName);
            (Buffer, _consumer) = Open();
        }

        public Bucket Bucket { get; } = new();

        public BatchBuffer Buffer { get; private set; }

        public HashSet<string> Acknowledged { get; } = new(StringComparer.Ordinal);

        private string Folder => _directories[^1];

        public async Task AppendAsync(string source, int count)
        {
            for (int i = 0; i < count; i++)
            {
                string id = $"e-{_next++}";
                await Buffer.AppendAsync(source, Encoding.UTF8.GetBytes($"{{\"messageId\":\"{id}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\",\"pad\":\"{new string('p', 40)}\"}}")).AsTask().WaitAsync(Bound);
                Acknowledged.Add(id);
            }
        }

        /// <summary>
        /// A flush while the bucket is down would wait for it: only then is it made, driving the retries' clock. A batch that
        /// failed through a long outage is past its retry budget, and the flush says so at once while its retries go on:
        /// the flush is then made again.
        /// </summary>
        public async Task FlushAsync()
        {
            if (Bucket.Down)
            {
                return;
            }

            try
            {
                await _time.DriveAsync(Buffer.FlushAsync(), TimeSpan.FromSeconds(5));
            }
            catch (BatchDeliveryException)
            {
                await _time.DriveUntilAsync(() => Buffer.GetStatus().UndeliveredEvents == 0, TimeSpan.FromSeconds(5));
                await _time.DriveAsync(Buffer.FlushAsync(), TimeSpan.FromSeconds(5));
            }
        }

        /// <summary>
        /// The schedule fires (every hour at minute 40): every open batch is sealed, saved and its journal deleted. Waiting
        /// for all of that (not only for no batch to be open) keeps the kill points where a copy of the folder is what a
        /// kill leaves: the copy is not atomic, so it must not run beside a seal.
        /// </summary>
        public async Task SealOnScheduleAsync()
        {
            _time.Advance(TimeSpan.FromHours(1));
            using var deadline = new CancellationTokenSource(Bound);
            while (Buffer.GetStatus().OpenEvents > 0
                || Directory.EnumerateFiles(Path.Combine(Folder, "journal"), "*", SearchOption.AllDirectories).Any()
                || Directory.EnumerateFiles(Path.Combine(Folder, "tmp")).Any())
            {
                await Task.Delay(5, deadline.Token);
            }
        }

        /// <summary>kill -9: what is on disk now is all the next start has; the killed buffer's deliveries land nowhere.</summary>
        public async Task KillAsync()
        {
            _consumer.Killed = true;
            string copy = Directory.CreateTempSubdirectory("rawdata-prop-steps-").FullName;
            CopyWhatIsOnDisk(Folder, copy);
            BatchBuffer killed = Buffer;
            _directories.Add(copy);
            (Buffer, _consumer) = Open();
            await killed.DisposeAsync().AsTask().WaitAsync(Bound); // only to release it: its folder is no longer used
        }

        /// <summary>
        /// A stop and a start. At the stop no event is left open (every open batch is sealed, however short the deadline),
        /// and every undelivered event the status reports is in the spool's sealed files (which may hold more: a recovery
        /// the deadline cut short leaves what it did not reach there, for the next start, and says so in the log).
        /// </summary>
        public async Task RestartAsync()
        {
            await Buffer.DisposeAsync().AsTask().WaitAsync(Bound);
            DeliveryStatus stopped = Buffer.GetStatus();
            long onDisk = Directory.EnumerateFiles(Path.Combine(Folder, "sealed"), "*.gz", SearchOption.AllDirectories).Sum(file => (long)Gzip.Lines(File.ReadAllBytes(file)).Length);
            Assert.That(stopped.OpenEvents, Is.Zero, "no event left open at a stop");
            Assert.That(stopped.UndeliveredEvents, Is.LessThanOrEqualTo(onDisk), "what the stop reports undelivered is in the spool");
            (Buffer, _consumer) = Open();
        }

        public async ValueTask DisposeAsync()
        {
            _consumer.Killed = true;
            await Buffer.DisposeAsync().AsTask().WaitAsync(Bound);
            foreach (string directory in _directories)
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        /// <summary>
        /// Copies the spool as a kill leaves it, though the buffer may still be sealing or recovering: journals first, then
        /// delivered markers, then sealed files, each folder listed when its turn comes. Every step of the spool that
        /// replaces one file by another writes the new one before it deletes the old (a sealed file before its journal's
        /// delete, a marker before its sealed file's), so copying the old one's folder first never misses both, as a
        /// crash between the two steps leaves them. The killed buffer's deliveries fail from the start of the copy, so
        /// none can delete a sealed file whose journal was copied. tmp/ is what a start discards; spool.lock, the OS's.
        /// </summary>
        private static void CopyWhatIsOnDisk(string from, string to)
        {
            foreach (string folder in (string[])["journal", "delivered", "sealed", "quarantine"])
            {
                string root = Path.Combine(from, folder);
                if (!Directory.Exists(root))
                {
                    continue;
                }

                foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    string target = Path.Combine(to, Path.GetRelativePath(from, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    try
                    {
                        File.Copy(file, target);
                    }
                    catch (FileNotFoundException)
                    {
                        // Deleted while the copy ran: as if killed after the delete.
                    }
                }
            }
        }

        private (BatchBuffer, Consumer) Open()
        {
            var consumer = new Consumer(Bucket);
            var options = new BatchBufferOptions { SpoolDirectory = Folder, MaxBatchBytes = 2048, MaxEventBytes = 1024, ShutdownTimeout = TimeSpan.Zero };
            return (new BatchBuffer(options, consumer, _time), consumer);
        }
    }
}
