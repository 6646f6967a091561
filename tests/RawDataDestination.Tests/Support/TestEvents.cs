namespace RawDataDestination.Tests.Support;

/// <summary>
/// What the buffer, spool and telemetry tests share: the fake clock's start, its day as the spool names it, the
/// real-time bound on an await, and the events they append (import with <c>using static</c>).
/// </summary>
internal static class TestEvents
{
    /// <summary>The fake clock's start, 2023-11-24 10:00 UTC: the received day of every event here.</summary>
    public static readonly DateTimeOffset Start = new(2023, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary><see cref="Start"/>'s day as the spool's folders and the object keys name it (unix ms of its midnight).</summary>
    public const string Day = "1700784000000";

    /// <summary>How long an await may take before the test fails instead of hanging (real time).</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>An event with message id <c>m-{i}</c>, received at <see cref="Start"/>'s day, padded when asked.</summary>
    public static byte[] Event(int i, int padding = 0) => Event("m", i, padding);

    /// <summary>An event with message id <c>{prefix}-{i}</c>, received at <see cref="Start"/>'s day, padded when asked.</summary>
    /// <param name="prefix">The message id's prefix, often the source or lane the event is appended to.</param>
    /// <param name="i">The event's number.</param>
    /// <param name="padding">How many 'x' characters a <c>"pad"</c> field holds, to make the event that much larger; 0 for none.</param>
    public static byte[] Event(string prefix, int i, int padding = 0) =>
        Encoding.UTF8.GetBytes(padding == 0
            ? $"{{\"messageId\":\"{prefix}-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}"
            : $"{{\"messageId\":\"{prefix}-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\",\"pad\":\"{new string('x', padding)}\"}}");
}
