namespace RawDataDestination.Tests.S3;

public class ObjectKeyLayoutTests
{
    // ---- Received-day folder ----

    [Test]
    public void ReceivedDayFolder_IsTheUtcDayName() =>
        Assert.That(ObjectKeyLayout.ReceivedDayFolder(new DateOnly(2023, 11, 24)), Is.EqualTo(UtcDayNames.Format(new DateOnly(2023, 11, 24))));

    // ---- Keys ----

    [TestCase("b-1/segment-logs", "set Bucket to 'b-1'.")]
    [TestCase("b-1/team/raw/segment-logs", "set Bucket to 'b-1/team/raw'.")]
    [TestCase("b-1/segment-logs/x/segment-logs", "set Bucket to 'b-1/segment-logs/x'.")]
    [TestCase("b-1/team/segment-logs-old", null)]
    [TestCase("b-1/team/old-segment-logs", null)]
    [TestCase("b-1/segment-logs/team", null)]
    [TestCase("b-1", null)]
    public void DoubledFolderWarning_OnlyForAPathPrefixWhoseLastFolderIsSegmentLogs_NamesTheValueMeant(string bucket, string? ends)
    {
        string? warning = ObjectKeyLayout.DoubledFolderWarning(BucketLocation.Parse(bucket), RawDataDestination.Internal.SettingWords.Properties);

        Assert.That(warning, ends is null ? Is.Null : Does.EndWith(ends).And.Contain($"s3://{bucket}/segment-logs/"));
    }

    [TestCase("mytestbucket/path/prefix", "path/prefix/segment-logs/src_1/1700784000000/1700784012345.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.gz")]
    [TestCase("mybucket", "segment-logs/src_1/1700784000000/1700784012345.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.gz")]
    [TestCase("mybucket/segment-logs/test", "segment-logs/test/segment-logs/src_1/1700784000000/1700784012345.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.gz")]
    [TestCase("bkt//p/q/", "p/q/segment-logs/src_1/1700784000000/1700784012345.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.gz")]
    public void Build_ReturnsPrefixSegmentLogsSourceDayFile(string bucket, string expected)
    {
        string fileName = BatchNaming.FileName(DateTimeOffset.FromUnixTimeMilliseconds(1_700_784_012_345), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
        Assert.That(
            ObjectKeyLayout.Build(BucketLocation.Parse(bucket), "src_1", new DateOnly(2023, 11, 24), fileName),
            Is.EqualTo(expected));
    }

    [TestCase("")]
    [TestCase("a/b.gz")]
    public void Build_WhenFileNameInvalid_Throws(string fileName) =>
        Assert.That(
            () => ObjectKeyLayout.Build(BucketLocation.Parse("mybucket"), "src", new DateOnly(2023, 11, 24), fileName),
            Throws.ArgumentException);

    [TestCase("", ExpectedResult = "segment-logs/")]
    [TestCase("path/prefix", ExpectedResult = "path/prefix/segment-logs/")]
    public string KeyPrefix_PutsTheSegmentLogsFolderAfterThePathPrefix(string prefix) => ObjectKeyLayout.KeyPrefix(prefix);

    // ---- Keys read back ----

    [TestCase("segment-logs/src/1700784000000/f.gz", ExpectedResult = "")]
    [TestCase("path/prefix/segment-logs/src/1700784000000/f.gz", ExpectedResult = "path/prefix")]
    [TestCase("not-segment-logs/a/segment-logs/src/1700784000000/f.gz", ExpectedResult = "not-segment-logs/a")]
    [TestCase("nest/segment-logs/x/segment-logs/src/1700784000000/f.gz", ExpectedResult = "nest/segment-logs/x")]
    [TestCase("segment-logs/segment-logs/1700784000000/f.gz", ExpectedResult = "")]
    [TestCase("nest/segment-logs/x/y/1700784000000/f.gz", ExpectedResult = null)]
    [TestCase("path/prefix/src/f.gz", ExpectedResult = null)]
    [TestCase("src/1700784000000/f.gz", ExpectedResult = null)]
    public string? PathPrefixOf_AKey_IsThePrefixKeyPrefixWasGiven(string key) => ObjectKeyLayout.PathPrefixOf(key);

    [TestCase("mybucket", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")]
    [TestCase("mybucket/path/prefix", "orders-3-0000001200")]
    public void TryParse_AKeyItBuilt_GivesBackItsParts(string bucket, string batchId)
    {
        BucketLocation location = BucketLocation.Parse(bucket);
        DateTimeOffset sealedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_784_012_345);
        string key = ObjectKeyLayout.Build(location, "src_1", new DateOnly(2023, 11, 24), BatchNaming.FileName(sealedAt, batchId));

        Assert.That(ObjectKeyLayout.TryParse(key, location.KeyPrefix, out string sourceId, out DateOnly day, out DateTimeOffset parsedAt, out string parsedId), Is.Null);
        Assert.That((sourceId, day, parsedAt, parsedId), Is.EqualTo(("src_1", new DateOnly(2023, 11, 24), sealedAt, batchId)));
    }

    [TestCase("other/segment-logs/src/1700784000000/1700820000000.id.gz", "is not under")]
    [TestCase("p/segment-logs/src/extra/1700784000000/1700820000000.id.gz", "is not p/segment-logs/{source-id}/{received-day}/{file}")]
    [TestCase("p/segment-logs/bad source/1700784000000/1700820000000.id.gz", "has no valid source id")]
    [TestCase("p/segment-logs/src/1700784000001/1700820000000.id.gz", "is not a UTC day")]
    [TestCase("p/segment-logs/src/1700784000000/1700820000000.id.gz.parked.json", "is not {sealed-at unix ms}.{batch id}.gz")]
    [TestCase("p/segment-logs/src/1700784000000/1700820000000.bad id.gz", "has no valid batch id")]
    public void TryParse_NotAKeyOfTheLayout_SaysWhy(string key, string why) =>
        Assert.That(ObjectKeyLayout.TryParse(key, "p/segment-logs/", out _, out _, out _, out _), Does.Contain(why));

    // ---- Key length ----

    [Test]
    public void KeyLengthError_WhenPrefixIsLongestThatFits_ReturnsNullAndLongestKeyIs1024Bytes()
    {
        BucketLocation location = BucketLocation.CreateUnchecked("bkt", new string('p', 786));
        string longestKey = ObjectKeyLayout.Build(
            location,
            new string('s', 128),
            new DateOnly(2286, 11, 20),
            BatchNaming.FileName(BatchNaming.MaxSealedAt, new string('b', BatchNaming.MaxBatchIdLength)));

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
}
