namespace RawDataDestination.Tests;

/// <summary>
/// The README's "Repository" section matches the tree: every file its folder map names under <c>src/RawDataDestination/</c>
/// exists in the folder it is listed under, every folder of the library is in the map, every file of the event's path
/// exists, once, and no file of the library is longer than 400 lines.
/// </summary>
public partial class RepositoryMapTests
{
    private const string LibraryRoot = "src/RawDataDestination/";

    /// <summary>The longest a source file of the library may be: a file with one job (issue 21).</summary>
    private const int MaxLines = 400;

    [Test]
    public void Library_EverySourceFile_HasAtMost400Lines()
    {
        // DeliveryStage.cs grew to 405 lines with the checksum-refusal rule, and nothing said so.
        string root = Path.Combine(RepoPaths.Root, LibraryRoot);
        string[] tooLong = [.. Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(file => (File: Path.GetRelativePath(root, file), Lines: File.ReadLines(file).Count()))
            .Where(file => file.Lines > MaxLines)
            .Select(file => $"{file.File}: {file.Lines} lines")];

        Assert.That(tooLong, Is.Empty, $"files over {MaxLines} lines: split them by job (partial files, as DeliveryStage's)");
    }

    [Test]
    public void FolderMap_EveryFileItNames_ExistsInItsFolder()
    {
        string[] missing = [.. MapEntries().Where(entry => !File.Exists(Path.Combine(RepoPaths.Root, LibraryRoot, entry.Folder, entry.File))).Select(entry => $"{entry.Folder}/{entry.File}")];

        Assert.That(MapEntries(), Is.Not.Empty, "the map was read");
        Assert.That(missing, Is.Empty, "named in README's folder map, but not in that folder");
    }

    [Test]
    public void FolderMap_EveryFolderOfTheLibrary_IsInIt()
    {
        string[] folders = [.. Directory.GetDirectories(Path.Combine(RepoPaths.Root, LibraryRoot))
            .Select(Path.GetFileName)
            .Where(name => name is not ("bin" or "obj" or "Properties"))
            .Select(name => name!)];
        var mapped = MapEntries().Select(entry => entry.Folder).ToHashSet();

        Assert.That(folders.Where(folder => !mapped.Contains(folder)), Is.Empty, "folders with no line in README's folder map");
    }

    [Test]
    public void EventPath_EveryFileItNames_ExistsOnce()
    {
        string[] path = [.. PathLine().Matches(Section()).Select(match => match.Groups[1].Value)];

        Assert.That(path, Is.Not.Empty, "the path was read");
        Assert.That(path.Where(file => !File.Exists(Path.Combine(RepoPaths.Root, file))), Is.Empty, "on the README's event path, but not in the tree");
        Assert.That(path, Is.Unique);
    }

    /// <summary>The "## Repository" section of the README.</summary>
    private static string Section()
    {
        string readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        int start = readme.IndexOf("\n## Repository\n", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "README has a Repository section");
        int end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? readme[start..] : readme[start..end];
    }

    /// <summary>Each file the folder map names, with the folder whose lines name it.</summary>
    private static List<(string Folder, string File)> MapEntries()
    {
        var entries = new List<(string Folder, string File)>();
        string? folder = null;
        bool inLibrary = false;
        foreach (string line in Section().Split('\n'))
        {
            if (line.StartsWith(LibraryRoot, StringComparison.Ordinal))
            {
                inLibrary = true;
                continue;
            }

            if (!inLibrary || (line.Length > 0 && line[0] != ' '))
            {
                inLibrary = false; // the library's block ends at the next unindented line
                continue;
            }

            if (FolderLine().Match(line) is { Success: true } start)
            {
                folder = start.Groups[1].Value;
            }

            if (folder is not null)
            {
                entries.AddRange(FileName().Matches(line).Select(match => (folder, match.Value)));
            }
        }

        return entries;
    }

    [GeneratedRegex(@"^  ([A-Za-z0-9]+)/ ")]
    private static partial Regex FolderLine();

    [GeneratedRegex(@"\b[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)?\.cs\b")]
    private static partial Regex FileName();

    [GeneratedRegex(@"(?m)^\d+\. `([^`]+\.cs)`")]
    private static partial Regex PathLine();
}
