using System.IO.Compression;
using System.Text;

namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> over a spool holding a copy of one of its batches under a name the spool gives a batch (a journal
/// or a sealed file copied under a new batch id, or into another day's folder, as a restore or a <c>cp</c> while cleaning
/// up leaves it): the copy is set aside and named, the batch delivered once, in its own day's folder (QA-M M6: each copy
/// was delivered as a batch of its own, exit 0, without a word).
/// </summary>
[CancelAfter(120_000)]
public class ShipSpoolCopiesTests
{
    /// <summary>2023-11-24 and 2023-11-25 at 00:00 UTC, in Unix milliseconds: the spool's day folders (the events are of the first).</summary>
    private const string FirstDay = "1700784000000";
    private const string SecondDay = "1700870400000";

    [TestCase("journal")]
    [TestCase("sealed")]
    public async Task Ship_ACopyOfABatchUnderAnotherBatchIdAndInAnotherDaysFolder_SetsBothAsideNamingTheBatchAndDeliversItOnceInItsDay(string area)
    {
        using var folder = new TempDirectory("rawdata-spool-copies-");
        string source = $"spool-copies-{Guid.NewGuid():N}";
        string day = Path.Combine(folder.Path, area, source, FirstDay);
        Directory.CreateDirectory(day);
        Directory.CreateDirectory(Path.Combine(folder.Path, area, source, SecondDay));
        byte[] events = Encoding.UTF8.GetBytes(ShipRun.Events(120, "copied"));
        string batch;
        string underAnotherId;
        if (area == "journal")
        {
            batch = Path.Combine(day, $"{Guid.CreateVersion7()}.ndjson");
            underAnotherId = Path.Combine(day, $"{Guid.CreateVersion7()}.ndjson");
            await File.WriteAllBytesAsync(batch, events);
        }
        else
        {
            batch = Path.Combine(day, $"1700800000000.{Guid.CreateVersion7()}.gz");
            underAnotherId = Path.Combine(day, $"1700800000000.{Guid.CreateVersion7()}.gz");
            using var bytes = new MemoryStream();
            await using (var gzip = new GZipStream(bytes, CompressionLevel.Optimal, leaveOpen: true))
            {
                await gzip.WriteAsync(events);
            }

            await File.WriteAllBytesAsync(batch, bytes.ToArray());
        }

        string inAnotherDay = Path.Combine(folder.Path, area, source, SecondDay, Path.GetFileName(batch));
        File.Copy(batch, underAnotherId);
        File.Copy(batch, inAnotherDay);
        File.SetLastWriteTimeUtc(batch, DateTime.UtcNow.AddHours(-1)); // the batch before its copies, as a cp leaves them

        string stderr;
        await using (ShipRun run = ShipRun.Start(RawdataPeers.Ship(source, "--spool-dir", folder.Path)))
        {
            await run.WriteAsync(string.Empty, close: true);
            await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That(run.ExitCode, Is.EqualTo(0), run.Transcript);
            stderr = run.Stderr;
        }

        foreach (string copy in new[] { underAnotherId, inAnotherDay })
        {
            string warning = stderr.Split('\n').Single(line => line.Contains($"'{copy}'", StringComparison.Ordinal));
            Assert.That(warning, Does.Contain($"is a copy of the batch '{batch}'").And.Contain("was not delivered").And.Contain("do not ship it"), warning);
            Assert.That(File.Exists(copy), Is.False, "set aside, out of the spool's batches");
        }

        Dictionary<string, string[]> objects = await RawdataPeers.ReadAllAsync(RawdataPeers.Bucket, $"segment-logs/{source}/");
        Assert.That(objects.Keys, Has.Count.EqualTo(1).And.All.Contain($"/{FirstDay}/"), "one object, in the events' day folder");
        Assert.That(await RawdataPeers.MessageIdsAsync(source), Has.Count.EqualTo(120).And.Unique, "the batch delivered once");
    }
}
