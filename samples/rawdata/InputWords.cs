namespace RawDataDestination.Cli;

/// <summary>How <c>ship</c>'s messages name its input, and the one refusal of a gzip-compressed input, wherever it is found.</summary>
internal static class InputWords
{
    /// <summary>The <c>--input</c> option's name.</summary>
    public const string Option = "--input";

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
            : $"{Option} takes one file per run, and '{files[0]}'{(files.Length > 1 ? $" and {files.Length - 1} more" : string.Empty)} look like more files for it (as a shell's * gives them). "
                + $"Ship each in a run of its own (for f in FILES; do rawdata ship ... {Option} \"$f\"; done; with --spool-dir each resumes on its own), "
                + $"or send them as one stream, each ending in a newline (cat FILES | rawdata ship ... {Option} -).";
    }

    /// <summary>
    /// The refusal of an input that starts with gzip's magic bytes (exit 2), before the run for a file
    /// (<c>ShipInput.Open</c>), at its first read for a pipe (<see cref="WatchedInput"/>): read as lines, its compressed
    /// bytes would each be refused as invalid UTF-8, and the run would end with nothing delivered and exit 0.
    /// </summary>
    /// <param name="inputPath">The <c>--input</c> file as given, or <see langword="null"/> (or <c>-</c>) for standard input.</param>
    public static UsageException GzipRefused(string? inputPath) => new(inputPath is null or "-"
        ? "Standard input is gzip-compressed; rawdata reads uncompressed lines, one JSON object per line. Decompress it as you send it: zcat FILE.gz | rawdata ship ..."
        : $"{Named(inputPath)} is gzip-compressed; rawdata reads uncompressed lines, one JSON object per line. Decompress it as you send it: zcat '{inputPath}' | rawdata ship ... {Option} -");
}
