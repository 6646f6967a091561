using RawDataDestination.Cli;

namespace RawDataDestination.Tests.Cli;

/// <summary>
/// rawdata's <see cref="TimeWhileRunning"/>, the clock <c>ship</c> measures its retry budget with: the time the process
/// was stopped (Ctrl+Z, then <c>fg</c> an hour later) is left out of its durations, the time it ran is not.
/// </summary>
public class TimeWhileRunningTests
{
    [Test]
    public void Durations_WhileTheClockIsReadOftenEnough_AreTheSystemsWhole()
    {
        var system = new FakeTimeProvider();
        var time = new TimeWhileRunning(system);
        long start = time.GetTimestamp();

        for (int i = 0; i < 40; i++)
        {
            system.Advance(TimeSpan.FromMilliseconds(250));
            time.GetTimestamp();
        }

        Assert.That(time.GetElapsedTime(start), Is.EqualTo(TimeSpan.FromSeconds(10)));
    }

    [Test]
    public void Durations_AcrossAGapLongerThanTheLongestGap_CountTheLongestGapNotTheStop()
    {
        // Stopped for an hour: the first reading after the resume, on whatever thread, counts 1 s of it.
        var system = new FakeTimeProvider();
        var time = new TimeWhileRunning(system);
        long start = time.GetTimestamp();
        system.Advance(TimeSpan.FromMilliseconds(500));
        time.GetTimestamp();

        system.Advance(TimeSpan.FromHours(1));
        long resumed = time.GetTimestamp();
        system.Advance(TimeSpan.FromMilliseconds(200));

        Assert.That(time.GetElapsedTime(start, resumed), Is.EqualTo(TimeSpan.FromMilliseconds(500) + TimeWhileRunning.LongestGap));
        Assert.That(time.GetElapsedTime(start), Is.EqualTo(TimeSpan.FromMilliseconds(700) + TimeWhileRunning.LongestGap));
        Assert.That(time.GetUtcNow(), Is.EqualTo(system.GetUtcNow()), "the wall time is the system's: the stop happened");
    }
}
