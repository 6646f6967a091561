namespace RawDataDestination.Tests.Support;

/// <summary>A new temporary directory, deleted with what it holds when disposed.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "rawdata-test-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
