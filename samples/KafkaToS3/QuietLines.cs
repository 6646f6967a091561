namespace RawDataDestination.KafkaToS3;

/// <summary>
/// Decides which of a repeated warning's lines the worker writes: one line of a kind (a Kafka error code, a source no
/// tenant lists) at most once per <see cref="Quiet"/>, and how many lines of that kind it skipped since. The time is
/// a duration on the monotonic clock, so a wall clock set back never silences a kind for as long.
/// </summary>
/// <typeparam name="TKind">What makes two lines the same kind.</typeparam>
/// <param name="time">The clock.</param>
/// <param name="maxKinds">
/// How many kinds it remembers before it forgets those whose quiet time has ended with nothing skipped (their next line
/// is written anyway), so that many kinds seen once each (sources no tenant lists) do not grow it for ever.
/// </param>
internal sealed class QuietLines<TKind>(TimeProvider time, int maxKinds = 10_000)
    where TKind : notnull
{
    /// <summary>How long after one line of a kind the next line of that kind waits, counting what it skips.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMinutes(1);

    private readonly Dictionary<TKind, (long WrittenAt, int Skipped)> _byKind = [];
    private readonly Lock _lock = new();

    /// <summary>Gets whether a line of <paramref name="kind"/> is written now, or counted as skipped.</summary>
    /// <param name="kind">The line's kind.</param>
    /// <param name="skipped">When the line is written: how many lines of its kind were skipped since the last one written.</param>
    /// <param name="always">Whether the line is written even within its kind's quiet time (a fatal error).</param>
    /// <returns><see langword="true"/> to write the line.</returns>
    public bool TryWrite(TKind kind, out int skipped, bool always = false)
    {
        long now = time.GetTimestamp();
        lock (_lock)
        {
            if (_byKind.TryGetValue(kind, out var seen) && !always && time.GetElapsedTime(seen.WrittenAt, now) < Quiet)
            {
                _byKind[kind] = seen with { Skipped = seen.Skipped + 1 };
                skipped = 0;
                return false;
            }

            if (_byKind.Count >= maxKinds)
            {
                Forget(now);
            }

            skipped = seen.Skipped;
            _byKind[kind] = (now, 0);
            return true;
        }
    }

    /// <summary>Forgets the kinds whose quiet time has ended with no line skipped: nothing is lost, their next line is written as it would be.</summary>
    private void Forget(long now)
    {
        foreach (var (kind, seen) in _byKind)
        {
            if (seen.Skipped == 0 && time.GetElapsedTime(seen.WrittenAt, now) >= Quiet)
            {
                _byKind.Remove(kind);
            }
        }
    }
}
