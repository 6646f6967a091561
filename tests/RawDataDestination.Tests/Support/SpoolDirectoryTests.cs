namespace RawDataDestination.Tests.Support;

/// <summary>A test class whose every test gets a new, empty spool directory, deleted (with what it holds) after it.</summary>
public abstract class SpoolDirectoryTests
{
    /// <summary>The current test's spool directory.</summary>
    protected string SpoolPath { get; private set; } = "";

    /// <summary>Creates the test's spool directory, named after the test class.</summary>
    [SetUp]
    public void CreateSpoolDirectory() => SpoolPath = Directory.CreateTempSubdirectory($"rawdata-{GetType().Name}-").FullName;

    /// <summary>Deletes the test's spool directory; a file the test left undeletable fails the test.</summary>
    [TearDown]
    public void DeleteSpoolDirectory() => Directory.Delete(SpoolPath, recursive: true);
}
