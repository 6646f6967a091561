namespace RawDataDestination.Internal;

/// <summary>
/// One look at the clock, both ways: the wall time (<see cref="TimeProvider.GetUtcNow"/>), for what a status or a log
/// line shows, and the monotonic timestamp (<see cref="TimeProvider.GetTimestamp"/>), for how long something has lasted.
/// A duration measured between timestamps does not move when the wall clock is set back or forward (an NTP step), so a
/// retry budget or an idle time neither stretches nor shrinks.
/// </summary>
/// <param name="UtcTime">The wall time, to show.</param>
/// <param name="Timestamp">The monotonic timestamp, to measure with.</param>
internal readonly record struct ClockReading(DateTimeOffset UtcTime, long Timestamp)
{
    /// <summary>Reads <paramref name="time"/> now.</summary>
    public static ClockReading Now(TimeProvider time) => new(time.GetUtcNow(), time.GetTimestamp());

    /// <summary>How long after <paramref name="earlier"/> this reading was taken, on the timestamps of <paramref name="time"/>.</summary>
    public TimeSpan Since(ClockReading earlier, TimeProvider time) => time.GetElapsedTime(earlier.Timestamp, Timestamp);
}
