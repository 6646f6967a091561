namespace RawDataDestination.Tests.Sts;

/// <summary>
/// STS refusing AssumeRole (AccessDenied) in a program's words: the external id the program sent is the first thing to
/// check, named as the program's user sets it (QA-K K4: a typo in a tenants file's "externalId" was sent to the role's
/// trust relationship), as the setup check's refusal does (<see cref="StsExplanations.ForTrustPolicy"/>).
/// </summary>
public class StsAccessDeniedWordsTests
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    [Test]
    public void ForAssumeRole_AccessDenied_SaysFirstThatTheExternalIdSentMayNotBeTheOneTheTrustPolicyRequires_NamingItsSetting()
    {
        var refusal = new AmazonSecurityTokenServiceException("denied", ErrorType.Sender, "AccessDenied", "request-id", System.Net.HttpStatusCode.Forbidden);
        var file = new SettingWords(setting => setting == "ExternalId" ? "the tenant's \"externalId\"" : setting, (setting, value) => $"set {setting} to {value}");

        AssumeRoleException explained = StsExplanations.ForAssumeRole(refusal, RoleArn, "ext-typo", new StsEndpoint(null, "us-east-1"));
        string message = explained.Describe(file);

        Assert.That(message, Does.Contain("First check the external id: the tenant's \"externalId\" 'ext-typo' may not be the one the role's trust policy requires"));
        Assert.That(message.IndexOf("'ext-typo'", StringComparison.Ordinal), Is.LessThan(message.IndexOf("trust relationship", StringComparison.Ordinal)), "the likelier fix first");
        Assert.That(explained.Message, Does.Contain("ExternalId 'ext-typo' may not be"), "the library's own words name its property");
        Assert.That(message, Does.Contain("\"Condition\": { \"StringEquals\": { \"sts:ExternalId\": \"ext-typo\" } }").And.EndWith("(STS refuses in the same words when it does not)."));
    }
}
