namespace RawDataDestination.Batching;

/// <summary>Whether a lane may hold one more sealed batch in memory now, as a scheduled seal that passed a partition over asks again.</summary>
internal enum LaneRoom
{
    /// <summary>The lane may hold one more batch now.</summary>
    Room,

    /// <summary>The lane holds its share of the in-memory bound, and is delivering: room comes back as its batches are delivered.</summary>
    Full,

    /// <summary>The lane holds its share and is failing (or refused): room comes back only once it delivers again.</summary>
    Failing,
}
