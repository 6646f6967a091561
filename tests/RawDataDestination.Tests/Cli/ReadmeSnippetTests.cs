using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using RawDataDestination.Batching;
using RawDataDestination.Tests.Support;

namespace RawDataDestination.Tests.Cli;

/// <summary>The README's library snippet ("Composing the parts") compiles as pasted into a console project.</summary>
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
}
