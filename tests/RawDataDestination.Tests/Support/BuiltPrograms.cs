namespace RawDataDestination.Tests.Support;

/// <summary>Finds the output of a program project that the test project builds (ProjectReference without the assembly).</summary>
internal static class BuiltPrograms
{
    /// <summary>The program's dll built with the tests' configuration and framework, else the newest build.</summary>
    /// <param name="projectDirectory">The project's folder, relative to the repository root.</param>
    /// <param name="dllName">The program's dll.</param>
    public static string Find(string projectDirectory, string dllName)
    {
        string projectDir = Path.Combine(RepoPaths.Root, projectDirectory);

        // Same configuration and framework as these tests: .../RawDataDestination.Tests/bin/Debug/net10.0 -> .../{project}/bin/Debug/net10.0
        string testsDir = Path.Combine(RepoPaths.Root, "tests", "RawDataDestination.Tests");
        string relative = Path.GetRelativePath(testsDir, AppContext.BaseDirectory);
        if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
        {
            string sibling = Path.Combine(projectDir, relative, dllName);
            if (IsRunnable(sibling))
            {
                return sibling;
            }
        }

        string? newest = Directory.Exists(Path.Combine(projectDir, "bin"))
            ? Directory.EnumerateFiles(Path.Combine(projectDir, "bin"), dllName, SearchOption.AllDirectories)
                .Where(IsRunnable)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault()
            : null;
        return newest ?? throw new FileNotFoundException($"{dllName} not found under {projectDir}/bin; build {projectDirectory} (the test project references it).");
    }

    private static bool IsRunnable(string dll) =>
        File.Exists(dll) && File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json"));
}
