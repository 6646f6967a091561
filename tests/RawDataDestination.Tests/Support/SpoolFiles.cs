namespace RawDataDestination.Tests.Support;

/// <summary>Files in a spool directory as an earlier run would have left them, for recovery tests.</summary>
internal static class SpoolFiles
{
    /// <summary>Writes <paramref name="content"/> to <c>{spool}/{area}/{source}/{day}/{fileName}</c>; returns the file's path.</summary>
    /// <param name="spool">The spool directory.</param>
    /// <param name="area">The spool's area: <c>"journal"</c> or <c>"sealed"</c>.</param>
    /// <param name="source">The source id.</param>
    /// <param name="fileName">The file's name in its day folder.</param>
    /// <param name="content">What the file holds.</param>
    /// <param name="day">The day folder's name (unix ms of the day's midnight); by default <see cref="Day"/>.</param>
    public static async Task<string> WriteAsync(string spool, string area, string source, string fileName, string content, string day = Day)
    {
        string folder = Path.Combine(spool, area, source, day);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, fileName);
        await File.WriteAllTextAsync(path, content);
        return path;
    }
}
