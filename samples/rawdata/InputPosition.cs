namespace RawDataDestination.Cli;

/// <summary>
/// A place in <c>ship</c>'s input, just past a line: that line's 1-based number (0 before the first) and the byte offset
/// where the next line starts.
/// </summary>
/// <param name="Line">The number of the last line before this place.</param>
/// <param name="Offset">The input's byte offset of this place.</param>
internal readonly record struct InputPosition(long Line, long Offset)
{
    /// <summary>Gets the start of the input.</summary>
    public static InputPosition Start => default;
}
