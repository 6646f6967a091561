namespace RawDataDestination.Tests.Batching;

/// <summary><see cref="SourceIdRules"/>: the source id's rule and message.</summary>
public class SourceIdRulesTests
{
    [TestCase("a")]
    [TestCase("Ab_1.2-3")]
    [TestCase("...")]
    [TestCase(".hidden")]
    public void Error_WhenValid_ReturnsNull(string value) =>
        Assert.That(SourceIdRules.Error(value), Is.Null);

    [Test]
    public void Error_When128Characters_ReturnsNull() =>
        Assert.That(SourceIdRules.Error(new string('s', 128)), Is.Null);

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
    public void Error_WhenInvalidCharacter_SaysNoSeparatorsOrEscapesAndShowsAllowedSet(string value, string described) =>
        Assert.That(
            SourceIdRules.Error(value),
            Does.StartWith("SourceId '").And.Contain($"contains {described}")
                .And.Contain("can't contain path separators, escapes or whitespace")
                .And.Contain("letters A-Z and a-z, digits 0-9, '_', '.' and '-'"));

    [TestCase(".")]
    [TestCase("..")]
    public void Error_WhenRelativePathSegment_SaysSo(string value) =>
        Assert.That(
            SourceIdRules.Error(value),
            Does.StartWith($"SourceId '{value}' is a relative path segment").And.Contain("not '.' or '..'").And.Contain("'_', '.' and '-'"));

    [TestCase(null)]
    [TestCase("")]
    public void Error_WhenNotSet_NamesSettingAndAllowedSet(string? value) =>
        Assert.That(SourceIdRules.Error(value), Does.StartWith("SourceId is not set").And.Contain("'_', '.' and '-'"));

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
