using RawDataDestination.Internal;

namespace RawDataDestination.Batching;

/// <summary>The rule for source ids, which name a folder under <c>segment-logs/</c>.</summary>
public static class SourceIdRules
{
    /// <summary>
    /// Checks a source id: 1–128 characters of <c>[A-Za-z0-9_.-]</c>, not <c>.</c> or <c>..</c>, so no source id can
    /// move a key outside its folder.
    /// </summary>
    /// <param name="sourceId">The source id to check.</param>
    /// <returns><see langword="null"/> when it is valid; otherwise what is wrong and what a valid one looks like.</returns>
    public static string? GetError(string? sourceId) => SettingRules.SourceIdError(sourceId);
}
