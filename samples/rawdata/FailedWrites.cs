namespace RawDataDestination.Cli;

/// <summary>
/// A write to standard output or standard error that the system refused: a full disk (<c>&gt; /dev/full</c>, ENOSPC), a
/// failing one (EIO), a descriptor not open for writing (EBADF, which .NET throws as
/// <see cref="UnauthorizedAccessException"/>). Which exceptions those are, and the words that name standard output's,
/// are said here once, for <see cref="DroppingWriter"/>, <see cref="Acknowledgements"/> and ship's summary.
/// </summary>
internal static class FailedWrites
{
    /// <summary>Returns whether <paramref name="exception"/> is a write the system refused.</summary>
    public static bool Is(Exception exception) => exception is IOException or UnauthorizedAccessException;

    /// <summary>"Standard output can't be written (No space left on device)": the stream named, with the system's error.</summary>
    public static string StandardOutput(Exception exception) => $"Standard output can't be written ({exception.Message.TrimEnd('.')})";
}
