namespace RawDataDestination.Internal;

/// <summary>The word of a list nearest to one mistyped, for a message's "did you mean": by edit distance.</summary>
internal static class ClosestWord
{
    /// <summary>The candidate nearest to <paramref name="word"/> by edit distance (ties: the first), or <see langword="null"/> for none.</summary>
    /// <param name="word">What was written.</param>
    /// <param name="candidates">What could have been meant.</param>
    public static string? Of(string word, IEnumerable<string> candidates) => Nearest(word, candidates, ignoreCase: false).Candidate;

    /// <summary>
    /// The candidate that <paramref name="word"/> is most likely a misspelling of, letters' case aside (configuration
    /// keys): the nearest, when at most a third of its letters (and at least 2) differ; otherwise <see langword="null"/>.
    /// </summary>
    public static string? Likely(string word, IEnumerable<string> candidates) =>
        Nearest(word, candidates, ignoreCase: true) is { Candidate: { } nearest, Distance: var distance } && distance <= Math.Max(2, nearest.Length / 3)
            ? nearest
            : null;

    /// <summary>The nearest candidate and its distance, each distance computed once.</summary>
    private static (string? Candidate, int Distance) Nearest(string word, IEnumerable<string> candidates, bool ignoreCase)
    {
        string written = ignoreCase ? word.ToUpperInvariant() : word;
        return candidates
            .Select(candidate => ((string?)candidate, EditDistance(written, ignoreCase ? candidate.ToUpperInvariant() : candidate)))
            .DefaultIfEmpty((null, int.MaxValue)) // none: no candidate
            .MinBy(pair => pair.Item2);
    }

    /// <summary>The Levenshtein distance: insertions, deletions and substitutions that turn one string into the other.</summary>
    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
