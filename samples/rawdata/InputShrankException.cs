using RawDataDestination.Internal;

namespace RawDataDestination.Cli;

/// <summary>
/// <c>ship</c>'s input file ended shorter than the bytes already read from it: it was truncated while read (as logrotate's
/// <c>copytruncate</c> does), so lines it held past what was read were never read. Exit code 3
/// (<c>ExitCodes.InputShrank</c>).
/// </summary>
/// <param name="inputPath">The <c>--input</c> file as given, or <see langword="null"/> for standard input redirected from a file.</param>
/// <param name="read">The input's offset just past the last byte read.</param>
/// <param name="length">The file's length when its end was reached.</param>
internal sealed class InputShrankException(string? inputPath, long read, long length)
    : Exception($"{InputWords.Named(inputPath)} shrank while it was read: {Counted.Of(read, "byte")} of it had been read, and it now holds {length} (truncated under this run, as logrotate's copytruncate does). "
        + "The lines read up to its last newline are shipped; whatever the file held past them when it was cut was not read (look for it in the rotated copy), and bytes read after that newline (a line cut short) were passed over.")
{
    /// <summary>Gets the input's offset just past the last byte read.</summary>
    public long Read { get; } = read;

    /// <summary>Gets the file's length when its end was reached.</summary>
    public long Length { get; } = length;
}
