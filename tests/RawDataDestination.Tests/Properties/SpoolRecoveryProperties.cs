using System.Security.Cryptography;
using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// Recovery over random spool contents: the spool's own sealed files and journals mixed with what it did not write
/// (FIFOs, links to files and folders outside, garbage under its names, a huge journal with no newline, stray folders).
/// Recovery always ends; it uploads every event of the spool's own files exactly once and nothing else; it deletes
/// nothing it did not write, and quarantines each such thing.
/// </summary>
[CancelAfter(300_000)]
public class SpoolRecoveryProperties
{
    private enum Kind
    {
        OwnSealed,
        OwnJournal,
        OwnJournalTornTail,
        Fifo,
        FileLink,
        FolderLink,
        GarbageSealed,
        GarbageJournal,
        HugeJournal,
        StrayFolder,
    }

    private static readonly Gen<(Kind Kind, int Source, int Events)[]> Contents =
        Gen.Select(Gen.Enum<Kind>(), Gen.Int[0, 2], Gen.Int[1, 30]).Array[0, 12];

    [Test]
    public void Recover_OverRandomSpoolContents_UploadsOnlyItsOwnOnceDeletesNothingElseAndEnds()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("FIFOs and these links are Unix cases");
        }

        Contents.Sample(contents => RecoverAsync(contents).GetAwaiter().GetResult(), iter: 60, threads: 1, print: p => string.Join(", ", p));
    }

    private static async Task RecoverAsync((Kind Kind, int Source, int Events)[] contents)
    {
        string spool = Directory.CreateTempSubdirectory("rawdata-prop-spool-").FullName;
        string outside = Directory.CreateTempSubdirectory("rawdata-prop-outside-").FullName;
        try
        {
            var own = new List<string>();
            var foreign = new List<string>(); // what stands in the spool and is not the spool's: each must survive, somewhere
            for (int plant = 0; plant < contents.Length; plant++)
            {
                (Kind kind, int source, int events) = contents[plant];
                string batchId = $"0190f0a0-0000-7000-8000-{plant:D12}";
                string folder = $"src-{source}/{Day}";
                string[] ownLines = [.. Enumerable.Range(0, events).Select(i => Line($"own-{plant}-{i}"))];
                string[] foreignLines = [.. Enumerable.Range(0, events).Select(i => Line($"foreign-{plant}-{i}"))];
                switch (kind)
                {
                    case Kind.OwnSealed:
                        byte[] gzip = Gzip.Ndjson(ownLines);
                        string sealedPath = Write(spool, $"sealed/{folder}/1700820000000.{batchId}.gz", gzip);
                        await File.WriteAllTextAsync(sealedPath + ".sha256", Convert.ToBase64String(SHA256.HashData(gzip)));
                        own.AddRange(ownLines);
                        break;
                    case Kind.OwnJournal:
                        Write(spool, $"journal/{folder}/{batchId}.ndjson", Encoding.UTF8.GetBytes(string.Concat(ownLines.Select(l => l + "\n"))));
                        own.AddRange(ownLines);
                        break;
                    case Kind.OwnJournalTornTail:
                        Write(spool, $"journal/{folder}/{batchId}.ndjson", Encoding.UTF8.GetBytes(string.Concat(ownLines.Select(l => l + "\n")) + ownLines[0][..10]));
                        own.AddRange(ownLines);
                        break;
                    case Kind.Fifo:
                        string fifo = Path.Combine(spool, source == 0 ? $"sealed/{folder}/1700820000000.{batchId}.gz" : $"journal/{folder}/{batchId}.ndjson");
                        Directory.CreateDirectory(Path.GetDirectoryName(fifo)!);
                        MakeFifo(fifo);
                        foreign.Add(fifo);
                        break;
                    case Kind.FileLink:
                        string target = Write(outside, $"file-{plant}", source == 0 ? Gzip.Ndjson(foreignLines) : Encoding.UTF8.GetBytes(string.Concat(foreignLines.Select(l => l + "\n"))));
                        string link = Path.Combine(spool, source == 0 ? $"sealed/{folder}/1700820000000.{batchId}.gz" : $"journal/{folder}/{batchId}.ndjson");
                        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
                        File.CreateSymbolicLink(link, target);
                        foreign.Add(link);
                        break;
                    case Kind.FolderLink:
                        Write(outside, $"tree-{plant}/{Day}/1700820000000.{batchId}.gz", Gzip.Ndjson(foreignLines));
                        Write(outside, $"tree-{plant}/{Day}/{batchId}.ndjson", Encoding.UTF8.GetBytes(string.Concat(foreignLines.Select(l => l + "\n"))));
                        string folderLink = Path.Combine(spool, source == 0 ? "sealed" : "journal", $"linked-{plant}");
                        Directory.CreateDirectory(Path.GetDirectoryName(folderLink)!);
                        Directory.CreateSymbolicLink(folderLink, Path.Combine(outside, $"tree-{plant}"));
                        foreign.Add(folderLink);
                        break;
                    case Kind.GarbageSealed:
                        foreign.Add(Write(spool, $"sealed/{folder}/1700820000000.{batchId}.gz", Encoding.UTF8.GetBytes(foreignLines[0])));
                        break;
                    case Kind.GarbageJournal:
                        foreign.Add(Write(spool, $"journal/{folder}/{batchId}.ndjson", Encoding.UTF8.GetBytes("not json at all\n" + string.Concat(foreignLines.Select(l => l + "\n")))));
                        break;
                    case Kind.HugeJournal:
                        string huge = Write(spool, $"journal/{folder}/{batchId}.ndjson", []);
                        using (FileStream file = File.OpenWrite(huge))
                        {
                            file.SetLength(events * (1L << 20)); // sparse: megabytes of zeros, no newline
                        }

                        foreign.Add(huge);
                        break;
                    case Kind.StrayFolder:
                        string stray = Path.Combine(spool, $"sealed/{folder}/1700820000000.{batchId}.gz");
                        Directory.CreateDirectory(stray);
                        File.WriteAllLines(Path.Combine(stray, "inside.ndjson"), foreignLines);
                        foreign.Add(stray);
                        break;
                }
            }

            Dictionary<string, byte[]> outsideBefore = Directory.EnumerateFiles(outside, "*", SearchOption.AllDirectories).ToDictionary(p => p, File.ReadAllBytes);
            var consumer = new RecordingConsumer();
            var buffer = new BatchBuffer(new BatchBufferOptions { SpoolDirectory = spool, MaxEventBytes = 4096, MaxBatchBytes = 64 * 1024 }, consumer, new FakeTimeProvider(Start), new Microsoft.Extensions.Logging.Logger<BatchBuffer>(new CapturingLogger()));
            await buffer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)); // recovery ends by itself
            DeliveryStatus status = buffer.GetStatus();
            await buffer.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

            List<string> uploaded = [.. consumer.AllLines];
            Assert.That(uploaded, Is.EquivalentTo(own), "each of its own events once, nothing else");
            Assert.That(status.QuarantinedFiles, Is.EqualTo(foreign.Count), "each thing it did not write, quarantined");
            string[] quarantined = Directory.Exists(Path.Combine(spool, "quarantine")) ? Directory.GetFileSystemEntries(Path.Combine(spool, "quarantine")) : [];
            foreach (string planted in foreign)
            {
                string flat = Path.GetRelativePath(spool, planted).Replace(Path.DirectorySeparatorChar, '_');
                Assert.That(quarantined.Count(q => q.EndsWith("-" + flat, StringComparison.Ordinal)), Is.EqualTo(1), planted + " moved, not deleted");
            }

            foreach ((string path, byte[] bytes) in outsideBefore)
            {
                Assert.That(File.ReadAllBytes(path), Is.EqualTo(bytes), path + " behind a link, untouched");
            }
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
            Directory.Delete(outside, recursive: true);
        }
    }

    private static string Line(string id) => $"{{\"messageId\":\"{id}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}";

    private static string Write(string root, string relative, byte[] content)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static void MakeFifo(string path)
    {
        using Process process = Process.Start("mkfifo", path);
        process.WaitForExit(10_000);
        Assert.That(process.ExitCode, Is.Zero, "mkfifo " + path);
    }
}
