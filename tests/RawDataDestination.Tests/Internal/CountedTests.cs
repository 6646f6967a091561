namespace RawDataDestination.Tests.Internal;

/// <summary>The library's and rawdata's counts agree with their nouns: singular for 1, and the plural its nouns take otherwise.</summary>
public class CountedTests
{
    [TestCase(1, "event", "1 event")]
    [TestCase(0, "event", "0 events")]
    [TestCase(2, "event", "2 events")]
    [TestCase(1, "batch", "1 batch")]
    [TestCase(3, "batch", "3 batches")]
    [TestCase(2, "staged batch", "2 staged batches")]
    [TestCase(1_000, "byte", "1000 bytes")]
    [TestCase(2, "other error", "2 other errors")]
    public void Of_ACountAndItsNoun_AgreeInNumber(long count, string noun, string expected) =>
        Assert.That(Counted.Of(count, noun), Is.EqualTo(expected));

    /// <summary>
    /// Every log template of the library and of KafkaToS3 says a count as a label or with its noun, never as
    /// <c>batch(es)</c> or <c>event(s)</c>: a template keeps its count a numeric field, so it cannot agree with it.
    /// </summary>
    [TestCase(typeof(BatchBuffer))]
    [TestCase(typeof(KafkaToS3Options))]
    public void LogTemplates_OfEachAssembly_SayNoParenthesisedPlural(Type inAssembly)
    {
        string[] templates = [.. inAssembly.Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly))
            .Select(method => method.GetCustomAttributes(typeof(LoggerMessageAttribute), inherit: false).OfType<LoggerMessageAttribute>().SingleOrDefault()?.Message)
            .OfType<string>()];

        Assert.That(templates, Has.Length.GreaterThan(10), "the templates were found");
        Assert.That(templates.Where(t => Regex.IsMatch(t, @"[a-z]\((e?s)\)")), Is.Empty);
    }
}
