namespace RawDataDestination.Tests.S3;

/// <summary><see cref="KmsKeyRules"/>: the KmsKeyId setting's rule and message.</summary>
public class KmsKeyRulesTests
{
    [TestCase(null)]
    [TestCase("1234abcd-12ab-34cd-56ef-1234567890ab")]
    [TestCase("mrk-1234abcd12ab34cd56ef1234567890ab")]
    [TestCase("alias/my-key")]
    [TestCase("alias/aws/s3")]
    [TestCase("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")]
    [TestCase("arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab")]
    [TestCase("arn:aws:kms:eu-west-1:123456789012:alias/my_key")]
    public void Error_WhenValidOrUnset_ReturnsNull(string? value) =>
        Assert.That(KmsKeyRules.Error(value), Is.Null);

    [Test]
    public void Error_WhenEmpty_SaysLeaveUnset() =>
        Assert.That(KmsKeyRules.Error(""), Does.StartWith("KmsKeyId is empty; leave it unset").And.Contain("'alias/my-key'"));

    [TestCase("my-key")]
    [TestCase("1234abcd")]
    [TestCase("alias/")]
    [TestCase("alias/my key")]
    [TestCase("mrk-123")]
    public void Error_WhenNotAKeyIdOrAlias_NamesSettingAndExamples(string value) =>
        Assert.That(
            KmsKeyRules.Error(value),
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
    public void Error_WhenArnInvalid_NamesTheProblem(string value, string reason) =>
        Assert.That(KmsKeyRules.Error(value), Does.StartWith($"KmsKeyId '{value}' {reason}"));

    [Test]
    public void Error_WhenSurroundedByWhitespace_SuggestsTrimmedValue() =>
        Assert.That(KmsKeyRules.Error(" alias/my-key "), Does.StartWith("KmsKeyId ' alias/my-key '").And.Contain("enter 'alias/my-key'"));
}
