namespace RawDataDestination.Tests.S3;

/// <summary>
/// <see cref="BucketLocation"/>: how a Bucket setting splits into bucket and prefix, and the Parse/TryParse shape. The
/// refused values and their messages are cases in Rules/setting-cases.json (SettingRuleCasesTests); here are those that
/// need code (long prefixes, an unpaired surrogate, a suggestion that would be refused too).
/// </summary>
public class BucketLocationTests
{
    // ---- Valid values ----

    [TestCase("mybucket", "mybucket", "")]
    [TestCase("mytestbucket/path/prefix", "mytestbucket", "path/prefix")]
    [TestCase("mybucket/segment-logs/test", "mybucket", "segment-logs/test")]
    [TestCase("bkt//p/q/", "bkt", "p/q")]
    [TestCase("bkt/", "bkt", "")]
    [TestCase("bkt///", "bkt", "")]
    [TestCase("my.bucket-1/a", "my.bucket-1", "a")]
    [TestCase("abc/with space/ünïcödé/😀/a.b/..c/%2F", "abc", "with space/ünïcödé/😀/a.b/..c/%2F")]
    [TestCase("123/p", "123", "p")]
    [TestCase("1.2.3/p", "1.2.3", "p")]
    public void Parse_WhenValid_SplitsBucketAndPrefix(string value, string bucket, string prefix)
    {
        BucketLocation location = BucketLocation.Parse(value);
        Assert.Multiple(() =>
        {
            Assert.That(location.BucketName, Is.EqualTo(bucket));
            Assert.That(location.Prefix, Is.EqualTo(prefix));
            Assert.That(BucketLocation.TryParse(value, out BucketLocation again), Is.True);
            Assert.That(again, Is.EqualTo(location));
        });
    }

    [TestCase(3)]
    [TestCase(63)]
    public void Parse_WhenBucketNameIsAtLengthLimit_Accepts(int length) =>
        Assert.That(BucketLocation.Parse(new string('b', length)).BucketName, Has.Length.EqualTo(length));

    [TestCase("mybucket", "segment-logs/")]
    [TestCase("mytestbucket/path/prefix", "path/prefix/segment-logs/")]
    [TestCase("mybucket/segment-logs/test", "segment-logs/test/segment-logs/")]
    [TestCase("bkt//p/q/", "p/q/segment-logs/")]
    public void KeyPrefix_WhenParsed_IsPrefixThenSegmentLogs(string value, string keyPrefix) =>
        Assert.That(BucketLocation.Parse(value).KeyPrefix, Is.EqualTo(keyPrefix));

    [TestCase("mybucket", "mybucket")]
    [TestCase("mytestbucket/path/prefix", "mytestbucket/path/prefix")]
    [TestCase("bkt//p/q/", "bkt/p/q")]
    [TestCase("bkt/", "bkt")]
    public void ToString_WhenParsed_IsCanonicalSetting(string value, string expected) =>
        Assert.That(BucketLocation.Parse(value).ToString(), Is.EqualTo(expected));

    [Test]
    public void Default_HasEmptyNameAndPrefix()
    {
        BucketLocation location = default;
        Assert.Multiple(() =>
        {
            Assert.That(location.BucketName, Is.Empty);
            Assert.That(location.Prefix, Is.Empty);
            Assert.That(location.KeyPrefix, Is.EqualTo("segment-logs/"));
        });
    }

    // ---- Refusals: the API shape ----

    [Test]
    public void Parse_WhenInvalid_ThrowsFormatExceptionWithReason() =>
        Assert.That(
            () => BucketLocation.Parse("My_Bucket"),
            Throws.TypeOf<FormatException>().With.Message.EqualTo(
                "Bucket 'My_Bucket' is not a valid S3 bucket name: it contains 'M'; bucket names use only lowercase letters, digits, dots and hyphens."));

    [Test]
    public void TryParse_WhenInvalid_ReturnsFalseAndDefault()
    {
        Assert.That(BucketLocation.TryParse("My_Bucket", out BucketLocation location), Is.False);
        Assert.That(location, Is.EqualTo(default(BucketLocation)));
    }

    [Test]
    public void TryParse_WhenInvalid_GivesTheSameErrorAsParse()
    {
        Assert.That(BucketLocation.TryParse("-bad", out _, out string? error), Is.False);
        Assert.That(() => BucketLocation.Parse("-bad"), Throws.TypeOf<FormatException>().With.Message.EqualTo(error));
    }

    // ---- Refusals that need code ----

    [Test]
    public void Parse_WhenPrefixHasUnpairedSurrogate_SaysNotValidUnicode() =>
        Assert.That(Error("bkt/a\uD800b"), Does.StartWith("Bucket 'bkt/a\\uD800b' has an invalid path prefix").And.Contain("not valid Unicode"));

    [Test]
    public void Parse_WhenPrefixIsTooLongForS3Keys_RefusesWithMaximum()
    {
        string value = "bkt/" + new string('p', 787);
        Assert.That(
            Error(value),
            Does.StartWith("Bucket 'bkt/ppp").And.Contain("(791 characters)").And.Contain("path prefix of 787 UTF-8 bytes")
                .And.Contain("limit of 1024").And.Contain("at most 786 UTF-8 bytes"));
    }

    [Test]
    public void Parse_WhenPrefixIsLongestThatFits_Accepts() =>
        Assert.That(BucketLocation.Parse("bkt/" + new string('p', 786)).Prefix, Has.Length.EqualTo(786));

    [TestCase("s3://x/y", "'x/y' is not a valid S3 bucket name: 'x' is 1 character long")]
    [TestCase("arn:aws:s3:::b", "'b' is not a valid S3 bucket name")]
    public void Parse_WhenTheSuggestionWouldBeRefused_SaysWhatElseIsWrongInsteadOfSuggestingIt(string value, string stillWrong) =>
        Assert.That(Error(value), Does.Contain(stillWrong).And.Contain("would be refused too").And.Not.Contain("instead:"));

    private static string? Error(string? value)
    {
        bool ok = BucketLocation.TryParse(value, out _, out string? error);
        Assert.That(ok, Is.False, $"'{value}' should be refused");
        return error;
    }
}
