namespace RawDataDestination.Tests.Internal;

/// <summary>
/// <see cref="SettingText"/>: the words every setting's message shares, tested once here: how a value is quoted, how a
/// character is described, the "not set / contains / is N characters long" rule of a text setting, and the
/// trimmed-value suggestion. Each rule's own wording is in Rules/setting-cases.json.
/// </summary>
public class SettingTextTests
{
    [Test]
    public void Quote_WhenShort_QuotesWholeValueWithControlCharactersEscaped() =>
        Assert.That(SettingText.Quote("a\r\nb\u001Bc"), Is.EqualTo("'a\\r\\nb\\u001Bc'"));

    [Test]
    public void Quote_WhenLong_ShortensAndGivesLength()
    {
        string quoted = SettingText.Quote(new string('q', 5000));
        Assert.That(quoted, Does.StartWith("'qqq").And.EndWith("…' (5000 characters)"));
        Assert.That(quoted.Length, Is.LessThanOrEqualTo(200));
    }

    [Test]
    public void Quote_WhenShorteningAtASurrogatePair_KeepsThePairWhole()
    {
        string value = new string('q', 159) + string.Concat(Enumerable.Repeat("😀", 100));
        string quoted = SettingText.Quote(value);
        Assert.That(quoted, Does.StartWith("'" + new string('q', 159) + "…'"));
    }

    [TestCase(" ", "a space")]
    [TestCase("\t", "'\\t'")]
    [TestCase("\0", "'\\0'")]
    [TestCase("\u0001", "'\\u0001'")]
    [TestCase("\u0085", "'\\u0085'")]
    [TestCase("\u00A0", "a whitespace character ('\\u00A0')")]
    [TestCase("#", "'#'")]
    [TestCase("ü", "'ü'")]
    [TestCase("😀", "'😀'")]
    public void DescribeChar_AnyCharacter_SaysItSoThatNothingHides(string value, string described) =>
        Assert.That(SettingText.DescribeChar(value, 0), Is.EqualTo(described));

    [Test]
    public void DescribeChar_UnpairedSurrogate_SaysSo() =>
        Assert.That(SettingText.DescribeChar("\uD800x", 0), Is.EqualTo("an unpaired surrogate ('\\uD800')"));

    [TestCase(null, "Name is not set; 2 to 4 letters.")]
    [TestCase("", "Name is not set; 2 to 4 letters.")]
    [TestCase("a", "Name 'a' is 1 character long; 2 to 4 letters.")]
    [TestCase("abcde", "Name 'abcde' is 5 characters long; 2 to 4 letters.")]
    [TestCase("ab\tc", "Name 'ab\\tc' contains '\\t' at position 3; 2 to 4 letters.")]
    [TestCase(" ab ", "Name ' ab ' contains a space at position 1; 2 to 4 letters.")]
    [TestCase("ab", null)]
    [TestCase("abcd", null)]
    public void CharactersProblem_AnyValue_SaysTheFirstThingWrongThenWhatIsExpected(string? value, string? message) =>
        Assert.That(SettingText.CharactersProblem("Name", value, 2, 4, char.IsAsciiLetter, "2 to 4 letters"), Is.EqualTo(message));

    [TestCase(" ab ", "Name ' ab ' contains a space at position 1; 2 to 4 letters; enter 'ab'.")]
    [TestCase(" a ", "Name ' a ' contains a space at position 1; 2 to 4 letters.")]
    [TestCase(" a#b ", "Name ' a#b ' contains a space at position 1; 2 to 4 letters.")]
    public void CharactersProblem_WhenAskedToSuggestTheTrimmedValue_SuggestsItOnlyWhenItIsValid(string value, string message) =>
        Assert.That(SettingText.CharactersProblem("Name", value, 2, 4, char.IsAsciiLetter, "2 to 4 letters", suggestTrimmed: true), Is.EqualTo(message));

    [TestCase(" ab\n", "Name ' ab\\n' has leading or trailing whitespace; enter 'ab'.")]
    [TestCase(" a b ", "otherwise")]
    [TestCase("  ", "otherwise")]
    public void WhitespaceProblem_AnyValue_SuggestsTheTrimmedValueOnlyWhenItIsValid(string value, string message) =>
        Assert.That(SettingText.WhitespaceProblem("Name", value, trimmed => trimmed.All(char.IsAsciiLetter), "otherwise"), Is.EqualTo(message));
}
