using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace RawDataDestination.Tests.Cli;

/// <summary>
/// The README's C# compiles: the library snippet ("Composing the parts") as pasted into a console project, and every
/// other <c>```csharp</c> block with the declarations its prose assumes (<see cref="Contexts"/>).
/// </summary>
public partial class ReadmeSnippetTests
{
    /// <summary>What <c>dotnet new console</c> gives a Program.cs: the SDK's implicit usings.</summary>
    private const string ImplicitUsings =
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
        "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;";

    [Test]
    [CancelAfter(60_000)]
    public async Task ComposingThePartsSnippet_CompilesAsPasted()
    {
        string readme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "README.md"));
        string snippet = Snippet(readme, "## Composing the parts");

        Diagnostic[] errors = Compile(snippet);

        Assert.That(errors.Select(error => error.ToString()), Is.Empty, snippet);
    }

    /// <summary>
    /// What a README block that is a fragment takes from its surroundings, by the heading it sits under: the usings and
    /// the names it uses but does not declare (<see cref="SnippetContext.Before"/>), and types those names need
    /// (<see cref="SnippetContext.After"/>). A block under a heading not listed here fails
    /// <see cref="EveryCSharpBlock_HasAContextHere"/>: add its context, so it is compiled too.
    /// </summary>
    private static readonly SnippetContext[] Contexts =
    [
        new("## Composing the parts", Before: ""),
        new("## Many customers", Before: ""),
        new(
            "### Offboarding a customer",
            Before: """
                using RawDataDestination.Batching;

                await using var buffer = new BatchBuffer(new BatchBufferOptions(), null!);
                string archive = "/var/lib/offboarded";

                """),
        new(
            "### Exactly-once objects for hosts that read a durable log",
            Before: """
                using RawDataDestination.Batching;
                using RawDataDestination.S3;

                S3RoleDestination destination = null!;
                string sourceId = "orders";
                DateOnly receivedDay = new(2023, 11, 24);
                long firstOffset = 1200, lastOffset = 1249;
                DateTimeOffset firstRecordTimestamp = DateTimeOffset.UnixEpoch;
                LogRecord[] records = [];
                var consumer = new LogConsumer();
                CancellationToken cancellationToken = default;

                """,
            After: """

                sealed record LogRecord(byte[] Value);

                sealed class LogConsumer
                {
                    public void Commit(long offset)
                    {
                    }
                }
                """),
        new(
            "## Staging",
            Before: """
                using Microsoft.Extensions.Logging;
                using RawDataDestination.Batching;
                using RawDataDestination.S3;
                using RawDataDestination.Staging;

                S3RoleDestinationOptions destinationOptions = null!;
                ILoggerFactory loggers = null!;
                BatchBufferOptions bufferOptions = new();
                CancellationToken stoppingToken = default;

                """),
        new(
            "## Dependency injection",
            Before: """
                using Microsoft.Extensions.Configuration;
                using Microsoft.Extensions.DependencyInjection;
                using RawDataDestination;
                using RawDataDestination.DependencyInjection;
                using RawDataDestination.S3;

                var builder = new HostBuilderStandIn();

                """,
            After: """

                /// <summary>The members of HostApplicationBuilder the snippet uses, with their types (the test project does not reference Hosting).</summary>
                sealed class HostBuilderStandIn
                {
                    public IServiceCollection Services { get; } = new ServiceCollection();

                    public ConfigurationManager Configuration { get; } = new();
                }
                """),
    ];

    /// <summary>Every <c>```csharp</c> block of the README, named by the heading it sits under.</summary>
    private static IEnumerable<TestCaseData> CSharpBlocks()
    {
        string readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        foreach (Match block in CSharpBlock().Matches(readme))
        {
            string heading = Heading(readme, block.Index);
            yield return new TestCaseData(heading, block.Groups[1].Value).SetArgDisplayNames(heading.TrimStart('#', ' '));
        }
    }

    /// <summary>The last Markdown heading before <paramref name="index"/>, fenced blocks (whose lines may start with '#') skipped.</summary>
    private static string Heading(string readme, int index)
    {
        string heading = "(no heading)";
        bool fenced = false;
        foreach (string line in readme[..index].Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }
            else if (!fenced && HeadingLine().IsMatch(line))
            {
                heading = line.TrimEnd();
            }
        }

        return heading;
    }

    [TestCaseSource(nameof(CSharpBlocks))]
    public void EveryCSharpBlock_HasAContextHere(string heading, string block) =>
        Assert.That(Contexts.Select(context => context.Heading), Does.Contain(heading), $"a csharp block under '{heading}' has no context in ReadmeSnippetTests.Contexts, so nothing compiles it:\n{block}");

    [TestCaseSource(nameof(CSharpBlocks))]
    [CancelAfter(60_000)]
    public void EveryCSharpBlock_CompilesWithTheDeclarationsItsProseAssumes(string heading, string block)
    {
        SnippetContext? context = Contexts.SingleOrDefault(c => c.Heading == heading);
        Assume.That(context, Is.Not.Null, "EveryCSharpBlock_HasAContextHere fails for this block");

        // "{ ... }" is the README's mark for a body left out; compiled as an empty body.
        string program = context!.Before + block.Replace("{ ... }", "{ }", StringComparison.Ordinal) + context.After;
        Diagnostic[] errors = Compile(program);

        Assert.That(errors.Select(error => error.ToString()), Is.Empty, program);
    }

    [Test]
    public void Contexts_EachNameAHeadingWithACSharpBlock()
    {
        string[] headings = CSharpBlocks().Select(data => (string)data.Arguments[0]!).ToArray();

        Assert.That(Contexts.Select(context => context.Heading), Is.SubsetOf(headings), "no stale context: each heading is in the README and has a csharp block");
    }

    [Test]
    public void Compile_ASnippetThatUsesAnUndefinedName_ReportsIt()
    {
        Diagnostic[] errors = Compile("using RawDataDestination.Batching;\nawait using var buffer = new BatchBuffer(new BatchBufferOptions(), null!);\nawait buffer.AppendAsync(\"s\", utf8JsonBytes);");

        Assert.That(errors.Select(error => error.Id), Does.Contain("CS0103"));
    }

    /// <summary>The first <c>```csharp</c> block after <paramref name="heading"/>.</summary>
    private static string Snippet(string readme, string heading)
    {
        int start = readme.IndexOf(heading, StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"README has '{heading}'");
        Match block = CSharpBlock().Match(readme, start);
        Assert.That(block.Success, Is.True, $"a csharp block follows '{heading}'");
        return block.Groups[1].Value;
    }

    /// <summary>Compiles a Program.cs as a console program against the framework and the library; returns the errors.</summary>
    private static Diagnostic[] Compile(string program)
    {
        string[] frameworkAssemblies = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        IEnumerable<MetadataReference> references = frameworkAssemblies
            .Append(typeof(BatchBuffer).Assembly.Location)
            .Distinct(StringComparer.Ordinal)
            .Select(path => MetadataReference.CreateFromFile(path));
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "ReadmeSnippet",
            [CSharpSyntaxTree.ParseText(ImplicitUsings, parse), CSharpSyntaxTree.ParseText(program, parse, "Program.cs")],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var output = new MemoryStream();
        return compilation.Emit(output).Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex("^#{1,6} ")]
    private static partial Regex HeadingLine();

    /// <summary>The declarations around the README blocks under <paramref name="Heading"/>.</summary>
    private sealed record SnippetContext(string Heading, string Before, string After = "");
}
