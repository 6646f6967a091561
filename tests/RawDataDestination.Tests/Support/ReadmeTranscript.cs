namespace RawDataDestination.Tests.Support;

/// <summary>
/// A program's output as the README pastes it: a fenced block, compared line by line with a real run. What differs in
/// each run is a wildcard: runs of digits (PIDs, ports, days, times), ids like <c>01a23a73-12a1-…</c>, a temporary
/// folder <c>/tmp/tmp.XXXX</c>, and <c>…</c> where the README shortens a value.
/// </summary>
internal static partial class ReadmeTranscript
{
    public static string Readme => File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));

    /// <summary>The lines of the first fenced block of the README that contains <paramref name="text"/>, without the indentation of its fence.</summary>
    public static string[] Block(string text)
    {
        foreach (Match block in FencedBlock().Matches(Readme))
        {
            if (block.Groups["body"].Value.Contains(text, StringComparison.Ordinal))
            {
                string indent = block.Groups["indent"].Value;
                return block.Groups["body"].Value.TrimEnd('\n').Split('\n')
                    .Select(line => line.StartsWith(indent, StringComparison.Ordinal) ? line[indent.Length..] : line)
                    .ToArray();
            }
        }

        throw new AssertionException($"README.md has no fenced block containing '{text}'");
    }

    /// <summary>Asserts that each non-empty line of <paramref name="shown"/> matches a line of <paramref name="actual"/>, in order.</summary>
    public static void AssertShownIn(IReadOnlyList<string> shown, IReadOnlyList<string> actual)
    {
        int next = 0;
        foreach (string line in shown.Where(l => l.Length > 0))
        {
            Regex pattern = Pattern(line);
            int found = -1;
            for (int i = next; i < actual.Count; i++)
            {
                if (pattern.IsMatch(actual[i]))
                {
                    found = i;
                    break;
                }
            }

            Assert.That(found, Is.GreaterThanOrEqualTo(0), $"the README shows the line{Environment.NewLine}{line}{Environment.NewLine}which a real run does not print (after line {next}):{Environment.NewLine}{string.Join(Environment.NewLine, actual)}");
            next = found + 1;
        }
    }

    /// <summary>A README line as a pattern over a whole output line, with the wildcards of this class.</summary>
    public static Regex Pattern(string line)
    {
        var pattern = new StringBuilder("^");
        int at = 0;
        foreach (Match wildcard in Wildcard().Matches(line))
        {
            pattern.Append(Regex.Escape(line[at..wildcard.Index]));
            pattern.Append(wildcard.Value switch
            {
                "…" => "[^'\\s]*",
                var v when v.StartsWith("/tmp/", StringComparison.Ordinal) => "\\S+",
                var v when v.Contains('-', StringComparison.Ordinal) => "[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}",
                _ => "\\d+",
            });
            at = wildcard.Index + wildcard.Length;
        }

        pattern.Append(Regex.Escape(line[at..])).Append('$');
        return new Regex(pattern.ToString(), RegexOptions.CultureInvariant);
    }

    [GeneratedRegex(@"^(?<indent>[ ]*)```[a-z]*\n(?<body>.*?)^\k<indent>```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"…|/tmp/tmp\.\w+/|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|\d+")]
    private static partial Regex Wildcard();
}
