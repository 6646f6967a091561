using RawDataDestination.Batching;
using RawDataDestination.Spool;

namespace RawDataDestination.Tests.Spool;

/// <summary>A journal write that fails (a full disk) leaves its event out of the batch.</summary>
public class JournalWriterTests
{
    private static readonly DateTimeOffset Start = new(2023, 11, 24, 10, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task Write_WhenTheJournalWriteFails_FailsTheAppendAndLeavesTheEventOutOfTheBatch()
    {
        if (!File.Exists("/dev/full"))
        {
            Assert.Ignore("needs /dev/full, whose writes fail with ENOSPC");
        }

        string directory = Directory.CreateTempSubdirectory("rawdata-journal-").FullName;
        try
        {
            using var spool = new BatchSpool(directory, 10 * 1024 * 1024, SpoolFullMode.Wait);
            var partition = new PartitionKey("src", new DateOnly(2023, 11, 24));
            string folder = Path.Combine(directory, "journal", "src", "1700784000000");
            Directory.CreateDirectory(folder);
            File.CreateSymbolicLink(Path.Combine(folder, "full-disk.ndjson"), "/dev/full"); // the journal this batch will open
            var batch = new OpenBatch(partition, Start, "full-disk", new BatchBufferOptions(), spool);

            batch.Write("{\"messageId\":\"lost\",\"receivedAt\":\"2023-11-24T10:00:00Z\"}"u8, stamp: null, out Task durable);

            Assert.ThrowsAsync<IOException>(async () => await durable, "the append fails: nothing acknowledged");
            Assert.That(batch.EventCount, Is.Zero);
            Assert.That(await batch.SealAsync(SealCause.Flush, Start), Is.Null, "no batch to deliver: the event is not in it");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
