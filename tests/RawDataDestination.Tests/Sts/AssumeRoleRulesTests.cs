namespace RawDataDestination.Tests.Sts;

/// <summary>
/// <see cref="AssumeRoleRules"/>: the rules and messages of RoleArn, ExternalId, RoleSessionName and SessionDuration.
/// The valid and refused values of the text settings are cases in Rules/setting-cases.json (SettingRuleCasesTests);
/// here are the length limits, which need long values, and the session duration's range.
/// </summary>
public class AssumeRoleRulesTests
{
    [Test]
    public void RoleArnError_WhenRoleNameIs64Characters_ReturnsNull() =>
        Assert.That(AssumeRoleRules.RoleArnError("arn:aws:iam::123456789012:role/" + new string('r', 64)), Is.Null);

    [Test]
    public void ExternalIdError_When1224Characters_ReturnsNull() =>
        Assert.That(AssumeRoleRules.ExternalIdError(new string('x', 1224)), Is.Null);

    [Test]
    public void ExternalIdError_WhenTooLong_NamesLengthAndShortensQuote()
    {
        string? error = AssumeRoleRules.ExternalIdError(new string('x', 1225));
        Assert.That(error, Does.StartWith("ExternalId 'xxxx").And.Contain("…' (1225 characters)").And.Contain("is 1225 characters long").And.Contain("2 to 1224"));
        Assert.That(error!.Length, Is.LessThan(500));
    }

    [Test]
    public void SessionNameError_When64Characters_ReturnsNull() =>
        Assert.That(AssumeRoleRules.SessionNameError(new string('n', 64)), Is.Null);

    [TestCase("00:15:00", true)]
    [TestCase("01:00:00", true)]
    [TestCase("12:00:00", true)]
    [TestCase("00:14:59", false)]
    [TestCase("12:00:01", false)]
    [TestCase("00:00:00", false)]
    [TestCase("-01:00:00", false)]
    [TestCase("1.00:00:00", false)]
    public void CheckSessionDuration_AnyValue_AddsNothingInRangeAndOtherwiseNamesValueRangeAndDefault(string value, bool inRange)
    {
        var check = new SettingChecks(null);
        AssumeRoleRules.CheckSessionDuration(check, TimeSpan.Parse(value, CultureInfo.InvariantCulture), TimeSpan.FromHours(1));

        Assert.That(check.Problems, Is.EqualTo(inRange ? [] : new[]
        {
            new SettingProblem("SessionDuration", $"SessionDuration is {value}; it must be from 15 minutes to 12 hours, as STS allows, and at most the role's maximum session duration, which is 1 hour unless changed in IAM (the default is 1 hour)."),
        }));
    }
}
