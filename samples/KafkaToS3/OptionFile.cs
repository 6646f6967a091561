namespace RawDataDestination.KafkaToS3;

/// <summary>Reads the file an option names (<c>--tenants</c>, <c>--kafka-config</c>), or says why it could not, with the option's advice.</summary>
internal static class OptionFile
{
    /// <summary>Reads the text of <paramref name="path"/>, given as <paramref name="option"/>.</summary>
    /// <param name="option">The option, such as <c>--tenants</c>.</param>
    /// <param name="path">The path given.</param>
    /// <param name="advice">What to give instead, a sentence ending with a period.</param>
    /// <exception cref="UsageException">It is a directory, or can't be read; the message says which and gives <paramref name="advice"/>.</exception>
    public static string ReadAllText(string option, string path, string advice)
    {
        if (Directory.Exists(path))
        {
            // .NET says "Access to the path is denied" of a directory, which sends the user to its permissions.
            throw new UsageException($"{option} '{path}' is a directory; {advice}");
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"{option} '{path}' could not be read ({exception.Message}); {advice}");
        }
    }
}
