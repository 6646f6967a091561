using Microsoft.Win32.SafeHandles;
using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary>
/// What an input file and a bucket are, for the records of how far ship read them: the file by the path the system
/// opened (links followed, and standard input redirected from a file named as that file), the bucket as the
/// destination parses it (<c>b</c> and <c>b/</c> are one).
/// </summary>
internal static class InputIdentity
{
    /// <summary>
    /// The file <paramref name="file"/> is, as the system names it (Linux: <c>/proc/self/fd/N</c>); elsewhere the full
    /// path of <paramref name="input"/> with its links followed, or <c>-</c> for standard input.
    /// </summary>
    /// <param name="input">The --input as given: a path, or <c>-</c>.</param>
    /// <param name="file">The file as opened.</param>
    public static string Of(string input, SafeFileHandle file)
    {
        if (OperatingSystem.IsLinux() && Opened(file) is { } opened)
        {
            return opened;
        }

        if (input == "-")
        {
            return input;
        }

        string full = Path.GetFullPath(input);
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
        }
    }

    /// <summary>The bucket as the destination parses it: <c>bucket</c> or <c>bucket/path/prefix</c>, without slashes at either end.</summary>
    /// <param name="bucket">The --bucket, as given (checked already).</param>
    public static string Bucket(string bucket) => BucketLocation.Parse(bucket).ToString();

    /// <summary>The path Linux gives the open file, or <see langword="null"/> for one it names otherwise (deleted, or not a path).</summary>
    private static string? Opened(SafeFileHandle file)
    {
        try
        {
            string? target = new FileInfo($"/proc/self/fd/{file.DangerousGetHandle()}").LinkTarget;
            return target is not null && Path.IsPathRooted(target) && !target.EndsWith(" (deleted)", StringComparison.Ordinal) ? target : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
