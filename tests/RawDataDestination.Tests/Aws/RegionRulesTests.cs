using RawDataDestination.Aws;

namespace RawDataDestination.Tests.Aws;

/// <summary><see cref="RegionRules"/>: every region setting's rule and message.</summary>
public class RegionRulesTests
{
    [TestCase("us-east-1")]
    [TestCase("eu-central-2")]
    [TestCase("ap-southeast-3")]
    [TestCase("us-gov-west-1")]
    [TestCase("cn-north-1")]
    [TestCase("il-central-1")]
    [TestCase("ca-west-1")]
    [TestCase("me-central-12")]
    public void Error_WhenWellFormed_ReturnsNull(string value) =>
        Assert.That(RegionRules.Error(value), Is.Null);

    [TestCase(null)]
    [TestCase("")]
    public void Error_WhenNotSet_NamesSettingAndExample(string? value) =>
        Assert.That(RegionRules.Error(value), Does.StartWith("Region is not set").And.Contain("'us-east-1'"));

    [TestCase("US-EAST-1", "us-east-1")]
    [TestCase("Eu-Central-1", "eu-central-1")]
    public void Error_WhenUppercase_NamesSettingAndExample(string value, string fix) =>
        Assert.That(
            RegionRules.Error(value),
            Does.StartWith($"Region '{value}'").And.Contain("uppercase").And.Contain($"enter '{fix}'"));

    [TestCase(" us-east-1", "us-east-1")]
    [TestCase("us-west-2\n", "us-west-2")]
    public void Error_WhenSurroundedByWhitespace_SuggestsTrimmedValue(string value, string fix) =>
        Assert.That(
            RegionRules.Error(value),
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
    public void Error_WhenMalformed_NamesSettingValueAndExample(string value) =>
        Assert.That(
            RegionRules.Error(value),
            Does.StartWith($"Region '{value}' is not a valid AWS region code").And.Contain("'us-east-1'"));

    [TestCase("us-wst-2", "us-west-2")]
    [TestCase("eu-centrl-1", "eu-central-1")]
    [TestCase("me-central-12", "me-central-1")]
    public void Error_WhenUnknownToTheSdk_NamesTheClosestKnownRegionAndTheEscapeHatch(string value, string closest)
    {
        string? error = RegionRules.Error(value, allowUnknown: false);

        Assert.That(error, Does.StartWith($"Region '{value}' is not an AWS region").And.Contain($"did you mean '{closest}'?").And.Contain("AllowUnknownRegion"));
        Assert.That(RegionRules.Error(closest, allowUnknown: false), Is.Null, "the suggestion is itself accepted");
    }

    [Test]
    public void Error_WhenUnknownButAllowed_ReturnsNull() =>
        Assert.That(RegionRules.Error("xx-newregion-1", allowUnknown: true), Is.Null);

    [Test]
    public void Error_WhenUppercaseAndUnknown_SuggestsOnlyAKnownRegion()
    {
        string? error = RegionRules.Error("US-WST-2", allowUnknown: false);

        Assert.That(error, Does.Contain("enter 'us-west-2'").And.Not.Contain("enter 'us-wst-2'"));
    }

    [Test]
    public void Error_ForStsRegion_NamesThatSetting() =>
        Assert.That(RegionRules.Error("us-eest-1", allowUnknown: false, setting: "StsRegion"), Does.StartWith("StsRegion 'us-eest-1'"));
}
