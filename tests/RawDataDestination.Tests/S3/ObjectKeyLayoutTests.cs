using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using RawDataDestination.S3;

namespace RawDataDestination.Tests.S3;

[TestFixture]
public class ObjectKeyLayoutTests
{
    private static readonly Regex UuidD = new("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", RegexOptions.CultureInvariant);

    // ---- Received-day folder and file name ----

    [TestCase(2023, 11, 24, "1700784000000")]
    [TestCase(1970, 1, 1, "0")]
    [TestCase(2286, 11, 20, "9999936000000")]
    public void ReceivedDayFolder_IsUnixMillisecondsOfUtcMidnight(int year, int month, int day, string expected) =>
        Assert.That(ObjectKeyLayout.ReceivedDayFolder(new DateOnly(year, month, day)), Is.EqualTo(expected));

    [Test]
    public void FileName_IsSealedAtUnixMillisecondsThenBatchIdThenGz() =>
        Assert.That(
            ObjectKeyLayout.FileName(DateTimeOffset.FromUnixTimeMilliseconds(1_700_784_012_345), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
            Is.EqualTo("1700784012345.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.gz"));

    [Test]
    public void FileName_WhenSealedAtHasOffset_UsesTheSameInstant() =>
        Assert.That(
            ObjectKeyLayout.FileName(new DateTimeOffset(2023, 11, 24, 2, 0, 12, 345, TimeSpan.FromHours(2)), "id"),
            Is.EqualTo("1700784012345.id.gz"));

    [TestCase("")]
    [TestCase("a/b")]
    public void FileName_WhenBatchIdInvalid_Throws(string batchId) =>
        Assert.That(() => ObjectKeyLayout.FileName(DateTimeOffset.UnixEpoch, batchId), Throws.ArgumentException);

    // ---- Parsing back (the spool reads its folders and file names with these) ----

    [TestCase(2023, 11, 24)]
    [TestCase(1970, 1, 1)]
    [TestCase(2286, 11, 20)]
    public void TryParseReceivedDayFolder_OfAFolderItWrote_GivesTheSameDay(int year, int month, int day)
    {
        var utcDay = new DateOnly(year, month, day);

        Assert.That(ObjectKeyLayout.TryParseReceivedDayFolder(ObjectKeyLayout.ReceivedDayFolder(utcDay), out DateOnly parsed), Is.Null);
        Assert.That(parsed, Is.EqualTo(utcDay));
    }

    [TestCase("1700784000001", TestName = "TryParseReceivedDayFolder_NotMidnight_SaysWhy")]
    [TestCase("-86400000", TestName = "TryParseReceivedDayFolder_BeforeTheEpoch_SaysWhy")]
    [TestCase("2023-11-24", TestName = "TryParseReceivedDayFolder_ADate_SaysWhy")]
    public void TryParseReceivedDayFolder_NotADayFolder_SaysWhy(string folder) =>
        Assert.That(ObjectKeyLayout.TryParseReceivedDayFolder(folder, out _), Does.Contain("is not a UTC day"));

    [TestCase("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")]
    [TestCase("orders-3-0000001200-0000001299")]
    public void TryParseFileName_OfANameItWrote_GivesTheSameSealedAtAndBatchId(string batchId)
    {
        DateTimeOffset sealedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_784_012_345);

        Assert.That(ObjectKeyLayout.TryParseFileName(ObjectKeyLayout.FileName(sealedAt, batchId), out DateTimeOffset parsedAt, out string parsedId), Is.Null);
        Assert.That((parsedAt, parsedId), Is.EqualTo((sealedAt, batchId)));
    }

    [TestCase("1700784012345.id.ndjson", "is not {sealed-at unix ms}.{batch id}.gz")]
    [TestCase("x.id.gz", "is not {sealed-at unix ms}.{batch id}.gz")]
    [TestCase("1700784012345.bad id.gz", "has no valid batch id")]
    public void TryParseFileName_NotABatchFileName_SaysWhy(string fileName, string why) =>
        Assert.That(ObjectKeyLayout.TryParseFileName(fileName, out _, out _), Does.Contain(why));

    [Test]
    public void TryParseFileName_WithABatchIdOverTheLimit_IsRefusedAsTheBuilderRefusesIt()
    {
        string name = ObjectKeyLayout.FileName(DateTimeOffset.UnixEpoch, new string('a', ObjectKeyLayout.MaxBatchIdLength + 1));

        Assert.That(ObjectKeyLayout.TryParseFileName(name, out _, out _), Does.Contain("too long"));
    }

    // ---- Keys ----

    [TestCase("mytestbucket/path/prefix", "path/prefix/segment-logs/src_1/1700784000000/1700784012345.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.gz")]
    [TestCase("mybucket", "segment-logs/src_1/1700784000000/1700784012345.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.gz")]
    [TestCase("mybucket/segment-logs/test", "segment-logs/test/segment-logs/src_1/1700784000000/1700784012345.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.gz")]
    [TestCase("bkt//p/q/", "p/q/segment-logs/src_1/1700784000000/1700784012345.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.gz")]
    public void Build_ReturnsPrefixSegmentLogsSourceDayFile(string bucket, string expected)
    {
        string fileName = ObjectKeyLayout.FileName(DateTimeOffset.FromUnixTimeMilliseconds(1_700_784_012_345), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
        Assert.That(
            ObjectKeyLayout.Build(BucketLocation.Parse(bucket), "src_1", new DateOnly(2023, 11, 24), fileName),
            Is.EqualTo(expected));
    }

    [TestCase("../x")]
    [TestCase("a/b")]
    [TestCase("")]
    [TestCase("..")]
    public void Build_WhenSourceIdInvalid_ThrowsWithSettingRuleMessage(string sourceId) =>
        Assert.That(
            () => ObjectKeyLayout.Build(BucketLocation.Parse("mybucket"), sourceId, new DateOnly(2023, 11, 24), "f.gz"),
            Throws.ArgumentException.With.Message.Contains("SourceId"));

    [TestCase("")]
    [TestCase("a/b.gz")]
    public void Build_WhenFileNameInvalid_Throws(string fileName) =>
        Assert.That(
            () => ObjectKeyLayout.Build(BucketLocation.Parse("mybucket"), "src", new DateOnly(2023, 11, 24), fileName),
            Throws.ArgumentException);

    // ---- Key length ----

    [Test]
    public void MaxFileNameLength_Is81AndMatchesTheLongestHostChosenName()
    {
        string longest = ObjectKeyLayout.FileName(ObjectKeyLayout.MaxSealedAt, new string('b', ObjectKeyLayout.MaxBatchIdLength));
        string generated = ObjectKeyLayout.FileName(ObjectKeyLayout.MaxSealedAt, ObjectKeyLayout.NewBatchId(TimeProvider.System));
        Assert.That(ObjectKeyLayout.MaxFileNameLength, Is.EqualTo(81));
        Assert.That(longest, Has.Length.EqualTo(ObjectKeyLayout.MaxFileNameLength));
        Assert.That(generated, Has.Length.LessThan(ObjectKeyLayout.MaxFileNameLength));
    }

    [Test]
    public void KeyLengthError_WhenPrefixIsLongestThatFits_ReturnsNullAndLongestKeyIs1024Bytes()
    {
        BucketLocation location = BucketLocation.CreateUnchecked("bkt", new string('p', 786));
        string longestKey = ObjectKeyLayout.Build(
            location,
            new string('s', 128),
            new DateOnly(2286, 11, 20),
            ObjectKeyLayout.FileName(ObjectKeyLayout.MaxSealedAt, new string('b', ObjectKeyLayout.MaxBatchIdLength)));

        Assert.That(ObjectKeyLayout.KeyLengthError(location), Is.Null);
        Assert.That(Encoding.UTF8.GetByteCount(longestKey), Is.EqualTo(ObjectKeyLayout.MaxKeyBytes));
    }

    [TestCase("")]
    [TestCase("path/prefix")]
    public void KeyLengthError_WhenPrefixIsShort_ReturnsNull(string prefix) =>
        Assert.That(ObjectKeyLayout.KeyLengthError(BucketLocation.CreateUnchecked("bkt", prefix)), Is.Null);

    [Test]
    public void KeyLengthError_WhenPrefixIsVeryLong_NamesSettingBytesAndMaximum()
    {
        BucketLocation location = BucketLocation.CreateUnchecked("bkt", new string('p', 2000));
        Assert.That(
            ObjectKeyLayout.KeyLengthError(location),
            Does.StartWith("Bucket 'bkt/ppp").And.Contain("(2004 characters)").And.Contain("path prefix of 2000 UTF-8 bytes")
                .And.Contain("could be 2238 bytes long, over S3's limit of 1024").And.Contain("at most 786 UTF-8 bytes"));
    }

    [Test]
    public void KeyLengthError_CountsUtf8BytesNotCharacters()
    {
        // 408 × 'é' is 408 characters but 816 UTF-8 bytes.
        BucketLocation location = BucketLocation.CreateUnchecked("bkt", new string('é', 408));
        Assert.That(ObjectKeyLayout.KeyLengthError(location), Does.Contain("path prefix of 816 UTF-8 bytes").And.Contain("at most 786"));
    }

    // ---- Batch ids (UUID v7) ----

    [Test]
    public void NewBatchId_IsLowercaseVersion7WithRfcVariant()
    {
        string id = ObjectKeyLayout.NewBatchId(new FakeTimeProvider(new DateTimeOffset(2023, 11, 24, 0, 0, 12, 345, TimeSpan.Zero)));
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
        string id = ObjectKeyLayout.NewBatchId(new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_784_012_345)));
        Assert.That(id.Replace("-", "", StringComparison.Ordinal)[..12], Is.EqualTo(1_700_784_012_345L.ToString("x12", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void NewBatchId_WhenTimeAdvances_SortsInCreationOrder()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2023, 11, 24, 0, 0, 0, TimeSpan.Zero));
        var ids = new List<string>();
        for (int i = 0; i < 200; i++)
        {
            ids.Add(ObjectKeyLayout.NewBatchId(time));
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
            ids.Add(ObjectKeyLayout.NewBatchId(time));
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
            ids.Add(ObjectKeyLayout.NewBatchId(time));
        }

        Assert.That(ids, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        Assert.That(ids, Is.Unique);
    }

    // ---- The .NET 8 layout, tested on every target ----

    [Test]
    public void CreateVersion7_LaysOutTimestampVersionRandomAndVariant()
    {
        byte[] random = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        Guid guid = ObjectKeyLayout.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(0x0123_4567_89AB), random);
        Assert.That(guid.ToString("D"), Is.EqualTo("01234567-89ab-7fff-bfff-ffffffffffff"));

        byte[] zeros = new byte[10];
        Guid low = ObjectKeyLayout.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(1), zeros);
        Assert.That(low.ToString("D"), Is.EqualTo("00000000-0001-7000-8000-000000000000"));
    }

    [Test]
    public void CreateVersion7_MatchesTheRuntimesVersionAndVariantBits()
    {
        DateTimeOffset at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_784_012_345);
        Guid ours = ObjectKeyLayout.CreateVersion7(at, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
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
            () => ObjectKeyLayout.CreateVersion7(DateTimeOffset.UnixEpoch.AddMilliseconds(-1), new byte[10]),
            Throws.TypeOf<ArgumentOutOfRangeException>());

    [Test]
    public void CreateVersion7_WhenRandomIsNotTenBytes_Throws() =>
        Assert.That(() => ObjectKeyLayout.CreateVersion7(DateTimeOffset.UnixEpoch, new byte[9]), Throws.ArgumentException);
}
