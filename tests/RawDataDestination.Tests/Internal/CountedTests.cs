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
}
