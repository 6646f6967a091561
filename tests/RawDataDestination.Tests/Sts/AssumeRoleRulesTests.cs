namespace RawDataDestination.Tests.Sts;

/// <summary><see cref="AssumeRoleRules"/>: the rules and messages of RoleArn, ExternalId, RoleSessionName and SessionDuration.</summary>
public class AssumeRoleRulesTests
{
    private const string ExampleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    [TestCase(ExampleArn)]
    [TestCase("arn:aws-cn:iam::123456789012:role/x")]
    [TestCase("arn:aws-us-gov:iam::000000000001:role/path/to/Role_Name+=,.@-")]
    [TestCase("arn:aws:iam::123456789012:role/service-role/SegmentS3Upload")]
    public void RoleArnError_WhenValid_ReturnsNull(string value) =>
        Assert.That(AssumeRoleRules.RoleArnError(value), Is.Null);

    [Test]
    public void RoleArnError_WhenRoleNameIs64Characters_ReturnsNull() =>
        Assert.That(AssumeRoleRules.RoleArnError("arn:aws:iam::123456789012:role/" + new string('r', 64)), Is.Null);

    [TestCase(null)]
    [TestCase("")]
    public void RoleArnError_WhenNotSet_NamesSettingAndExample(string? value) =>
        Assert.That(AssumeRoleRules.RoleArnError(value), Does.StartWith("RoleArn is not set").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenRoleNameOnly_SuggestsFullArn() =>
        Assert.That(
            AssumeRoleRules.RoleArnError("SegmentS3Upload"),
            Does.StartWith("RoleArn 'SegmentS3Upload' looks like a role name").And.Contain("'arn:aws:iam::123456789012:role/SegmentS3Upload'"));

    [TestCase("hello world")]
    [TestCase("aws:iam::123456789012:role/x")]
    public void RoleArnError_WhenNotAnArn_NamesSettingAndExample(string value) =>
        Assert.That(AssumeRoleRules.RoleArnError(value), Does.StartWith($"RoleArn '{value}' is not an ARN").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenTooFewParts_SaysNotWellFormed() =>
        Assert.That(
            AssumeRoleRules.RoleArnError("arn:aws:iam:role/x"),
            Does.StartWith("RoleArn 'arn:aws:iam:role/x' is not a well-formed ARN").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenUserArn_SaysItIsNotARole() =>
        Assert.That(
            AssumeRoleRules.RoleArnError("arn:aws:iam::123456789012:user/x"),
            Does.StartWith("RoleArn 'arn:aws:iam::123456789012:user/x' is the ARN of an IAM 'user', not of an IAM role")
                .And.Contain("'role/'").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenS3Arn_SaysItIsAnS3Arn() =>
        Assert.That(
            AssumeRoleRules.RoleArnError("arn:aws:s3:::my-bucket"),
            Does.StartWith("RoleArn 'arn:aws:s3:::my-bucket' is an S3 ARN, not an IAM role ARN").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenOtherServiceArn_NamesTheService() =>
        Assert.That(
            AssumeRoleRules.RoleArnError("arn:aws:kms:us-east-1:123456789012:key/x"),
            Does.StartWith("RoleArn 'arn:aws:kms:us-east-1:123456789012:key/x' is an ARN for the 'kms' service").And.Contain($"'{ExampleArn}'"));

    [TestCase("12345678901")]
    [TestCase("1234567890123")]
    [TestCase("12345678901a")]
    [TestCase("")]
    public void RoleArnError_WhenAccountIsNotTwelveDigits_SaysSo(string account)
    {
        string value = $"arn:aws:iam::{account}:role/x";
        Assert.That(
            AssumeRoleRules.RoleArnError(value),
            Does.StartWith($"RoleArn '{value}' has account id '{account}'").And.Contain("exactly 12 digits").And.Contain($"'{ExampleArn}'"));
    }

    [Test]
    public void RoleArnError_WhenPartitionUnknown_ListsPartitions() =>
        Assert.That(
            AssumeRoleRules.RoleArnError("arn:aws-iso:iam::123456789012:role/x"),
            Does.StartWith("RoleArn 'arn:aws-iso:iam::123456789012:role/x' has partition 'aws-iso'").And.Contain("'aws', 'aws-cn' or 'aws-us-gov'"));

    [Test]
    public void RoleArnError_WhenRegionGiven_SuggestsArnWithoutRegion() =>
        Assert.That(
            AssumeRoleRules.RoleArnError("arn:aws:iam:us-east-1:123456789012:role/x"),
            Does.StartWith("RoleArn 'arn:aws:iam:us-east-1:123456789012:role/x' names region 'us-east-1'")
                .And.Contain("enter 'arn:aws:iam::123456789012:role/x'"));

    [Test]
    public void RoleArnError_WhenAssumedRoleSessionArn_SuggestsRoleArn() =>
        Assert.That(
            AssumeRoleRules.RoleArnError("arn:aws:sts::123456789012:assumed-role/SegmentS3Upload/session"),
            Does.StartWith("RoleArn 'arn:aws:sts::123456789012:assumed-role/SegmentS3Upload/session' is the ARN of an assumed-role session")
                .And.Contain("'arn:aws:iam::123456789012:role/SegmentS3Upload'"));

    [TestCase("arn:aws:iam::123456789012:role/a b")]
    [TestCase("arn:aws:iam::123456789012:role/a#b")]
    [TestCase("arn:aws:iam::123456789012:role/rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr")]
    public void RoleArnError_WhenRoleNameInvalid_SaysWhatANameIs(string value) =>
        Assert.That(
            AssumeRoleRules.RoleArnError(value),
            Does.StartWith($"RoleArn '{value}' has role name").And.Contain("1 to 64").And.Contain($"'{ExampleArn}'"));

    [TestCase("arn:aws:iam::123456789012:role//x")]
    [TestCase("arn:aws:iam::123456789012:role/a b/x")]
    public void RoleArnError_WhenRolePathInvalid_SaysWhatAPathIs(string value) =>
        Assert.That(
            AssumeRoleRules.RoleArnError(value),
            Does.StartWith($"RoleArn '{value}' has an invalid role path").And.Contain("'arn:aws:iam::123456789012:role/segment/SegmentS3Upload'"));

    [TestCase("arn:aws:iam::123456789012:role/")]
    [TestCase("arn:aws:iam::123456789012:role/path/")]
    public void RoleArnError_WhenNoRoleName_SaysSo(string value) =>
        Assert.That(AssumeRoleRules.RoleArnError(value), Does.StartWith($"RoleArn '{value}' has no role name").And.Contain($"'{ExampleArn}'"));

    [Test]
    public void RoleArnError_WhenSurroundedByWhitespace_SuggestsTrimmedValue() =>
        Assert.That(AssumeRoleRules.RoleArnError(ExampleArn + " "), Does.StartWith($"RoleArn '{ExampleArn} '").And.Contain($"enter '{ExampleArn}'"));

    [TestCase("ab")]
    [TestCase("abcXYZ0123456789+=,.@:/-")]
    [TestCase("a_b")]
    [TestCase("ws_1234abcd")]
    public void ExternalIdError_WhenValid_ReturnsNull(string value) =>
        Assert.That(AssumeRoleRules.ExternalIdError(value), Is.Null);

    [Test]
    public void ExternalIdError_When1224Characters_ReturnsNull() =>
        Assert.That(AssumeRoleRules.ExternalIdError(new string('x', 1224)), Is.Null);

    [TestCase(null)]
    [TestCase("")]
    public void ExternalIdError_WhenNotSet_NamesSettingAndRule(string? value) =>
        Assert.That(AssumeRoleRules.ExternalIdError(value), Does.StartWith("ExternalId is not set").And.Contain("2 to 1224"));

    [Test]
    public void ExternalIdError_WhenOneCharacter_NamesLength() =>
        Assert.That(AssumeRoleRules.ExternalIdError("a"), Does.StartWith("ExternalId 'a' is 1 character long").And.Contain("2 to 1224"));

    [Test]
    public void ExternalIdError_WhenTooLong_NamesLengthAndShortensQuote()
    {
        string? error = AssumeRoleRules.ExternalIdError(new string('x', 1225));
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
            AssumeRoleRules.ExternalIdError(value),
            Does.StartWith("ExternalId '").And.Contain($"contains {described}").And.Contain("letters, digits, underscores and + = , . @ : / -"));

    [Test]
    public void ExternalIdError_WhenControlCharacter_EscapesItInTheQuotedValue() =>
        Assert.That(AssumeRoleRules.ExternalIdError("ab\u0007"), Does.StartWith("ExternalId 'ab\\u0007' contains '\\u0007'"));

    [Test]
    public void ExternalIdError_WhenSurroundedByWhitespace_SuggestsTrimmedValue() =>
        Assert.That(AssumeRoleRules.ExternalIdError(" abc "), Does.StartWith("ExternalId ' abc ' contains a space at position 1").And.Contain("enter 'abc'"));

    [TestCase("ab")]
    [TestCase("segment-s3-upload")]
    [TestCase("a+=,.@-_Z9")]
    public void SessionNameError_WhenValid_ReturnsNull(string value) =>
        Assert.That(AssumeRoleRules.SessionNameError(value), Is.Null);

    [Test]
    public void SessionNameError_When64Characters_ReturnsNull() =>
        Assert.That(AssumeRoleRules.SessionNameError(new string('n', 64)), Is.Null);

    [TestCase(null)]
    [TestCase("")]
    public void SessionNameError_WhenNotSet_NamesSettingAndRule(string? value) =>
        Assert.That(AssumeRoleRules.SessionNameError(value), Does.StartWith("RoleSessionName is not set").And.Contain("2 to 64"));

    [TestCase("a", "is 1 character long")]
    [TestCase("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", "is 65 characters long")]
    [TestCase("a b", "contains a space at position 2")]
    [TestCase("a/b", "contains '/' at position 2")]
    [TestCase("a:b", "contains ':' at position 2")]
    public void SessionNameError_WhenInvalid_NamesSettingValueAndRule(string value, string reason) =>
        Assert.That(
            AssumeRoleRules.SessionNameError(value),
            Does.StartWith($"RoleSessionName '{value}' {reason}").And.Contain("2 to 64 letters, digits, underscores and + = , . @ -"));

    [TestCase("00:15:00")]
    [TestCase("01:00:00")]
    [TestCase("12:00:00")]
    public void CheckSessionDuration_WhenInRange_AddsNothing(string value)
    {
        var check = new SettingChecks(null);
        AssumeRoleRules.CheckSessionDuration(check, TimeSpan.Parse(value, CultureInfo.InvariantCulture), TimeSpan.FromHours(1));

        Assert.That(check.Problems, Is.Empty);
    }

    [TestCase("00:14:59")]
    [TestCase("12:00:01")]
    [TestCase("00:00:00")]
    [TestCase("-01:00:00")]
    [TestCase("1.00:00:00")]
    public void CheckSessionDuration_WhenOutOfRange_NamesValueRangeAndDefault(string value)
    {
        var check = new SettingChecks(null);
        AssumeRoleRules.CheckSessionDuration(check, TimeSpan.Parse(value, CultureInfo.InvariantCulture), TimeSpan.FromHours(1));

        Assert.That(check.Problems, Is.EqualTo(new[]
        {
            new SettingProblem("SessionDuration", $"SessionDuration is {value}; it must be from 15 minutes to 12 hours, as STS allows, and at most the role's maximum session duration, which is 1 hour unless changed in IAM (the default is 1 hour)."),
        }));
    }
}
