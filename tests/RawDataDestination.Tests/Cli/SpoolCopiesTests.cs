using RawDataDestination.Cli;

namespace RawDataDestination.Tests.Cli;

/// <summary>
/// <see cref="SpoolCopies"/>: of the files of the spool with the same bytes one is kept, the one a round record names
/// first, and every other set aside; files of other bytes, and two journals round records both name, are all kept.
/// </summary>
public class SpoolCopiesTests
{
    private const string Day = "1700784000000";

    [Test]
    public void SetAside_TheCopyIsOlderThanTheJournalRoundRecordsName_KeepsTheRecordedOne()
    {
        using var spool = new TempDirectory("rawdata-copies-unit-");
        string folder = Path.Combine(spool.Path, "journal", "src", Day);
        Directory.CreateDirectory(folder);
        string recorded = Path.Combine(folder, $"{Guid.CreateVersion7()}.ndjson");
        string copy = Path.Combine(folder, $"{Guid.CreateVersion7()}.ndjson");
        string other = Path.Combine(folder, $"{Guid.CreateVersion7()}.ndjson");
        File.WriteAllText(recorded, "{\"messageId\":\"a\",\"receivedAt\":\"2023-11-24T10:00:00Z\"}\n");
        File.Copy(recorded, copy);
        File.WriteAllText(other, "{\"messageId\":\"b\",\"receivedAt\":\"2023-11-24T10:00:00Z\"}\n");
        File.SetLastWriteTimeUtc(copy, DateTime.UtcNow.AddHours(-1));

        IReadOnlyList<SpoolCopy> copies = SpoolCopies.SetAside(spool.Path, new HashSet<string> { Path.GetRelativePath(spool.Path, recorded) }, DateTimeOffset.UtcNow);

        Assert.That(copies.Select(set => (set.Was, set.Of)), Is.EqualTo(new[] { (copy, recorded) }));
        Assert.That((File.Exists(recorded), File.Exists(copy), File.Exists(other)), Is.EqualTo((true, false, true)));
        Assert.That(SpoolCopies.IsCopy(copies[0].Target) && File.Exists(copies[0].Target), Is.True, copies[0].Target);
    }

    [Test]
    public void SetAside_TwoJournalsOfTheSameBytesBothRecorded_KeepsBoth()
    {
        // The input held those lines twice: both batches are real.
        using var spool = new TempDirectory("rawdata-copies-unit-");
        string folder = Path.Combine(spool.Path, "journal", "src", Day);
        Directory.CreateDirectory(folder);
        string first = Path.Combine(folder, $"{Guid.CreateVersion7()}.ndjson");
        string second = Path.Combine(folder, $"{Guid.CreateVersion7()}.ndjson");
        File.WriteAllText(first, "{\"messageId\":\"a\",\"receivedAt\":\"2023-11-24T10:00:00Z\"}\n");
        File.Copy(first, second);

        IReadOnlyList<SpoolCopy> copies = SpoolCopies.SetAside(spool.Path, new HashSet<string> { Path.GetRelativePath(spool.Path, first), Path.GetRelativePath(spool.Path, second) }, DateTimeOffset.UtcNow);

        Assert.That(copies, Is.Empty);
        Assert.That(File.Exists(first) && File.Exists(second), Is.True);
    }
}
