using Confluent.Kafka;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>The worker's once-a-minute rule for repeated warnings (<see cref="QuietLines{TKind}"/>), and Kafka's errors logged by it.</summary>
public class KafkaErrorLogTests
{
    [Test]
    public void Report_TheSameCodeWithinAMinute_IsCountedAndNamedWithTheNextLine()
    {
        var time = new FakeTimeProvider(Start);
        var log = new CapturingLogger();
        var errors = new KafkaErrorLog(log, time);

        for (int i = 0; i < 20; i++)
        {
            errors.Report(new Error(ErrorCode.Local_Transport, $"refused {i}"));
            time.Advance(TimeSpan.FromMilliseconds(50));
        }

        errors.Report(new Error(ErrorCode.Local_AllBrokersDown, "1/1 brokers are down"));
        time.Advance(KafkaErrorLog.Quiet);
        errors.Report(new Error(ErrorCode.Local_Transport, "refused again"));

        Assert.That(log.Lines.Select(line => line.Split(" | ")[0]), Is.EqualTo(new[]
        {
            "Warning: Kafka error Local_Transport: refused 0",
            "Warning: Kafka error Local_AllBrokersDown: 1/1 brokers are down",
            "Warning: Kafka error Local_Transport: refused again (19 more like it since its last line, not logged)",
        }));
        Assert.That(errors.Last?.Reason, Is.EqualTo("refused again"));
    }

    [Test]
    public void Report_AfterTheWallClockWasSetBack_LogsTheCodeAgainOnceAMinuteHasPassed()
    {
        // The quiet minute is a duration: a wall clock set back an hour must not silence a code for an hour.
        var clock = new SteppedWallClock(Start);
        var log = new CapturingLogger();
        var errors = new KafkaErrorLog(log, clock);

        errors.Report(new Error(ErrorCode.Local_Transport, "refused"));
        clock.StepWall(TimeSpan.FromHours(-1));
        clock.Monotonic.Advance(KafkaErrorLog.Quiet);
        errors.Report(new Error(ErrorCode.Local_Transport, "refused again"));

        Assert.That(log.Lines, Has.Count.EqualTo(2), string.Join("\n", log.Lines));
    }

    [Test]
    public void Report_AFatalError_IsAlwaysLogged()
    {
        var log = new CapturingLogger();
        var errors = new KafkaErrorLog(log, new FakeTimeProvider(Start));

        errors.Report(new Error(ErrorCode.Local_Fatal, "first", isFatal: true));
        errors.Report(new Error(ErrorCode.Local_Fatal, "second", isFatal: true));

        Assert.That(log.Lines, Has.Count.EqualTo(2));
    }

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
