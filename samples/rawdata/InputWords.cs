namespace RawDataDestination.Cli;

/// <summary>
/// How <c>ship</c>'s messages name its input, and the one refusal of an input that is not lines of UTF-8 text (compressed,
/// or UTF-16) or not one JSON object per line (a JSON array), told by its first bytes wherever they are read.
/// </summary>
internal static class InputWords
{
    /// <summary>The <c>--input</c> option's name.</summary>
    public const string Option = "--input";

    /// <summary>
    /// The first bytes of inputs that are not lines of UTF-8 text, or not one JSON object per line: what they are, what
    /// rawdata reads instead, and the tool that turns them into it. None but the JSON array's starts as a JSON object may
    /// (<c>{</c>, or white space), so lines of JSON objects are never taken for one, nor held back to tell; the JSON
    /// array's <c>[</c> is looked for past a UTF-8 byte order mark and white space (<see cref="AfterBlanks"/>), which are
    /// held back only until the first other byte comes. An event is a JSON object, so an input whose first byte
    /// past those is <c>[</c> has no event on its first line: a JSON array (an export, pretty-printed or on one line).
    /// </summary>
    private static readonly (byte[] Magic, string What, string Reads, string Verb, string Tool, string Extension)[] NotLines =
    [
        ("["u8.ToArray(), "a JSON array (its first character is '[')", "UTF-8 lines", "Convert", "jq -c '.[]'", ".json"),
        ([0x1f, 0x8b], "gzip-compressed", "uncompressed lines", "Decompress", "zcat", ".gz"),
        ([0x28, 0xb5, 0x2f, 0xfd], "zstd-compressed", "uncompressed lines", "Decompress", "zstdcat", ".zst"),
        ([0x42, 0x5a, 0x68], "bzip2-compressed", "uncompressed lines", "Decompress", "bzcat", ".bz2"),
        ([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "xz-compressed", "uncompressed lines", "Decompress", "xzcat", ".xz"),
        ([0xff, 0xfe], "UTF-16 text (it starts with UTF-16's little-endian byte order mark, as Windows PowerShell's > writes)", "UTF-8 lines", "Convert", "iconv -f UTF-16 -t UTF-8", string.Empty),
        ([0xfe, 0xff], "UTF-16 text (it starts with UTF-16's big-endian byte order mark)", "UTF-8 lines", "Convert", "iconv -f UTF-16 -t UTF-8", string.Empty),
    ];

    /// <summary>
    /// Gets the most bytes <see cref="NotLinesRefused"/> is given of a file before its run: the longest start, and room
    /// for a byte order mark and white space before a JSON array's <c>[</c>.
    /// </summary>
    public static int LongestStart { get; } = 4096;

    /// <summary>The UTF-8 byte order mark, which may come before a JSON array's <c>[</c> (and which the line reader drops).</summary>
    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>The input as messages name it at the start of a sentence: <c>--input 'FILE'</c>, or standard input.</summary>
    /// <param name="inputPath">The <c>--input</c> file as given, or <see langword="null"/> (or <c>-</c>) for standard input.</param>
    public static string Named(string? inputPath) => inputPath is null or "-" ? "Standard input" : $"{Option} '{inputPath}'";

    /// <summary>
    /// What to do when the words the command line did not take are files, as a shell's <c>--input *.json</c> gives
    /// them: <c>--input</c> takes one file per run. <see langword="null"/> when none is a file.
    /// </summary>
    public static string? MoreFiles(IReadOnlyList<string> unmatched)
    {
        string[] files = [.. unmatched.Where(File.Exists)];
        return files.Length == 0
            ? null
            : $"{Option} takes one file per run, and '{files[0]}'{(files.Length > 1 ? $" and {files.Length - 1} more look like more files" : " looks like another file")} for it (as a shell's * gives them). {ShipSeveral}";
    }

    /// <summary>
    /// What to do when a word the command line did not take is <c>-</c> alone (<c>cat f | rawdata ship ... -</c>, the
    /// Unix way of naming standard input): it is named by <c>--input -</c>, as every other input is, so that a run's
    /// input is always the value of one option. <see langword="null"/> when no such word is there.
    /// </summary>
    public static string? Dash(IReadOnlyList<string> unmatched) =>
        !unmatched.Contains("-") ? null : $"'-' alone is not taken: ship reads standard input with {Option} - (its default, so leaving {Option} out reads it too), as in cat FILE | rawdata ship ... {Option} -.";

    /// <summary>What to do when <c>--input</c> is given more than once (<c>-i a -i b</c>): <see langword="null"/> when it is given once at most.</summary>
    /// <param name="given">The values given to it, in order.</param>
    public static string? Repeated(IReadOnlyList<string> given) =>
        given.Count < 2 ? null : $"{Option} is given {given.Count} times ('{string.Join("', '", given)}'); it takes one file per run. {ShipSeveral}";

    /// <summary>How to ship several files: a run each, or one stream.</summary>
    private static string ShipSeveral =>
        $"Ship each in a run of its own (for f in FILES; do rawdata ship ... {Option} \"$f\"; done; with --spool-dir each resumes on its own), "
        + $"or send them as one stream, each ending in a newline (cat FILES | rawdata ship ... {Option} -).";

    /// <summary>
    /// Whether <paramref name="start"/>, the first bytes read, are too few to tell: they begin one of the starts refused
    /// (and so no JSON text), and more may follow. A reader reads on for the rest only then.
    /// </summary>
    public static bool TooFewToTell(ReadOnlySpan<byte> start)
    {
        if (start.IsEmpty)
        {
            return false;
        }

        foreach ((byte[] magic, _, _, _, _, _) in NotLines)
        {
            if (start.Length < magic.Length && magic.AsSpan().StartsWith(start))
            {
                return true;
            }
        }

        // Only a byte order mark (or its start) and white space so far: a JSON array's '[' may come next.
        return AfterBlanks(start) is null or [];
    }

    /// <summary>
    /// <paramref name="start"/> past a UTF-8 byte order mark and JSON's white space (space, tab, CR, LF), or
    /// <see langword="null"/> when it is only the start of a byte order mark.
    /// </summary>
    private static byte[]? AfterBlanks(ReadOnlySpan<byte> start)
    {
        if (start.StartsWith(ByteOrderMark))
        {
            start = start[ByteOrderMark.Length..];
        }
        else if (!start.IsEmpty && ByteOrderMark.StartsWith(start))
        {
            return null;
        }

        ReadOnlySpan<byte> rest = start.TrimStart(" \t\r\n"u8);
        return rest.IsEmpty ? [] : [rest[0]];
    }

    /// <summary>
    /// The refusal of an input whose first bytes, <paramref name="start"/>, say it is compressed, UTF-16 or a JSON array
    /// (exit 2), before the run for a file (<c>ShipInput.Open</c>), at its first read for a pipe (<see cref="WatchedInput"/>):
    /// read as lines, its lines would each be refused, and the run would end with nothing delivered and exit 0.
    /// <see langword="null"/> for any other start.
    /// </summary>
    /// <param name="start">The input's first bytes (at least <see cref="LongestStart"/>, or all of it).</param>
    /// <param name="inputPath">The <c>--input</c> file as given, or <see langword="null"/> (or <c>-</c>) for standard input.</param>
    public static UsageException? NotLinesRefused(ReadOnlySpan<byte> start, string? inputPath)
    {
        byte[]? afterBlanks = AfterBlanks(start);
        foreach ((byte[] magic, string what, string reads, string verb, string tool, string extension) in NotLines)
        {
            if (start.StartsWith(magic) || (magic is [(byte)'['] && afterBlanks is [(byte)'[']))
            {
                return new UsageException(inputPath is null or "-"
                    ? $"Standard input is {what}; rawdata reads {reads}, one JSON object per line. {verb} it as you send it: {tool} FILE{extension} | rawdata ship ..."
                    : $"{Named(inputPath)} is {what}; rawdata reads {reads}, one JSON object per line. {verb} it as you send it: {tool} '{inputPath}' | rawdata ship ... {Option} -");
            }
        }

        return null;
    }
}
