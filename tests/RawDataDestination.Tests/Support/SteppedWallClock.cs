namespace RawDataDestination.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> whose wall clock (<see cref="GetUtcNow"/>) can be set back or forward apart from its
/// monotonic timestamps and timers, as an NTP step moves a real machine's: what measures a duration on the wall clock
/// sees time jump, what measures it on <see cref="GetTimestamp"/> does not.
/// </summary>
internal sealed class SteppedWallClock(DateTimeOffset start) : TimeProvider
{
    /// <summary>Gets the clock that runs the timestamps and timers; advance it to let time pass.</summary>
    public FakeTimeProvider Monotonic { get; } = new(start);

    /// <summary>Gets how far the wall clock has been stepped from the monotonic one.</summary>
    public TimeSpan WallStep { get; private set; }

    /// <summary>Sets the wall clock back (negative) or forward, without time passing.</summary>
    public void StepWall(TimeSpan step) => WallStep += step;

    public override DateTimeOffset GetUtcNow() => Monotonic.GetUtcNow() + WallStep;

    public override long GetTimestamp() => Monotonic.GetTimestamp();

    public override long TimestampFrequency => Monotonic.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        Monotonic.CreateTimer(callback, state, dueTime, period);
}
