namespace RawDataDestination.Tests.S3;

/// <summary>
/// <see cref="S3RoleDestinationOptions.Problems"/>, the one home of the destination's option rules: which rule guards each
/// setting, the rules that span settings, and every range's message. The rules of single values (region, bucket, role
/// ARN, external id, session name and duration, URLs, KMS key) are tested once, in their own homes' tests.
/// </summary>
public class S3RoleDestinationOptionsTests
{
    private static readonly TestCaseData[] BadRanges =
    [
        BadSetting.Case<S3RoleDestinationOptions>("CredentialRefreshWindow", o => o.CredentialRefreshWindow = TimeSpan.FromHours(1), "CredentialRefreshWindow is 01:00:00; it must be at least zero and less than SessionDuration, which is 01:00:00 (the default is 5 minutes)."),
        BadSetting.Case<S3RoleDestinationOptions>("Acl", o => o.Acl = (ObjectAcl)7, "Acl is 7; it must be one of BucketOwnerFullControl, None, BucketOwnerRead, Private (the default is BucketOwnerFullControl)."),
        BadSetting.Case<S3RoleDestinationOptions>("Encryption", o => o.Encryption = (ObjectEncryption)7, "Encryption is 7; it must be one of BucketDefault, Aes256, Kms (the default is BucketDefault)."),
        BadSetting.Case<S3RoleDestinationOptions>("ConditionalWrites", o => o.ConditionalWrites = (ConditionalWrites)7, "ConditionalWrites is 7; it must be one of Auto, Enabled, Disabled (the default is Auto)."),
        BadSetting.Case<S3RoleDestinationOptions>("RetryTimeLimit", o => o.RetryTimeLimit = TimeSpan.FromSeconds(-1), "RetryTimeLimit is -00:00:01; it must be at least zero (the default is 5 minutes)."),
        BadSetting.Case<S3RoleDestinationOptions>("RetryBaseDelay", o => o.RetryBaseDelay = TimeSpan.Zero, "RetryBaseDelay is 00:00:00; it must be greater than zero (the default is 200 milliseconds)."),
        BadSetting.Case<S3RoleDestinationOptions>("RetryMaxDelay", o => o.RetryMaxDelay = TimeSpan.FromMilliseconds(100), "RetryMaxDelay is 00:00:00.1000000; it must be at least RetryBaseDelay, which is 00:00:00.2000000 (the default is 20 seconds)."),
        BadSetting.Case<S3RoleDestinationOptions>("RequestTimeout", o => o.RequestTimeout = TimeSpan.Zero, "RequestTimeout is 00:00:00; it must be greater than zero (the default is 2 minutes)."),
        BadSetting.Case<S3RoleDestinationOptions>("ConnectTimeout", o => o.ConnectTimeout = TimeSpan.FromSeconds(-5), "ConnectTimeout is -00:00:05; it must be greater than zero (the default is 5 seconds)."),
        BadSetting.Case<S3RoleDestinationOptions>("ResponseTimeout", o => o.ResponseTimeout = TimeSpan.Zero, "ResponseTimeout is 00:00:00; it must be greater than zero (the default is 10 seconds)."),
    ];

    [Test]
    public void Problems_ValidRequiredSettingsAndDefaults_ReturnsNone() =>
        Assert.That(Valid().Problems(), Is.Empty);

    [Test]
    public void Problems_NothingSet_SaysEachRequiredSettingIsNotSetOnce() =>
        Assert.That(
            new S3RoleDestinationOptions().Problems().Select(problem => (problem.Setting, problem.Message[..problem.Message.IndexOf(';', StringComparison.Ordinal)])),
            Is.EqualTo(new[] { ("Region", "Region is not set"), ("Bucket", "Bucket is not set"), ("RoleArn", "RoleArn is not set"), ("ExternalId", "ExternalId is not set") }));

    [TestCaseSource(nameof(BadRanges))]
    public void Problems_OneSettingOutOfRange_NamesItsValueRangeAndDefault(string setting, Action<S3RoleDestinationOptions> breakIt, string message) =>
        Assert.That(BadSetting.ProblemsAfter(Valid(), breakIt, options => options.Problems()), Is.EqualTo(new[] { new SettingProblem(setting, message) }));

    [Test]
    public void Problems_EachSingleValueSetting_IsGuardedByItsRuleUnderItsName()
    {
        S3RoleDestinationOptions options = Valid();
        options.Region = "us-wst-2";
        options.Bucket = "s3://x";
        options.RoleArn = "role";
        options.ExternalId = "a";
        options.RoleSessionName = "x";
        options.SessionDuration = TimeSpan.FromDays(1);
        options.StsRegion = "EU";
        options.ServiceUrl = new Uri("ftp://x");
        options.StsServiceUrl = new Uri("file:///x");
        options.Encryption = ObjectEncryption.Kms;
        options.KmsKeyId = "k";
        options.ExpectedBucketOwner = "1234";

        Assert.That(
            options.Problems().Select(problem => problem.Setting),
            Is.EqualTo(new[] { "Region", "Bucket", "RoleArn", "ExternalId", "RoleSessionName", "SessionDuration", "StsRegion", "ServiceUrl", "StsServiceUrl", "KmsKeyId", "ExpectedBucketOwner" }));
    }

    [Test]
    public void Problems_UnknownRegionUnlessAllowed_IsRefusedForBothRegions()
    {
        S3RoleDestinationOptions options = Valid();
        options.Region = "xx-new-1";
        options.StsRegion = "xx-new-1";

        Assert.That(options.Problems().Select(problem => problem.Setting), Is.EqualTo(new[] { "Region", "StsRegion" }));
        options.AllowUnknownRegion = true;
        Assert.That(options.Problems(), Is.Empty);
    }

    [Test]
    public void Problems_KmsKeyIdWithoutKmsEncryption_IsIgnored()
    {
        S3RoleDestinationOptions options = Valid();
        options.KmsKeyId = "not a key";

        Assert.That(options.Problems(), Is.Empty);
        options.Encryption = ObjectEncryption.Kms;
        Assert.That(options.Problems().Select(problem => problem.Setting), Is.EqualTo(new[] { "KmsKeyId" }));
    }

    [Test]
    public void S3RoleDestination_WithBadOptions_ThrowsEveryProblemOfTheOptionsRules()
    {
        S3RoleDestinationOptions options = Valid();
        options.Bucket = "s3://x";
        options.RetryTimeLimit = TimeSpan.FromSeconds(-1);

        var error = Assert.Throws<ArgumentException>(() => new S3RoleDestination(options).Dispose());

        Assert.That(error!.ParamName, Is.EqualTo("options"));
        Assert.That(error.Message, Does.StartWith(string.Join(Environment.NewLine, options.Problems().Select(problem => problem.Message))));
    }

    [Test]
    public void Clone_EverySettingChanged_CarriesEachAndSharesNothing()
    {
        S3RoleDestinationOptions original = EverySetting.Changed<S3RoleDestinationOptions>();

        S3RoleDestinationOptions copy = original.Clone();
        copy.RetryTimeLimit = TimeSpan.FromSeconds(1);

        Assert.That(copy, Is.Not.SameAs(original));
        Assert.That(original.RetryTimeLimit, Is.Not.EqualTo(TimeSpan.FromSeconds(1)), "a change to the copy leaves the original as it was");
        Assert.Multiple(() =>
        {
            foreach (System.Reflection.PropertyInfo property in EverySetting.Of<S3RoleDestinationOptions>().Where(p => p.Name != nameof(S3RoleDestinationOptions.RetryTimeLimit)))
            {
                Assert.That(property.GetValue(copy), Is.EqualTo(property.GetValue(original)), property.Name);
            }
        });
    }

    [TestCase("arn:aws-cn:iam::123456789012:role/r", "us-east-1", null, "Region 'us-east-1' is a region of partition 'aws'", "'arn:aws:iam::123456789012:role/r'", "'cn-north-1'")]
    [TestCase("arn:aws:iam::123456789012:role/r", "cn-north-1", null, "Region 'cn-north-1' is a region of partition 'aws-cn'", "'arn:aws-cn:iam::123456789012:role/r'", "'us-east-1'")]
    [TestCase("arn:aws-us-gov:iam::123456789012:role/r", "us-gov-west-1", "eu-west-1", "StsRegion 'eu-west-1' is a region of partition 'aws'", "'arn:aws:iam::123456789012:role/r'", "'us-gov-west-1'")]
    public void Problems_RoleAndRegionOfTwoPartitions_RefusesTheRoleArnNamingBothValuesAndTheirPartitions(string roleArn, string region, string? stsRegion, string regionSaid, string otherRole, string otherRegion)
    {
        S3RoleDestinationOptions options = Valid();
        options.RoleArn = roleArn;
        options.Region = region;
        options.StsRegion = stsRegion;
        string partition = roleArn.Split(':')[1];

        Assert.That(options.Problems(), Has.Count.EqualTo(1));
        SettingProblem problem = options.Problems()[0];
        Assert.That(problem.Setting, Is.EqualTo("RoleArn"));
        Assert.That(problem.Message, Does.StartWith($"RoleArn '{roleArn}' is a role of partition '{partition}', but {regionSaid}: "));
        Assert.That(problem.Message, Does.Contain(otherRole).And.Contain(otherRegion), "the two ways to agree");
    }

    [TestCase("arn:aws-cn:iam::123456789012:role/r", "cn-northwest-1")]
    [TestCase("arn:aws-us-gov:iam::123456789012:role/r", "us-gov-east-1")]
    [TestCase("arn:aws:iam::123456789012:role/r", "eu-central-1")]
    public void Problems_RoleAndRegionOfOnePartition_AreTaken(string roleArn, string region)
    {
        S3RoleDestinationOptions options = Valid();
        options.RoleArn = roleArn;
        options.Region = region;
        Assert.That(options.Problems(), Is.Empty);
    }

    private static S3RoleDestinationOptions Valid() => new()
    {
        Region = "us-west-2",
        Bucket = "customer-bucket",
        RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload",
        ExternalId = "ext-id-123",
    };
}
