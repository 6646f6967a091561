namespace RawDataDestination.Tests.Support;

/// <summary>Locations in the source tree, found by walking up from the test binaries to RawDataDestination.sln.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    /// <summary>tests/peers: the npm project that pins s3rver.</summary>
    public static string Peers => Path.Combine(Root, "tests", "peers");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RawDataDestination.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"RawDataDestination.sln not found above {AppContext.BaseDirectory}");
    }
}
