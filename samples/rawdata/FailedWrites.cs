namespace RawDataDestination.Cli;

/// <summary>
/// A write to standard output or standard error that the system refused: a full disk (<c>&gt; /dev/full</c>, ENOSPC), a
/// failing one (EIO), a pipe whose reader went away (<c>| head -1</c>, EPIPE, which <see cref="StandardOutput"/> reports
/// where .NET's console stream takes it for success), a descriptor not open for writing (EBADF, which .NET throws as
/// <see cref="UnauthorizedAccessException"/>). Which exceptions those are, and the words that name standard output's,
/// are said here once, for <see cref="DroppingWriter"/>, <see cref="Acknowledgements"/>, ship's summary and the reports
/// of verify and deliver-staged.
/// </summary>
internal static class FailedWrites
{
    /// <summary>EPIPE, the error of a write to a pipe nobody reads any more (32 on Linux and macOS), as .NET's <see cref="Exception.HResult"/>.</summary>
    private const int BrokenPipe = 32;

    /// <summary>Returns whether <paramref name="exception"/> is a write the system refused.</summary>
    public static bool Is(Exception exception) => exception is IOException or UnauthorizedAccessException;

    /// <summary>Returns whether <paramref name="exception"/> is a write to a pipe whose reader went away (EPIPE).</summary>
    public static bool IsReaderGone(Exception exception) => exception is IOException { HResult: BrokenPipe } && !OperatingSystem.IsWindows();

    /// <summary>
    /// "Standard output can't be written (No space left on device)", or, when its reader went away, "Standard output can't
    /// be written (its reader is gone: broken pipe)": the stream named, with the system's error.
    /// </summary>
    public static string StandardOutput(Exception exception) =>
        IsReaderGone(exception)
            ? "Standard output can't be written (its reader is gone: broken pipe)"
            : $"Standard output can't be written ({exception.Message.TrimEnd('.')})";
}
