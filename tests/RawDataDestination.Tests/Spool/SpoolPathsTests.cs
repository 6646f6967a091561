namespace RawDataDestination.Tests.Spool;

/// <summary>The name the spool renames an untrusted entry to, beside it, and reading it back: what tells rawdata an entry of its spool folder is the spool's own.</summary>
public class SpoolPathsTests
{
    [TestCase("tmp")]
    [TestCase("spool.lock")]
    [TestCase("journal")]
    public void SetAsideFrom_TheNameSetAsidePathGives_IsTheNameItWasRenamedFrom(string name)
    {
        string aside = Path.GetFileName(SpoolPaths.SetAsidePath(Path.Combine("/spool", name)));

        Assert.That(aside, Does.Match($"^{Regex.Escape(name)}\\.untrusted-[0-9a-f]{{8}}$"));
        Assert.That(SpoolPaths.SetAsideFrom(aside), Is.EqualTo(name));
    }

    [TestCase("tmp")]
    [TestCase("notes.txt")]
    [TestCase(".untrusted-89a88adb")]
    [TestCase("tmp.untrusted-89a88ad")]
    [TestCase("tmp.untrusted-89a88adbc")]
    [TestCase("tmp.untrusted-89A88ADB")]
    [TestCase("tmp.untrusted-89a88adb.txt")]
    public void SetAsideFrom_ANameTheSpoolDoesNotGive_IsNull(string name) =>
        Assert.That(SpoolPaths.SetAsideFrom(name), Is.Null);

    [Test]
    public void JournalBatchId_OfTheNameAJournalOpensWith_IsTheBatchIdWithNoSealTime()
    {
        Assert.That(SpoolPaths.JournalBatchId(SpoolPaths.JournalName("0190f0a0-0000-7000-8000-000000000001"), out DateTimeOffset? sealedAt), Is.EqualTo("0190f0a0-0000-7000-8000-000000000001"));
        Assert.That(sealedAt, Is.Null, "a journal named as earlier versions name every journal");
    }

    [Test]
    public void JournalBatchId_OfTheNameAJournalKeptPastItsSealTakes_IsTheBatchIdWithItsSealTime()
    {
        var sealedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_820_001_234);
        string name = SpoolPaths.SealedJournalName(sealedAt, "0190f0a0-0000-7000-8000-000000000001");

        Assert.That(name, Is.EqualTo("1700820001234.0190f0a0-0000-7000-8000-000000000001.ndjson"), "the batch's file name, .ndjson for .gz");
        Assert.That(SpoolPaths.JournalBatchId(name, out DateTimeOffset? read), Is.EqualTo("0190f0a0-0000-7000-8000-000000000001"));
        Assert.That(read, Is.EqualTo(sealedAt));
        Assert.That(SpoolPaths.JournalBatchId(name), Is.EqualTo("0190f0a0-0000-7000-8000-000000000001"));
    }

    [Test]
    public void JournalBatchId_OfTheNameAJournalKeptPastItsSealWithItsLaneTakes_IsTheBatchIdWithItsSealTimeAndLaneTag()
    {
        var sealedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_820_001_234);
        string name = SpoolPaths.SealedJournalName(sealedAt, "0190f0a0-0000-7000-8000-000000000001", "initech");

        Assert.That(name, Is.EqualTo($"1700820001234.{SpoolPaths.LaneTag("initech")}.0190f0a0-0000-7000-8000-000000000001.ndjson"));
        Assert.That(SpoolPaths.LaneTag("initech"), Does.Match("^[0-9a-f]{16}$"));
        Assert.That(SpoolPaths.JournalBatchId(name, out DateTimeOffset? read, out string? tag), Is.EqualTo("0190f0a0-0000-7000-8000-000000000001"));
        Assert.That(read, Is.EqualTo(sealedAt));
        Assert.That(SpoolPaths.IsLane(SpoolPaths.LaneByTag(tag!), "initech"), Is.True, "the lane it was sealed for, by its tag");
        Assert.That(SpoolPaths.IsLane(SpoolPaths.LaneByTag(tag!), "acme"), Is.False);
        Assert.That(SpoolPaths.JournalBatchId(name), Is.EqualTo("0190f0a0-0000-7000-8000-000000000001"));
    }

    [TestCase("")]
    [TestCase(".ndjson")]
    [TestCase("0190f0a0.ndjson.txt")]
    [TestCase("x1700820001234.0190f0a0.ndjson")]
    [TestCase("-1.0190f0a0.ndjson")]
    [TestCase(".0190f0a0.ndjson")]
    [TestCase("1700820001234..ndjson")]
    [TestCase("99999999999999999999.0190f0a0.ndjson")]
    [TestCase("1700820001234.0123456789ABCDEF.0190f0a0.ndjson")]
    [TestCase("1700820001234.0123456789abcde.0190f0a0.ndjson")]
    [TestCase("1700820001234.0123456789abcdef..ndjson")]
    public void JournalBatchId_OfANameNoJournalHas_IsNull(string name) =>
        Assert.That(SpoolPaths.JournalBatchId(name, out _), Is.Null);
}
