using RawDataDestination.KafkaToS3;

namespace RawDataDestination.Tests.Integration.Kafka;

public class QuietLinesTests
{
    [Test]
    public void TryWrite_KindsSeenOnceEachPastItsMemory_ForgetsOnlyThoseWithNothingSkipped()
    {
        var time = new FakeTimeProvider(Start);
        var lines = new QuietLines<string>(time, maxKinds: 2);

        Assert.That(lines.TryWrite("repeated", out _), Is.True);
        Assert.That(lines.TryWrite("repeated", out _), Is.False, "within its minute: skipped");
        Assert.That(lines.TryWrite("once", out _), Is.True);
        time.Advance(QuietLines<string>.Quiet);
        Assert.That(lines.TryWrite("new", out _), Is.True, "past its memory: 'once' is forgotten, 'repeated' kept for its count");

        Assert.That(lines.TryWrite("repeated", out int skipped), Is.True);
        Assert.That(skipped, Is.EqualTo(1), "the skipped line is still told");
    }

    [Test]
    public void TryWrite_Always_WritesWithinTheQuietTimeAndTellsWhatWasSkipped()
    {
        var lines = new QuietLines<int>(new FakeTimeProvider(Start));

        lines.TryWrite(1, out _);
        lines.TryWrite(1, out _);

        Assert.That(lines.TryWrite(1, out int skipped, always: true), Is.True);
        Assert.That(skipped, Is.EqualTo(1));
    }
}
