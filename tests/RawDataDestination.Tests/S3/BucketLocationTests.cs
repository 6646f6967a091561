namespace RawDataDestination.Tests.S3;

[TestFixture]
public class BucketLocationTests
{
    private const string EnterInstead = "; enter the bucket name and optional path prefix instead: ";

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

    [TestCase(null)]
    [TestCase("")]
    public void Parse_WhenNotSet_NamesSettingAndExample(string? value) =>
        Assert.That(Error(value), Does.StartWith("Bucket is not set").And.Contain("'my-bucket/path/prefix'"));

    [Test]
    public void Parse_WhenBlank_NamesSettingAndExample() =>
        Assert.That(Error("   "), Does.StartWith("Bucket '   ' is blank").And.Contain("'my-bucket/path/prefix'"));

    [TestCase(" mybucket", "mybucket")]
    [TestCase("mybucket/p \t", "mybucket/p")]
    public void Parse_WhenSurroundedByWhitespace_SuggestsTrimmedValue(string value, string fix) =>
        Assert.That(Error(value), Does.StartWith("Bucket '").And.Contain("leading or trailing whitespace").And.EndWith($"enter '{fix}'."));

    // ---- Refusals: bucket name rules ----

    [TestCase("ab", "'ab' is 2 characters long; bucket names are 3 to 63 characters.")]
    [TestCase("ab/prefix", "'ab' is 2 characters long; bucket names are 3 to 63 characters.")]
    [TestCase("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "is 64 characters long; bucket names are 3 to 63 characters.")]
    [TestCase("My_Bucket", "it contains 'M'; bucket names use only lowercase letters, digits, dots and hyphens.")]
    [TestCase("my_bucket", "it contains '_'; bucket names use only lowercase letters, digits, dots and hyphens.")]
    [TestCase("my bucket", "it contains a space; bucket names use only lowercase letters, digits, dots and hyphens.")]
    [TestCase("my\u0001bucket", "it contains '\\u0001'; bucket names use only lowercase letters, digits, dots and hyphens.")]
    [TestCase("-bucket", "it begins with '-'; bucket names begin and end with a letter or digit.")]
    [TestCase(".bucket", "it begins with '.'; bucket names begin and end with a letter or digit.")]
    [TestCase("bucket-", "it ends with '-'; bucket names begin and end with a letter or digit.")]
    [TestCase("bucket./p", "it ends with '.'; bucket names begin and end with a letter or digit.")]
    [TestCase("my..bucket", "it contains '..'; bucket names can't have two adjacent dots.")]
    [TestCase("192.168.5.4", "it is formatted as an IP address; bucket names can't look like an IP address (such as '192.168.5.4').")]
    [TestCase("999.1.1.1/p", "it is formatted as an IP address")]
    [TestCase("xn--bucket", "it starts with 'xn--', a prefix S3 reserves")]
    [TestCase("sthree-bucket", "it starts with 'sthree-', a prefix S3 reserves")]
    [TestCase("sthree-configurator", "it starts with 'sthree-', a prefix S3 reserves")]
    [TestCase("amzn-s3-demo-bucket", "it starts with 'amzn-s3-demo-', a prefix S3 reserves")]
    [TestCase("bucket-s3alias", "it ends with '-s3alias', a suffix S3 reserves")]
    [TestCase("bucket--ol-s3", "it ends with '--ol-s3', a suffix S3 reserves")]
    [TestCase("bucket.mrap", "it ends with '.mrap', a suffix S3 reserves")]
    [TestCase("bucket--x-s3", "it ends with '--x-s3', a suffix S3 reserves")]
    [TestCase("bucket--table-s3", "it ends with '--table-s3', a suffix S3 reserves")]
    public void Parse_WhenBucketNameBreaksARule_NamesTheRule(string value, string reason) =>
        Assert.That(
            Error(value),
            Does.StartWith($"Bucket {Quoted(value)} is not a valid S3 bucket name: ").And.Contain(reason));

    // ---- Refusals: prefix rules ----

    [Test]
    public void Parse_WhenPrefixHasEmptySegment_SuggestsCollapsedPrefix() =>
        Assert.That(
            Error("bkt/a//b"),
            Is.EqualTo("Bucket 'bkt/a//b' has an invalid path prefix: it contains an empty folder name ('//'); folders in the prefix are separated by a single '/'; enter 'bkt/a/b'."));

    [TestCase("bkt/a/./b", "'.'")]
    [TestCase("bkt/../x", "'..'")]
    [TestCase("bkt/a/..", "'..'")]
    public void Parse_WhenPrefixHasRelativeSegment_SaysSo(string value, string segment) =>
        Assert.That(
            Error(value),
            Does.StartWith($"Bucket '{value}' has an invalid path prefix: it contains the relative path segment {segment}").And.Contain("can't be '.' or '..'"));

    [Test]
    public void Parse_WhenPrefixHasBackslash_SuggestsSlash() =>
        Assert.That(
            Error("bkt/a\\b"),
            Is.EqualTo("Bucket 'bkt/a\\b' has an invalid path prefix: it contains a backslash ('\\'); separate folders with '/', e.g. 'bkt/a/b'."));

    [TestCase("bkt/a\u0001b", "'\\u0001'")]
    [TestCase("bkt/a\nb", "'\\n'")]
    [TestCase("bkt/a\u007Fb", "'\\u007F'")]
    public void Parse_WhenPrefixHasControlCharacter_NamesItEscaped(string value, string described) =>
        Assert.That(
            Error(value),
            Does.StartWith($"Bucket {Quoted(value)} has an invalid path prefix: it contains the control character {described}"));

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

    // ---- Refusals: URIs and ARNs given instead of a name ----

    [TestCase("s3://bkt/p", "bkt/p")]
    [TestCase("s3://my-bucket/path/", "my-bucket/path")]
    [TestCase("s3://my-bucket", "my-bucket")]
    [TestCase("S3://my-bucket/a/b", "my-bucket/a/b")]
    [TestCase("s3a://my-bucket/a", "my-bucket/a")]
    [TestCase("https://bkt.s3.us-west-2.amazonaws.com/p", "bkt/p")]
    [TestCase("https://bkt.s3.amazonaws.com/p", "bkt/p")]
    [TestCase("https://bkt.s3-us-west-2.amazonaws.com/p", "bkt/p")]
    [TestCase("https://bkt.s3.dualstack.us-west-2.amazonaws.com/p", "bkt/p")]
    [TestCase("https://s3.us-west-2.amazonaws.com/bkt/p", "bkt/p")]
    [TestCase("https://s3.amazonaws.com/my-bucket/a/b/", "my-bucket/a/b")]
    [TestCase("https://my-bucket.s3.us-west-2.amazonaws.com", "my-bucket")]
    [TestCase("https://my-bucket.s3.us-west-2.amazonaws.com/", "my-bucket")]
    [TestCase("https://my.dotted.bucket.s3.eu-west-1.amazonaws.com/a/b", "my.dotted.bucket/a/b")]
    [TestCase("https://my-bucket.s3.cn-north-1.amazonaws.com.cn/a", "my-bucket/a")]
    [TestCase("https://my-bucket.s3.us-west-2.amazonaws.com/a%20b/c", "my-bucket/a b/c")]
    [TestCase("http://my-bucket.s3-website-us-east-1.amazonaws.com/a", "my-bucket/a")]
    public void Parse_WhenValueIsS3Uri_SuggestsBucketAndPrefix(string value, string suggestion) =>
        Assert.That(Error(value), Is.EqualTo($"Bucket '{value}' is a URI{EnterInstead}'{suggestion}'."));

    [TestCase("s3://x/y", "'x/y' is not a valid S3 bucket name: 'x' is 1 character long")]
    [TestCase("arn:aws:s3:::b", "'b' is not a valid S3 bucket name")]
    public void Parse_WhenTheSuggestionWouldBeRefused_SaysWhatElseIsWrongInsteadOfSuggestingIt(string value, string stillWrong) =>
        Assert.That(Error(value), Does.Contain(stillWrong).And.Contain("would be refused too").And.Not.Contain("instead:"));

    [TestCase("arn:aws:s3:::bkt", "bkt")]
    [TestCase("arn:aws:s3:::bkt/p", "bkt/p")]
    [TestCase("arn:aws-cn:s3:::my-bucket/a/b/", "my-bucket/a/b")]
    public void Parse_WhenValueIsS3BucketArn_SuggestsBucketAndPrefix(string value, string suggestion) =>
        Assert.That(Error(value), Is.EqualTo($"Bucket '{value}' is an S3 ARN{EnterInstead}'{suggestion}'."));

    [Test]
    public void Parse_WhenValueIsVirtualHostedHostWithoutScheme_SuggestsBucketAndPrefix() =>
        Assert.That(Error("my-bucket.s3.amazonaws.com/p"), Is.EqualTo($"Bucket 'my-bucket.s3.amazonaws.com/p' is a host name{EnterInstead}'my-bucket/p'."));

    [Test]
    public void Parse_WhenValueIsOtherServiceUrl_SuggestsPathAndServiceUrlSetting() =>
        Assert.That(
            Error("http://localhost:9000/my-bucket/p"),
            Is.EqualTo($"Bucket 'http://localhost:9000/my-bucket/p' is a URI{EnterInstead}'my-bucket/p'. Set the service URL setting to the endpoint instead."));

    [TestCase("https://s3.us-west-2.amazonaws.com")]
    [TestCase("https://example.com/")]
    [TestCase("ftp://my-bucket/p")]
    public void Parse_WhenValueIsUriWithoutBucket_SaysWhatToEnter(string value) =>
        Assert.That(Error(value), Does.StartWith($"Bucket '{value}' is a").And.Contain("'my-bucket/path/prefix'"));

    [TestCase("arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap")]
    [TestCase("arn:aws:s3-object-lambda:us-west-2:123456789012:accesspoint/my-ap")]
    public void Parse_WhenValueIsAccessPointArn_SaysBucketNeeded(string value) =>
        Assert.That(Error(value), Does.StartWith($"Bucket '{value}' is the ARN of an access point or another S3 resource, not of a bucket").And.Contain("'my-bucket/path/prefix'"));

    [Test]
    public void Parse_WhenValueIsOtherArn_SaysBucketNeeded() =>
        Assert.That(Error("arn:aws:iam::123456789012:role/x"), Does.StartWith("Bucket 'arn:aws:iam::123456789012:role/x' is an ARN, not an S3 bucket").And.Contain("'my-bucket/path/prefix'"));

    private static string? Error(string? value)
    {
        bool ok = BucketLocation.TryParse(value, out _, out string? error);
        Assert.That(ok, Is.False, $"'{value}' should be refused");
        return error;
    }

    private static string Quoted(string value) => RawDataDestination.Internal.SettingText.Quote(value);
}
