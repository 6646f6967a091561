using RawDataDestination.Aws;

namespace RawDataDestination.Tests.Aws;

/// <summary><see cref="ServiceUrlRules"/>: every endpoint setting's rule and message.</summary>
public class ServiceUrlRulesTests
{
    [TestCase(null)]
    [TestCase("http://localhost:4566")]
    [TestCase("https://s3.us-west-2.amazonaws.com")]
    [TestCase("http://127.0.0.1:9000/")]
    [TestCase("HTTPS://sts.amazonaws.com")]
    public void Error_WhenUnsetOrAbsoluteHttpUrl_ReturnsNull(string? value) =>
        Assert.That(ServiceUrlRules.Error("S3ServiceUrl", value), Is.Null);

    [TestCase("", "S3ServiceUrl is empty")]
    [TestCase("localhost:4566", "S3ServiceUrl 'localhost:4566' is not an absolute URL (it has no 'http://' or 'https://')")]
    [TestCase("/relative/path", "S3ServiceUrl '/relative/path' is not an absolute URL")]
    [TestCase("ftp://example.com", "S3ServiceUrl 'ftp://example.com' uses scheme 'ftp'")]
    [TestCase("http://", "S3ServiceUrl 'http://' is not an absolute URL")]
    [TestCase("http://exa mple.com", "S3ServiceUrl 'http://exa mple.com' is not an absolute URL")]
    public void Error_WhenNotAbsoluteHttpUrl_NamesSettingValueAndExample(string value, string start) =>
        Assert.That(
            ServiceUrlRules.Error("S3ServiceUrl", value),
            Does.StartWith(start).And.Contain("leave it unset").And.Contain("'http://localhost:4566'"));

    [Test]
    public void Error_WhenSurroundedByWhitespace_SuggestsTrimmedValue() =>
        Assert.That(
            ServiceUrlRules.Error("StsServiceUrl", " http://localhost:4566 "),
            Does.StartWith("StsServiceUrl ' http://localhost:4566 '").And.Contain("enter 'http://localhost:4566'"));
}
