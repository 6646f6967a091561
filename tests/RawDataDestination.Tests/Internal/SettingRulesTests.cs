using NUnit.Framework;
using RawDataDestination.Internal;

namespace RawDataDestination.Tests.Internal;

[TestFixture]
public class SettingRulesTests
{
    private const string ExampleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    // ---- Region ----

    [TestCase("us-east-1")]
    [TestCase("eu-central-2")]
    [TestCase("ap-southeast-3")]
    [TestCase("us-gov-west-1")]
    [TestCase("cn-north-1")]
    [TestCase("il-central-1")]
    [TestCase("ca-west-1")]
    [TestCase("me-central-12")]
    public void RegionError_WhenWellFormed_ReturnsNull(string value) =>
        Assert.That(SettingRules.RegionError(value), Is.Null);

    [TestCase(null)]
    [TestCase("")]
    public void RegionError_WhenNotSet_NamesSettingAndExample(string? value) =>
        Assert.That(SettingRules.RegionError(value), Does.StartWith("Region is not set").And.Contain("'us-east-1'"));

    [TestCase("US-EAST-1", "us-east-1")]
    [TestCase("Eu-Central-1", "eu-central-1")]
    public void RegionError_WhenUppercase_NamesSettingAndExample(string value, string fix) =>
        Assert.That(
            SettingRules.RegionError(value),
            Does.StartWith($"Region '{value}'").And.Contain("uppercase").And.Contain($"enter '{fix}'"));

    [TestCase(" us-east-1", "us-east-1")]
    [TestCase("us-west-2\n", "us-west-2")]
    public void RegionError_WhenSurroundedByWhitespace_SuggestsTrimmedValue(string value, string fix) =>
        Assert.That(
            SettingRules.RegionError(value),
            Does.StartWith("Region '").And.Contain("whitespace").And.Contain($"enter '{fix}'"));

    [TestCase("useast1")]
    [TestCase("us-east")]
    [TestCase("us-east-123")]
    [TestCase("u-east-1")]
    [TestCase("use-east-1")]
    [TestCase("us_east_1")]
    [TestCase("us-east-1a")]
    [TestCase("us--east-1")]
    [TestCase("us-east-1-")]
    [TestCase("us-3ast-1")]
    [TestCase("us-east-１")]
    public void RegionError_WhenMalformed_NamesSettingValueAndExample(string value) =>
        Assert.That(
            SettingRules.RegionError(value),
            Does.StartWith($"Region '{value}' is not a valid AWS region code").And.Contain("'us-east-1'"));

    [TestCase("us-wst-2", "us-west-2")]
    [TestCase("eu-centrl-1", "eu-central-1")]
    [TestCase("me-central-12", "me-central-1")]
    public void RegionError_WhenUnknownToTheSdk_NamesTheClosestKnownRegionAndTheEscapeHatch(string value, string closest)
    {
        string? error = SettingRules.RegionError(value, allowUnknown: false);

        Assert.That(error, Does.StartWith($"Region '{value}' is not an AWS region").And.Contain($"did you mean '{closest}'?").And.Contain("AllowUnknownRegion"));
        Assert.That(SettingRules.RegionError(closest, allowUnknown: false), Is.Null, "the suggestion is itself accepted");
    }

    [Test]
    public void RegionError_WhenUnknownButAllowed_ReturnsNull() =>
        Assert.That(SettingRules.RegionError("xx-newregion-1", allowUnknown: true), Is.Null);

    [Test]
    public void RegionError_WhenUppercaseAndUnknown_SuggestsOnlyAKnownRegion()
    {
        string? error = SettingRules.RegionError("US-WST-2", allowUnknown: false);

        Assert.That(error, Does.Contain("enter 'us-west-2'").And.Not.Contain("enter 'us-wst-2'"));
    }

    [Test]
    public void RegionError_ForStsRegion_NamesThatSetting() =>
        Assert.That(SettingRules.RegionError("us-eest-1", allowUnknown: false, setting: "StsRegion"), Does.StartWith("StsRegion 'us-eest-1'"));

    // ---- RoleArn ----

    [TestCase(ExampleArn)]
    [TestCase("arn:aws-cn:iam::123456789012:role/x")]
    [TestCase("arn:aws-us-gov:iam::000000000001:role/path/to/Role_Name+=,.@-")]
    [TestCase("arn:aws:iam::123456789012:role/service-role/SegmentS3Upload")]
    public void RoleArnError_WhenValid_ReturnsNull(string value) =>
        Assert.That(SettingRules.RoleArnError(value), Is.Null);

    [Test]
    public void RoleArnError_WhenRoleNameIs64Characters_ReturnsNull() =>
        Assert.That(SettingRules.RoleArnError("arn:aws:iam::123456789012:role/" + new string('r', 64)), Is.Null);

    [TestCase(null)]
    [TestCase("")]
    public void RoleArnError_WhenNotSet_NamesSettingAndExample(string? value) =>
        Assert.That(SettingRules.RoleArnError(value), Does.StartWith("RoleArn is not set").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenRoleNameOnly_SuggestsFullArn() =>
        Assert.That(
            SettingRules.RoleArnError("SegmentS3Upload"),
            Does.StartWith("RoleArn 'SegmentS3Upload' looks like a role name").And.Contain("'arn:aws:iam::123456789012:role/SegmentS3Upload'"));

    [TestCase("hello world")]
    [TestCase("aws:iam::123456789012:role/x")]
    public void RoleArnError_WhenNotAnArn_NamesSettingAndExample(string value) =>
        Assert.That(SettingRules.RoleArnError(value), Does.StartWith($"RoleArn '{value}' is not an ARN").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenTooFewParts_SaysNotWellFormed() =>
        Assert.That(
            SettingRules.RoleArnError("arn:aws:iam:role/x"),
            Does.StartWith("RoleArn 'arn:aws:iam:role/x' is not a well-formed ARN").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenUserArn_SaysItIsNotARole() =>
        Assert.That(
            SettingRules.RoleArnError("arn:aws:iam::123456789012:user/x"),
            Does.StartWith("RoleArn 'arn:aws:iam::123456789012:user/x' is the ARN of an IAM 'user', not of an IAM role")
                .And.Contain("'role/'").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenS3Arn_SaysItIsAnS3Arn() =>
        Assert.That(
            SettingRules.RoleArnError("arn:aws:s3:::my-bucket"),
            Does.StartWith("RoleArn 'arn:aws:s3:::my-bucket' is an S3 ARN, not an IAM role ARN").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenOtherServiceArn_NamesTheService() =>
        Assert.That(
            SettingRules.RoleArnError("arn:aws:kms:us-east-1:123456789012:key/x"),
            Does.StartWith("RoleArn 'arn:aws:kms:us-east-1:123456789012:key/x' is an ARN for the 'kms' service").And.Contain($"'{ExampleArn}'"));

    [TestCase("12345678901")]
    [TestCase("1234567890123")]
    [TestCase("12345678901a")]
    [TestCase("")]
    public void RoleArnError_WhenAccountIsNotTwelveDigits_SaysSo(string account)
    {
        string value = $"arn:aws:iam::{account}:role/x";
        Assert.That(
            SettingRules.RoleArnError(value),
            Does.StartWith($"RoleArn '{value}' has account id '{account}'").And.Contain("exactly 12 digits").And.Contain($"'{ExampleArn}'"));
    }

    [Test]
    public void RoleArnError_WhenPartitionUnknown_ListsPartitions() =>
        Assert.That(
            SettingRules.RoleArnError("arn:aws-iso:iam::123456789012:role/x"),
            Does.StartWith("RoleArn 'arn:aws-iso:iam::123456789012:role/x' has partition 'aws-iso'").And.Contain("'aws', 'aws-cn' or 'aws-us-gov'"));

    [Test]
    public void RoleArnError_WhenRegionGiven_SuggestsArnWithoutRegion() =>
        Assert.That(
            SettingRules.RoleArnError("arn:aws:iam:us-east-1:123456789012:role/x"),
            Does.StartWith("RoleArn 'arn:aws:iam:us-east-1:123456789012:role/x' names region 'us-east-1'")
                .And.Contain("enter 'arn:aws:iam::123456789012:role/x'"));

    [Test]
    public void RoleArnError_WhenAssumedRoleSessionArn_SuggestsRoleArn() =>
        Assert.That(
            SettingRules.RoleArnError("arn:aws:sts::123456789012:assumed-role/SegmentS3Upload/session"),
            Does.StartWith("RoleArn 'arn:aws:sts::123456789012:assumed-role/SegmentS3Upload/session' is the ARN of an assumed-role session")
                .And.Contain("'arn:aws:iam::123456789012:role/SegmentS3Upload'"));

    [TestCase("arn:aws:iam::123456789012:role/a b")]
    [TestCase("arn:aws:iam::123456789012:role/a#b")]
    [TestCase("arn:aws:iam::123456789012:role/rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr")]
    public void RoleArnError_WhenRoleNameInvalid_SaysWhatANameIs(string value) =>
        Assert.That(
            SettingRules.RoleArnError(value),
            Does.StartWith($"RoleArn '{value}' has role name").And.Contain("1 to 64").And.Contain($"'{ExampleArn}'"));

    [TestCase("arn:aws:iam::123456789012:role//x")]
    [TestCase("arn:aws:iam::123456789012:role/a b/x")]
    public void RoleArnError_WhenRolePathInvalid_SaysWhatAPathIs(string value) =>
        Assert.That(
            SettingRules.RoleArnError(value),
            Does.StartWith($"RoleArn '{value}' has an invalid role path").And.Contain("'arn:aws:iam::123456789012:role/segment/SegmentS3Upload'"));

    [TestCase("arn:aws:iam::123456789012:role/")]
    [TestCase("arn:aws:iam::123456789012:role/path/")]
    public void RoleArnError_WhenNoRoleName_SaysSo(string value) =>
        Assert.That(SettingRules.RoleArnError(value), Does.StartWith($"RoleArn '{value}' has no role name").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenSurroundedByWhitespace_SuggestsTrimmedValue() =>
        Assert.That(SettingRules.RoleArnError(ExampleArn + " "), Does.StartWith($"RoleArn '{ExampleArn} '").And.Contain($"enter '{ExampleArn}'"));

    // ---- ExternalId ----

    [TestCase("ab")]
    [TestCase("abcXYZ0123456789+=,.@:/-")]
    [TestCase("a_b")]
    [TestCase("ws_1234abcd")]
    public void ExternalIdError_WhenValid_ReturnsNull(string value) =>
        Assert.That(SettingRules.ExternalIdError(value), Is.Null);

    [Test]
    public void ExternalIdError_When1224Characters_ReturnsNull() =>
        Assert.That(SettingRules.ExternalIdError(new string('x', 1224)), Is.Null);

    [TestCase(null)]
    [TestCase("")]
    public void ExternalIdError_WhenNotSet_NamesSettingAndRule(string? value) =>
        Assert.That(SettingRules.ExternalIdError(value), Does.StartWith("ExternalId is not set").And.Contain("2 to 1224"));

    [Test]
    public void ExternalIdError_WhenOneCharacter_NamesLength() =>
        Assert.That(SettingRules.ExternalIdError("a"), Does.StartWith("ExternalId 'a' is 1 character long").And.Contain("2 to 1224"));

    [Test]
    public void ExternalIdError_WhenTooLong_NamesLengthAndShortensQuote()
    {
        string? error = SettingRules.ExternalIdError(new string('x', 1225));
        Assert.That(error, Does.StartWith("ExternalId 'xxxx").And.Contain("…' (1225 characters)").And.Contain("is 1225 characters long").And.Contain("2 to 1224"));
        Assert.That(error!.Length, Is.LessThan(500));
    }

    [TestCase("ab cd", "a space at position 3")]
    [TestCase("ab#cd", "'#' at position 3")]
    [TestCase("abc\u0001", "'\\u0001' at position 4")]
    [TestCase("ab\tc", "'\\t' at position 3")]
    [TestCase("abé", "'é' at position 3")]
    [TestCase("ab😀", "'😀' at position 3")]
    public void ExternalIdError_WhenInvalidCharacter_NamesFirstOffendingCharacter(string value, string described) =>
        Assert.That(
            SettingRules.ExternalIdError(value),
            Does.StartWith("ExternalId '").And.Contain($"contains {described}").And.Contain("letters, digits, underscores and + = , . @ : / -"));

    [Test]
    public void ExternalIdError_WhenControlCharacter_EscapesItInTheQuotedValue() =>
        Assert.That(SettingRules.ExternalIdError("ab\u0007"), Does.StartWith("ExternalId 'ab\\u0007' contains '\\u0007'"));

    [Test]
    public void ExternalIdError_WhenSurroundedByWhitespace_SuggestsTrimmedValue() =>
        Assert.That(SettingRules.ExternalIdError(" abc "), Does.StartWith("ExternalId ' abc ' contains a space at position 1").And.Contain("enter 'abc'"));

    // ---- SourceId ----

    [TestCase("a")]
    [TestCase("Ab_1.2-3")]
    [TestCase("...")]
    [TestCase(".hidden")]
    public void SourceIdError_WhenValid_ReturnsNull(string value) =>
        Assert.That(SettingRules.SourceIdError(value), Is.Null);

    [Test]
    public void SourceIdError_When128Characters_ReturnsNull() =>
        Assert.That(SettingRules.SourceIdError(new string('s', 128)), Is.Null);

    [TestCase("../x", "'/' at position 3")]
    [TestCase("a/b", "'/' at position 2")]
    [TestCase("a\\b", "'\\' at position 2")]
    [TestCase("%2F", "'%' at position 1")]
    [TestCase("a b", "a space at position 2")]
    [TestCase("a\tb", "'\\t' at position 2")]
    [TestCase("a\u0000b", "'\\0' at position 2")]
    [TestCase("a\u0085b", "'\\u0085' at position 2")]
    [TestCase("a\u00A0b", "a whitespace character ('\\u00A0') at position 2")]
    [TestCase("ü", "'ü' at position 1")]
    public void SourceIdError_WhenInvalidCharacter_SaysNoSeparatorsOrEscapesAndShowsAllowedSet(string value, string described) =>
        Assert.That(
            SettingRules.SourceIdError(value),
            Does.StartWith("SourceId '").And.Contain($"contains {described}")
                .And.Contain("can't contain path separators, escapes or whitespace")
                .And.Contain("letters A-Z and a-z, digits 0-9, '_', '.' and '-'"));

    [TestCase(".")]
    [TestCase("..")]
    public void SourceIdError_WhenRelativePathSegment_SaysSo(string value) =>
        Assert.That(
            SettingRules.SourceIdError(value),
            Does.StartWith($"SourceId '{value}' is a relative path segment").And.Contain("not '.' or '..'").And.Contain("'_', '.' and '-'"));

    [TestCase(null)]
    [TestCase("")]
    public void SourceIdError_WhenNotSet_NamesSettingAndAllowedSet(string? value) =>
        Assert.That(SettingRules.SourceIdError(value), Does.StartWith("SourceId is not set").And.Contain("'_', '.' and '-'"));

    [Test]
    public void SourceIdError_WhenTooLong_NamesLength() =>
        Assert.That(SettingRules.SourceIdError(new string('s', 129)), Does.StartWith("SourceId 'sss").And.Contain("is 129 characters long").And.Contain("1 to 128"));

    // ---- RoleSessionName ----

    [TestCase("ab")]
    [TestCase("segment-s3-upload")]
    [TestCase("a+=,.@-_Z9")]
    public void SessionNameError_WhenValid_ReturnsNull(string value) =>
        Assert.That(SettingRules.SessionNameError(value), Is.Null);

    [Test]
    public void SessionNameError_When64Characters_ReturnsNull() =>
        Assert.That(SettingRules.SessionNameError(new string('n', 64)), Is.Null);

    [TestCase(null)]
    [TestCase("")]
    public void SessionNameError_WhenNotSet_NamesSettingAndRule(string? value) =>
        Assert.That(SettingRules.SessionNameError(value), Does.StartWith("RoleSessionName is not set").And.Contain("2 to 64"));

    [TestCase("a", "is 1 character long")]
    [TestCase("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", "is 65 characters long")]
    [TestCase("a b", "contains a space at position 2")]
    [TestCase("a/b", "contains '/' at position 2")]
    [TestCase("a:b", "contains ':' at position 2")]
    public void SessionNameError_WhenInvalid_NamesSettingValueAndRule(string value, string reason) =>
        Assert.That(
            SettingRules.SessionNameError(value),
            Does.StartWith($"RoleSessionName '{value}' {reason}").And.Contain("2 to 64 letters, digits, underscores and + = , . @ -"));

    // ---- SessionDuration ----

    [TestCase("00:15:00")]
    [TestCase("01:00:00")]
    [TestCase("12:00:00")]
    public void SessionDurationError_WhenInRange_ReturnsNull(string value) =>
        Assert.That(SettingRules.SessionDurationError(TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture)), Is.Null);

    [TestCase("00:14:59")]
    [TestCase("12:00:01")]
    [TestCase("00:00:00")]
    [TestCase("-01:00:00")]
    [TestCase("1.00:00:00")]
    public void SessionDurationError_WhenOutOfRange_NamesSettingValueAndRange(string value) =>
        Assert.That(
            SettingRules.SessionDurationError(TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture)),
            Does.StartWith($"SessionDuration '{value}'").And.Contain("15 minutes ('00:15:00') to 12 hours ('12:00:00')"));

    // ---- KmsKeyId ----

    [TestCase(null)]
    [TestCase("1234abcd-12ab-34cd-56ef-1234567890ab")]
    [TestCase("mrk-1234abcd12ab34cd56ef1234567890ab")]
    [TestCase("alias/my-key")]
    [TestCase("alias/aws/s3")]
    [TestCase("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")]
    [TestCase("arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab")]
    [TestCase("arn:aws:kms:eu-west-1:123456789012:alias/my_key")]
    public void KmsKeyIdError_WhenValidOrUnset_ReturnsNull(string? value) =>
        Assert.That(SettingRules.KmsKeyIdError(value), Is.Null);

    [Test]
    public void KmsKeyIdError_WhenEmpty_SaysLeaveUnset() =>
        Assert.That(SettingRules.KmsKeyIdError(""), Does.StartWith("KmsKeyId is empty; leave it unset").And.Contain("'alias/my-key'"));

    [TestCase("my-key")]
    [TestCase("1234abcd")]
    [TestCase("alias/")]
    [TestCase("alias/my key")]
    [TestCase("mrk-123")]
    public void KmsKeyIdError_WhenNotAKeyIdOrAlias_NamesSettingAndExamples(string value) =>
        Assert.That(
            SettingRules.KmsKeyIdError(value),
            Does.StartWith($"KmsKeyId '{value}' is not a KMS key id, alias or ARN")
                .And.Contain("'1234abcd-12ab-34cd-56ef-1234567890ab'").And.Contain("'alias/my-key'").And.Contain("'arn:aws:kms:"));

    [TestCase("arn:aws:s3:::bucket", "is an ARN for the 's3' service")]
    [TestCase("arn:aws:kms::123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "has region ''")]
    [TestCase("arn:aws:kms:US-EAST-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "has region 'US-EAST-1'")]
    [TestCase("arn:aws:kms:us-east-1:12345:key/1234abcd-12ab-34cd-56ef-1234567890ab", "has account id '12345'")]
    [TestCase("arn:aws:kms:us-east-1:123456789012:key/not-a-key", "does not end in 'key/'")]
    [TestCase("arn:aws:kms:us-east-1:123456789012:alias", "does not end in 'key/'")]
    [TestCase("arn:aws-iso:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "has partition 'aws-iso'")]
    [TestCase("arn:aws:kms:us-east-1", "is not a well-formed ARN")]
    public void KmsKeyIdError_WhenArnInvalid_NamesTheProblem(string value, string reason) =>
        Assert.That(SettingRules.KmsKeyIdError(value), Does.StartWith($"KmsKeyId '{value}' {reason}"));

    [Test]
    public void KmsKeyIdError_WhenSurroundedByWhitespace_SuggestsTrimmedValue() =>
        Assert.That(SettingRules.KmsKeyIdError(" alias/my-key "), Does.StartWith("KmsKeyId ' alias/my-key '").And.Contain("enter 'alias/my-key'"));

    // ---- Service URLs ----

    [TestCase(null)]
    [TestCase("http://localhost:4566")]
    [TestCase("https://s3.us-west-2.amazonaws.com")]
    [TestCase("http://127.0.0.1:9000/")]
    [TestCase("HTTPS://sts.amazonaws.com")]
    public void ServiceUrlError_WhenUnsetOrAbsoluteHttpUrl_ReturnsNull(string? value) =>
        Assert.That(SettingRules.ServiceUrlError("S3ServiceUrl", value), Is.Null);

    [TestCase("", "S3ServiceUrl is empty")]
    [TestCase("localhost:4566", "S3ServiceUrl 'localhost:4566' is not an absolute URL (it has no 'http://' or 'https://')")]
    [TestCase("/relative/path", "S3ServiceUrl '/relative/path' is not an absolute URL")]
    [TestCase("ftp://example.com", "S3ServiceUrl 'ftp://example.com' uses scheme 'ftp'")]
    [TestCase("http://", "S3ServiceUrl 'http://' is not an absolute URL")]
    [TestCase("http://exa mple.com", "S3ServiceUrl 'http://exa mple.com' is not an absolute URL")]
    public void ServiceUrlError_WhenNotAbsoluteHttpUrl_NamesSettingValueAndExample(string value, string start) =>
        Assert.That(
            SettingRules.ServiceUrlError("S3ServiceUrl", value),
            Does.StartWith(start).And.Contain("leave it unset").And.Contain("'http://localhost:4566'"));

    [Test]
    public void ServiceUrlError_WhenSurroundedByWhitespace_SuggestsTrimmedValue() =>
        Assert.That(
            SettingRules.ServiceUrlError("StsServiceUrl", " http://localhost:4566 "),
            Does.StartWith("StsServiceUrl ' http://localhost:4566 '").And.Contain("enter 'http://localhost:4566'"));

    // ---- Quoting ----

    [Test]
    public void Quote_WhenShort_QuotesWholeValueWithControlCharactersEscaped() =>
        Assert.That(SettingRules.Quote("a\r\nb\u001Bc"), Is.EqualTo("'a\\r\\nb\\u001Bc'"));

    [Test]
    public void Quote_WhenLong_ShortensAndGivesLength()
    {
        string quoted = SettingRules.Quote(new string('q', 5000));
        Assert.That(quoted, Does.StartWith("'qqq").And.EndWith("…' (5000 characters)"));
        Assert.That(quoted.Length, Is.LessThanOrEqualTo(200));
    }

    [Test]
    public void Quote_WhenShorteningAtASurrogatePair_KeepsThePairWhole()
    {
        string value = new string('q', 159) + string.Concat(Enumerable.Repeat("😀", 100));
        string quoted = SettingRules.Quote(value);
        Assert.That(quoted, Does.StartWith("'" + new string('q', 159) + "…'"));
    }
}
