namespace RawDataDestination.Tests.Aws;

/// <summary>
/// <see cref="RegionRules"/>: every region setting's rule and message. Its valid and refused values are cases in
/// Rules/setting-cases.json (SettingRuleCasesTests); here are the regions the AWS SDK does not know, and the setting's name.
/// </summary>
public class RegionRulesTests
{
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
    public void Error_WhenUppercaseAndUnknown_SuggestsOnlyAKnownRegion()
    {
        string? error = RegionRules.Error("US-WST-2", allowUnknown: false);

        Assert.That(error, Does.Contain("enter 'us-west-2'").And.Not.Contain("enter 'us-wst-2'"));
    }

    [Test]
    public void Error_ForAnUnknownRegionOnceTheSdkWasAskedForIt_StillRefusesIt()
    {
        // The SDK adds a region it is asked for (a destination with AllowUnknownRegion) to the list it enumerates, so
        // for the rest of the process the rule took it for known: another tenant's, or a later check's, typo passed.
        _ = Amazon.RegionEndpoint.GetBySystemName("xx-asked-1");

        Assert.That(RegionRules.Error("xx-asked-1", allowUnknown: false), Does.StartWith("Region 'xx-asked-1' is not an AWS region"));
        Assert.That(RegionRules.ClosestKnown("xx-asked-2"), Is.Not.EqualTo("xx-asked-1"), "nor suggested");
    }

    [Test]
    public void Error_ForStsRegion_NamesThatSetting() =>
        Assert.That(RegionRules.Error("us-eest-1", allowUnknown: false, setting: "StsRegion"), Does.StartWith("StsRegion 'us-eest-1'"));
}
