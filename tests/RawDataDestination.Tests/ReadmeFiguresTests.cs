namespace RawDataDestination.Tests;

/// <summary>
/// The README's measured figures come from <c>benchmarks/results</c> only, through <c>benchmarks/readme-figures.sh</c>,
/// and are stated once: the blocks between <c>&lt;!-- results:NAME --&gt;</c> markers are what the script writes from
/// the results files, and no throughput or ratio is written by hand outside them.
/// </summary>
public partial class ReadmeFiguresTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>The blocks the script writes; README.md must hold each one.</summary>
    private static readonly string[] Blocks = ["run", "goals", "passes", "sources", "whole-process", "levels", "customers", "on-paper"];

    private static string Readme => File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));

    [Test]
    public async Task Readme_ResultsBlocks_AreWhatTheScriptWritesFromBenchmarksResults()
    {
        (int exitCode, string output) = await RunScriptAsync(Path.Combine(RepoPaths.Root, "README.md"));

        Assert.That(exitCode, Is.EqualTo(0), output);
    }

    [Test]
    public async Task Check_WhenAFigureInABlockIsEditedByHand_FailsAndSaysHowToFixIt()
    {
        string blockStart = "<!-- results:whole-process -->";
        int start = Readme.IndexOf(blockStart, StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0));
        int row = Readme.IndexOf("| gzip -6 |", start, StringComparison.Ordinal);
        string edited = Readme[..row] + "| gzip -6 | 0.01 |" + Readme[(row + "| gzip -6 |".Length)..];
        using var temp = new TempDirectory("rawdata-readme-");
        string copy = Path.Combine(temp.Path, "README.md");
        await File.WriteAllTextAsync(copy, edited);

        (int exitCode, string output) = await RunScriptAsync(copy);

        Assert.That(exitCode, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("run 'bash benchmarks/readme-figures.sh'"));
        Assert.That(await File.ReadAllTextAsync(copy), Is.EqualTo(edited), "--check writes nothing");
    }

    [Test]
    public void Readme_HoldsEveryResultsBlock()
    {
        string readme = Readme;

        Assert.That(Blocks.Where(name => !readme.Contains($"<!-- results:{name} -->\n", StringComparison.Ordinal) || !readme.Contains($"<!-- /results:{name} -->\n", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void Readme_OutsideTheResultsBlocks_StatesNoThroughputOrRatio()
    {
        string outside = ResultsBlock().Replace(Readme, "");

        string[] found = [.. MeasuredFigure().Matches(outside).Select(match => match.Value)];

        Assert.That(found, Is.Empty, "a measured figure belongs in benchmarks/results, and the README links to its place in Performance");
    }

    /// <summary>Runs <c>benchmarks/readme-figures.sh --check</c> over <paramref name="readme"/>; returns its exit code and output.</summary>
    private static async Task<(int ExitCode, string Output)> RunScriptAsync(string readme)
    {
        var (exitCode, stdout, stderr) = await ChildProcess.RunAsync("bash", ["benchmarks/readme-figures.sh", "--check"], Bound, environment: new Dictionary<string, string?> { ["README"] = readme });
        return (exitCode, stdout + stderr);
    }

    [GeneratedRegex(@"<!-- results:(?<name>[a-z-]+) -->.*?<!-- /results:\k<name> -->", RegexOptions.Singleline)]
    private static partial Regex ResultsBlock();

    /// <summary>A throughput (<c>87 MB/s</c>) or a ratio with decimals (<c>1.67×</c>).</summary>
    [GeneratedRegex(@"\b\d[\d,.]*\s?MB/s|\b\d+\.\d+\s?×")]
    private static partial Regex MeasuredFigure();
}
