using RawDataDestination.Cli;
using RawDataDestination.Internal;

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

    [Test]
    public void ShutdownDeadline_AcrossAStop_PassesOnceItsTimeHasPassedRunning()
    {
        // The shutdown's 6 s countdown, 1 s in, the process stopped for a minute: the timer fires as it resumes, a minute
        // past its due time, but 4 s are left (the stop counts as 1 s). A timer's deadline passed at once there: "did not
        // stop within --shutdown-timeout" as ship was resumed.
        var system = new FakeTimeProvider();
        var time = new TimeWhileRunning(system);
        using var deadline = new TimestampDeadline(TimeSpan.FromSeconds(6), time);
        Heartbeats(system, time, 4);

        system.Advance(TimeSpan.FromMinutes(1));
        Assert.That(deadline.IsCancellationRequested, Is.False, "2 s of 6 have passed running");

        Heartbeats(system, time, 15);
        Assert.That(deadline.IsCancellationRequested, Is.False, "5.75 s have passed running");
        Heartbeats(system, time, 1);
        Assert.That(deadline.IsCancellationRequested, Is.True, "6 s have passed running");
    }

    [Test]
    public void ShutdownDeadline_WhileTheProcessRuns_PassesAfterItsTimeoutAsATimersWould()
    {
        var system = new FakeTimeProvider();
        var time = new TimeWhileRunning(system);
        using var deadline = new TimestampDeadline(TimeSpan.FromSeconds(2), time);
        using var zero = new TimestampDeadline(TimeSpan.Zero, time);
        Assert.That(zero.IsCancellationRequested, Is.True, "a timeout of zero has passed already");

        Heartbeats(system, time, 7);
        Assert.That(deadline.IsCancellationRequested, Is.False, "1.75 s");
        Heartbeats(system, time, 1);
        Assert.That(deadline.IsCancellationRequested, Is.True, "2 s");
    }

    /// <summary>Advances the system's clock by 250 ms <paramref name="count"/> times, reading the clock after each, as the heartbeat does.</summary>
    private static void Heartbeats(FakeTimeProvider system, TimeWhileRunning time, int count)
    {
        for (int i = 0; i < count; i++)
        {
            system.Advance(TimeWhileRunning.HeartbeatInterval);
            time.GetTimestamp();
        }
    }
}
