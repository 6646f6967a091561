namespace RawDataDestination.Tests.Batching;

/// <summary><see cref="BatchNaming"/>: batch ids, file names, their checks and the parsing back.</summary>
public class BatchNamingTests
{
    private static readonly System.Text.RegularExpressions.Regex UuidD = new("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    // ---- File names ----

    [Test]
    public void FileName_IsSealedAtUnixMillisecondsThenBatchIdThenGz() =>
        Assert.That(
            BatchNaming.FileName(DateTimeOffset.FromUnixTimeMilliseconds(1_700_784_012_345), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
            Is.EqualTo("1700784012345.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.gz"));

    [Test]
    public void FileName_WhenSealedAtHasOffset_UsesTheSameInstant() =>
        Assert.That(
            BatchNaming.FileName(new DateTimeOffset(2023, 11, 24, 2, 0, 12, 345, TimeSpan.FromHours(2)), "id"),
            Is.EqualTo("1700784012345.id.gz"));

    [TestCase("")]
    [TestCase("a/b")]
    public void FileName_WhenBatchIdInvalid_Throws(string batchId) =>
        Assert.That(() => BatchNaming.FileName(DateTimeOffset.UnixEpoch, batchId), Throws.ArgumentException);

    // ---- Parsing file names back (the spool's recovery and the staging copier read them with this) ----

    [TestCase("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")]
    [TestCase("orders-3-0000001200-0000001299")]
    public void TryParseFileName_OfANameItWrote_GivesTheSameSealedAtAndBatchId(string batchId)
    {
        DateTimeOffset sealedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_784_012_345);

        Assert.That(BatchNaming.TryParseFileName(BatchNaming.FileName(sealedAt, batchId), out DateTimeOffset parsedAt, out string parsedId), Is.Null);
        Assert.That((parsedAt, parsedId), Is.EqualTo((sealedAt, batchId)));
    }

    [TestCase("1700784012345.id.ndjson", "is not {sealed-at unix ms}.{batch id}.gz")]
    [TestCase("x.id.gz", "is not {sealed-at unix ms}.{batch id}.gz")]
    [TestCase("1700784012345.bad id.gz", "has no valid batch id")]
    public void TryParseFileName_NotABatchFileName_SaysWhy(string fileName, string why) =>
        Assert.That(BatchNaming.TryParseFileName(fileName, out _, out _), Does.Contain(why));

    [Test]
    public void TryParseFileName_WithABatchIdOverTheLimit_IsRefusedAsTheBuilderRefusesIt()
    {
        string name = BatchNaming.FileName(DateTimeOffset.UnixEpoch, new string('a', BatchNaming.MaxBatchIdLength + 1));

        Assert.That(BatchNaming.TryParseFileName(name, out _, out _), Does.Contain("too long"));
    }

    [Test]
    public void MaxFileNameLength_Is81AndMatchesTheLongestHostChosenName()
    {
        string longest = BatchNaming.FileName(BatchNaming.MaxSealedAt, new string('b', BatchNaming.MaxBatchIdLength));
        string generated = BatchNaming.FileName(BatchNaming.MaxSealedAt, BatchNaming.NewBatchId(TimeProvider.System));
        Assert.That(BatchNaming.MaxFileNameLength, Is.EqualTo(81));
        Assert.That(longest, Has.Length.EqualTo(BatchNaming.MaxFileNameLength));
        Assert.That(generated, Has.Length.LessThan(BatchNaming.MaxFileNameLength));
    }

    // ---- Batch ids (UUID v7) ----

    [Test]
    public void NewBatchId_IsLowercaseVersion7WithRfcVariant()
    {
        string id = BatchNaming.NewBatchId(new FakeTimeProvider(new DateTimeOffset(2023, 11, 24, 0, 0, 12, 345, TimeSpan.Zero)));
        var guid = Guid.ParseExact(id, "D");
        Assert.Multiple(() =>
        {
            Assert.That(id, Does.Match(UuidD));
            Assert.That(guid.Version, Is.EqualTo(7));
            Assert.That(guid.Variant & 0xC, Is.EqualTo(0x8));
        });
    }

    [Test]
    public void NewBatchId_StartsWithTheTimeProvidersUnixMilliseconds()
    {
        string id = BatchNaming.NewBatchId(new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_784_012_345)));
        Assert.That(id.Replace("-", "", StringComparison.Ordinal)[..12], Is.EqualTo(1_700_784_012_345L.ToString("x12", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void NewBatchId_WhenTimeAdvances_SortsInCreationOrder()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2023, 11, 24, 0, 0, 0, TimeSpan.Zero));
        var ids = new List<string>();
        for (int i = 0; i < 200; i++)
        {
            ids.Add(BatchNaming.NewBatchId(time));
            time.Advance(TimeSpan.FromMilliseconds(1 + (i % 3)));
        }

        Assert.That(ids, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        Assert.That(ids, Is.Unique);
    }

    [Test]
    public void NewBatchId_WhenTimeStandsStill_IsStillUnique()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2023, 11, 24, 0, 0, 0, TimeSpan.Zero));
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 10_000; i++)
        {
            ids.Add(BatchNaming.NewBatchId(time));
        }

        Assert.That(ids, Has.Count.EqualTo(10_000));
    }

    [Test]
    public void NewBatchId_WhenTimeStandsStill_SortsInCreationOrder()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2023, 11, 24, 0, 0, 0, 7, TimeSpan.Zero));
        var ids = new List<string>();
        for (int i = 0; i < 2048; i++)
        {
            ids.Add(BatchNaming.NewBatchId(time));
        }

        Assert.That(ids, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        Assert.That(ids, Is.Unique);
    }

    // ---- The .NET 8 layout, tested on every target ----

    [Test]
    public void CreateVersion7_LaysOutTimestampVersionRandomAndVariant()
    {
        byte[] random = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        Guid guid = BatchNaming.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(0x0123_4567_89AB), random);
        Assert.That(guid.ToString("D"), Is.EqualTo("01234567-89ab-7fff-bfff-ffffffffffff"));

        byte[] zeros = new byte[10];
        Guid low = BatchNaming.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(1), zeros);
        Assert.That(low.ToString("D"), Is.EqualTo("00000000-0001-7000-8000-000000000000"));
    }

    [Test]
    public void CreateVersion7_MatchesTheRuntimesVersionAndVariantBits()
    {
        DateTimeOffset at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_784_012_345);
        Guid ours = BatchNaming.CreateVersion7(at, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        Guid runtime = Guid.CreateVersion7(at);
        Assert.Multiple(() =>
        {
            Assert.That(ours.Version, Is.EqualTo(runtime.Version));
            Assert.That(ours.Variant & 0xC, Is.EqualTo(runtime.Variant & 0xC));
            Assert.That(ours.ToString("D")[..13], Is.EqualTo(runtime.ToString("D")[..13]));
        });
    }

    [Test]
    public void CreateVersion7_WhenBeforeUnixEpoch_Throws() =>
        Assert.That(
            () => BatchNaming.CreateVersion7(DateTimeOffset.UnixEpoch.AddMilliseconds(-1), new byte[10]),
            Throws.TypeOf<ArgumentOutOfRangeException>());

    [Test]
    public void CreateVersion7_WhenRandomIsNotTenBytes_Throws() =>
        Assert.That(() => BatchNaming.CreateVersion7(DateTimeOffset.UnixEpoch, new byte[9]), Throws.ArgumentException);
}
