using RawDataDestination.Cli;

namespace RawDataDestination.Tests.Cli;

/// <summary>
/// What <c>ship</c> counts as left in its spool after a stop (<see cref="SpoolLeftovers"/>): journals, under either of
/// the names the spool gives them, but not those marked delivered, whose batch is in the bucket.
/// </summary>
public class SpoolLeftoversTests
{
    private const string BatchId = "0190f0a0-0000-7000-8000-000000000001";

    private static string Journal(TempDirectory spool, string name)
    {
        string path = Path.Combine(spool.Path, SpoolPaths.JournalFolder, "src", Day, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "{}\n");
        return path;
    }

    private static void MarkDelivered(TempDirectory spool)
    {
        string marker = Path.Combine(spool.Path, SpoolPaths.DeliveredFolder, "src", Day, BatchId + SpoolPaths.DeliveredExtension);
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        File.WriteAllText(marker, "1700820000000." + BatchId + ".gz");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Journals_OneUnderEitherName_CountsIt(bool renamedWithItsSealTime)
    {
        using var spool = new TempDirectory("rawdata-leftovers-");
        Journal(spool, renamedWithItsSealTime ? SpoolPaths.SealedJournalName(DateTimeOffset.FromUnixTimeMilliseconds(1_700_820_000_000), BatchId) : SpoolPaths.JournalName(BatchId));

        Assert.That(SpoolLeftovers.Journals(spool.Path), Is.EqualTo(1));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Journals_OneMarkedDeliveredUnderEitherName_CountsNone(bool renamedWithItsSealTime)
    {
        using var spool = new TempDirectory("rawdata-leftovers-");
        Journal(spool, renamedWithItsSealTime ? SpoolPaths.SealedJournalName(DateTimeOffset.FromUnixTimeMilliseconds(1_700_820_000_000), BatchId) : SpoolPaths.JournalName(BatchId));
        MarkDelivered(spool);

        Assert.That(SpoolLeftovers.Journals(spool.Path), Is.Zero, "its batch is in the bucket: the marker is named by its batch id");
    }
}
