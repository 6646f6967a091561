namespace RawDataDestination.Tests.Internal;

/// <summary><see cref="SettingText"/>: how every setting's message quotes a value.</summary>
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
}
