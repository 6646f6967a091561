using System.Globalization;

namespace RawDataDestination.Internal;

/// <summary>
/// A count with its noun, as the library's messages and rawdata's sentences print it: <c>1 event</c>, <c>2 events</c>,
/// <c>0 batches</c>, never <c>1 events</c> or <c>event(s)</c>. Log templates keep their counts as numeric fields, so they
/// say a count as a label instead (<c>batches 2</c>); rawdata's summary labels (<c>objects written:</c>) stay too.
/// </summary>
internal static class Counted
{
    /// <summary>The count and its noun, singular for 1: <c>Of(1, "event")</c> is <c>1 event</c>, <c>Of(2, "batch")</c> is <c>2 batches</c>.</summary>
    /// <param name="count">How many.</param>
    /// <param name="noun">The noun in the singular; its plural adds -es after -ch, -sh, -s and -x, else -s (every noun counted with it does).</param>
    public static string Of(long count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {Either(count, noun, Plural(noun))}");

    private static string Plural(string noun) =>
        noun.EndsWith("ch", StringComparison.Ordinal) || noun.EndsWith("sh", StringComparison.Ordinal) || noun.EndsWith('s') || noun.EndsWith('x')
            ? noun + "es"
            : noun + "s";

    /// <summary>The word that agrees with <paramref name="count"/>: <paramref name="one"/> for 1, else <paramref name="many"/> ("stays"/"stay", "it"/"them").</summary>
    public static string Either(long count, string one, string many) => count == 1 ? one : many;
}
