namespace RawDataDestination.Tests.Batching;

/// <summary>
/// <see cref="SourceIdRules"/>: the source id's rule and message. Its valid and refused values are cases in
/// Rules/setting-cases.json (SettingRuleCasesTests); here are the length limits and the public IsValid.
/// </summary>
public class SourceIdRulesTests
{
    [Test]
    public void Error_When128Characters_ReturnsNull() =>
        Assert.That(SourceIdRules.Error(new string('s', 128)), Is.Null);

    [Test]
    public void Error_WhenTooLong_NamesLength() =>
        Assert.That(SourceIdRules.Error(new string('s', 129)), Does.StartWith("SourceId 'sss").And.Contain("is 129 characters long").And.Contain("1 to 128"));

    [TestCase("src-1", true)]
    [TestCase("a/b", false)]
    [TestCase(null, false)]
    public void IsValid_AnyValue_AgreesWithTheRuleAndGivesItsReason(string? value, bool valid)
    {
        Assert.That(SourceIdRules.IsValid(value, out string? reason), Is.EqualTo(valid));
        Assert.That(reason, Is.EqualTo(SourceIdRules.Error(value)));
    }
}
