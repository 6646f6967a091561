namespace RawDataDestination.Tests.Spool;

/// <summary>
/// QA O6: on a disk that hovers at full, "the spool's disk is full" (event 46) and "has room again" (47) alternated up to
/// 51 times a minute each, one pair per delivery. The pair is now said at most once a minute, the spells between counted
/// in the next line (event 75); a spell not said that lasts is said, so the last line about the disk stays true.
/// </summary>
public class SpoolDiskFullLinesTests : SpoolDirectoryTests
{
    private static readonly DateOnly Day = new(2023, 11, 24);

    private static IOException Full() => new("No space left on device", OperatingSystem.IsWindows() ? unchecked((int)0x80070070) : 28);

    private int _files;

    /// <summary>A write that goes through with room to spare: the disk marked full has room again.</summary>
    private async Task WriteAsync(BatchSpool spool)
    {
        using var content = new MemoryStream([1, 2, 3]);
        await spool.SaveSealedAsync("src", Day, $"f{_files++}.gz", content, "checksum");
    }

    private static int Count(CapturingLogger log, string start) => log.Lines.Count(l => l.StartsWith(start, StringComparison.Ordinal));

    [Test]
    public async Task WriteFailed_WhenTheDiskIsFullThenHasRoomThirtyTimesInAMinute_SaysThePairOnceAndCountsTheRestInTheNextLine()
    {
        var time = new FakeTimeProvider(Start);
        var log = new CapturingLogger();
        using var spool = new BatchSpool(SpoolPath, long.MaxValue, SpoolFullMode.Wait, time, log, freeBytes: () => 1L << 30);
        for (int i = 0; i < 30; i++)
        {
            spool.WriteFailed(Full(), 100);
            time.Advance(TimeSpan.FromSeconds(i == 5 ? 3 : 1)); // the sixth spell the longest: 3 s
            await WriteAsync(spool);
        }

        string said = string.Join("\n", log.Lines);
        Assert.That(Count(log, "Warning: The spool's disk at"), Is.EqualTo(1), "one 'full' line in the first minute:\n" + said);
        Assert.That(Count(log, "Information: The spool's disk at"), Is.EqualTo(1), "and one 'room again', for the spell said:\n" + said);
        Assert.That(spool.DiskFullSince, Is.Null, "it has room now, as the last line says");

        time.Advance(TimeSpan.FromMinutes(1));
        spool.WriteFailed(Full(), 100);
        string counted = log.Lines.Single(l => l.Contains("more times since", StringComparison.Ordinal));
        Assert.That(counted, Does.StartWith($"Warning: The spool's disk at {spool.RootPath} was full, then had room again, 29 more times since"), said);
        Assert.That(counted, Does.Contain("(the longest 00:00:03 full)"));
        Assert.That(Count(log, "Warning: The spool's disk at") - 1, Is.EqualTo(2), "then the full disk, said again a minute on:\n" + string.Join("\n", log.Lines));
        time.Advance(TimeSpan.FromSeconds(2));
        await WriteAsync(spool);
        Assert.That(log.Lines[^1], Does.StartWith($"Information: The spool's disk at {spool.RootPath} has room again, after 00:00:02 full"));
    }

    [Test]
    public async Task WriteFailed_WhenASpellNotSaidLastsPastTheMinute_SaysTheDiskIsFullAtItsNextRefusedWrite()
    {
        var time = new FakeTimeProvider(Start);
        var log = new CapturingLogger();
        using var spool = new BatchSpool(SpoolPath, long.MaxValue, SpoolFullMode.Wait, time, log, freeBytes: () => 1L << 30);
        spool.WriteFailed(Full(), 100);
        await WriteAsync(spool); // said, and its end
        time.Advance(TimeSpan.FromSeconds(10));
        spool.WriteFailed(Full(), 100); // within the minute: not said
        Assert.That(Count(log, "Warning: The spool's disk at"), Is.EqualTo(1));

        time.Advance(TimeSpan.FromSeconds(50)); // still full: a minute since the last line, which said "room again"
        spool.WriteFailed(Full(), 100);
        Assert.That(Count(log, "Warning: The spool's disk at"), Is.EqualTo(2), "the disk still full is said:\n" + string.Join("\n", log.Lines));
        Assert.That(log.Lines, Has.None.Contains("more times since"), "this spell is said itself, not counted");
        Assert.That(spool.DiskFullSince, Is.EqualTo(Start.AddSeconds(10)));
        await WriteAsync(spool);
        Assert.That(log.Lines[^1], Does.Contain("has room again, after 00:00:50 full"));
    }
}
