using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// With a spool, appends in flight together (as rawdata keeps up to 256) over many sources and UTC days, under a small
/// <see cref="BatchBufferOptions.MaxOpenBatches"/>: at no moment does the buffer hold more files of its batches open
/// (journals, and the temporary files of seals) than MaxOpenBatches, and every event is delivered once. Before, the
/// batches being sealed were not counted, and a backfill over many days ran a process out of its open-file limit.
/// </summary>
[CancelAfter(600_000)]
public class OpenBatchBoundProperties
{
    /// <summary>The bound, how many appends are in flight at once, and each append's source and day.</summary>
    private static readonly Gen<(int MaxOpen, int InFlight, (int Source, int Day)[] Appends)> Runs =
        Gen.Select(Gen.Int[1, 4], Gen.Int[1, 32], Gen.Select(Gen.Int[0, 2], Gen.Int[0, 40]).Array[1, 300]);

    [Test]
    public void Appends_OverManyDaysInFlightTogether_NeverHoldMoreFilesThanMaxOpenBatchesAndDeliverEachEventOnce()
    {
        Assume.That(Directory.Exists("/proc/self/fd"), "the open files are read from /proc (Linux)");
        Runs.Sample(run => RunAsync(run.MaxOpen, run.InFlight, run.Appends).GetAwaiter().GetResult(), iter: 30, threads: 1, print: Print);
    }

    private static string Print((int MaxOpen, int InFlight, (int Source, int Day)[] Appends) run) =>
        $"MaxOpenBatches {run.MaxOpen}, {run.InFlight} in flight, {run.Appends.Length} appends: {string.Join(" ", run.Appends.Select(a => $"{a.Source}/{a.Day}"))}";

    private static async Task RunAsync(int maxOpen, int inFlight, (int Source, int Day)[] appends)
    {
        string folder = Directory.CreateTempSubdirectory("rawdata-prop-open-").FullName;
        try
        {
            var consumer = new RecordingConsumer();
            var options = new BatchBufferOptions { SpoolDirectory = folder, MaxOpenBatches = maxOpen };
            var time = new FakeTimeProvider(Start);
            int most = 0;
            await using (var buffer = new BatchBuffer(options, consumer, time))
            {
                var pending = new Queue<Task>();
                for (int i = 0; i < appends.Length; i++)
                {
                    (int source, int day) = appends[i];
                    string receivedAt = DateOnly.FromDateTime(Start.UtcDateTime).AddDays(-day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                    byte[] line = Encoding.UTF8.GetBytes($"{{\"messageId\":\"e-{i}\",\"receivedAt\":\"{receivedAt}T10:00:00.000Z\"}}");
                    pending.Enqueue(buffer.AppendAsync($"src-{source}", line).AsTask());
                    most = Math.Max(most, FilesOpenUnder(folder));
                    if (pending.Count >= inFlight)
                    {
                        await pending.Dequeue().WaitAsync(Bound);
                    }
                }

                while (pending.Count > 0)
                {
                    await pending.Dequeue().WaitAsync(Bound);
                    most = Math.Max(most, FilesOpenUnder(folder));
                }

                await time.DriveAsync(buffer.FlushAsync(), TimeSpan.FromSeconds(1));
                Assert.That(buffer.GetStatus() is { OpenEvents: 0, UndeliveredEvents: 0 }, Is.True, "nothing left open or undelivered");
            }

            Assert.That(most, Is.LessThanOrEqualTo(maxOpen), "files of batches open at once");
            List<string> ids = [.. consumer.AllLines.Select(line => line.Split('"')[3])];
            Assert.That(ids, Is.Unique, "nothing twice");
            Assert.That(ids, Is.EquivalentTo(Enumerable.Range(0, appends.Length).Select(i => $"e-{i}")), "every event");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>How many files under the spool's <c>journal/</c> and <c>tmp/</c> this process holds open now.</summary>
    private static int FilesOpenUnder(string folder)
    {
        string journal = Path.Combine(folder, "journal") + "/";
        string temp = Path.Combine(folder, "tmp") + "/";
        int open = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (File.ResolveLinkTarget(fd, returnFinalTarget: false)?.FullName is { } target && (target.StartsWith(journal, StringComparison.Ordinal) || target.StartsWith(temp, StringComparison.Ordinal)))
                {
                    open++;
                }
            }
            catch (IOException)
            {
                // closed while listed
            }
        }

        return open;
    }
}
