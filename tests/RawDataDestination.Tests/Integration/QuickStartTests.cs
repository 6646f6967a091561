namespace RawDataDestination.Tests.Integration;

/// <summary>
/// The README's quick start ("Composing the parts") is samples/QuickStart/Program.cs, and runs as that section says: on
/// the local AWS of samples/local-aws.sh, with the lines the script prints pasted into a shell, printing what the README
/// shows; and when nothing answers at the endpoint, it says why at once instead of staying silent.
/// </summary>
public partial class QuickStartTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    private static string QuickStartDll => BuiltPrograms.Find(Path.Combine("samples", "QuickStart"), "QuickStart.dll");

    [Test]
    public async Task Readme_ComposingThePartsSnippet_IsTheQuickStartProgramByteForByte()
    {
        string readme = ReadmeTranscript.Readme;
        int section = readme.IndexOf("## Composing the parts", StringComparison.Ordinal);
        Assert.That(section, Is.GreaterThanOrEqualTo(0), "README has '## Composing the parts'");
        Match block = CSharpBlock().Match(readme, section);
        Assert.That(block.Success, Is.True, "a csharp block follows '## Composing the parts'");

        string program = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "samples", "QuickStart", "Program.cs"));

        Assert.That(block.Groups[1].Value, Is.EqualTo(program), "the README's quick start is samples/QuickStart/Program.cs; copy one onto the other");
    }

    [Test]
    public async Task QuickStart_RunWithTheLinesLocalAwsPrinted_DeliversTheEventAndPrintsWhatTheReadmeShows()
    {
        await using LocalAwsScript script = await LocalAwsScript.StartAsync("--port", "0");
        ReadmeTranscript.AssertShownIn(ReadmeTranscript.Block("== The local AWS is ready"), Lines(script.Output));
        Assert.That(script.PastedLines, Has.Count.EqualTo(3), script.Output);
        Assert.That(script.PastedLines[^1], Is.EqualTo(LocalAwsScript.RunCommand));

        // The pasted lines, run by a shell as a user's terminal would (the program already built: dotnet QuickStart.dll
        // for `dotnet run`), in a terminal that holds a session token of the user's own: the lines unset it.
        string pasted = string.Join('\n', script.PastedLines.Select(line => line == LocalAwsScript.RunCommand
            ? $"exec '{LocalPeersProgram.DotnetHost}' '{QuickStartDll}'"
            : line));
        (int exitCode, string stdout, string stderr) = await RunShellAsync(pasted, new() { ["AWS_SESSION_TOKEN"] = "a-token-of-the-users-own" });

        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(stderr, Is.Empty);
        string[] printed = Lines(stdout);
        string[] shown = ReadmeTranscript.Block("Delivered s3://");
        Assert.That(printed, Has.Length.EqualTo(shown.Length), "it prints the README's lines and nothing else:" + Environment.NewLine + stdout);
        ReadmeTranscript.AssertShownIn(shown, printed);

        // The object is in the local bucket, read back as the account's administrator (the role may not read).
        string key = printed[0][(printed[0].IndexOf("s3://mybucket/", StringComparison.Ordinal) + "s3://mybucket/".Length)..printed[0].IndexOf(" (events: ", StringComparison.Ordinal)];
        using AmazonS3Client administrator = AccountSetup.CreateS3Client(script.Endpoint, await AdministratorAsync(script));
        using GetObjectResponse response = await administrator.GetObjectAsync("mybucket", key);
        using var bytes = new MemoryStream();
        await response.ResponseStream.CopyToAsync(bytes);
        Assert.That(Gzip.Lines(bytes.ToArray()), Is.EqualTo(new[] { """{"type":"track","event":"Signed Up","receivedAt":"2026-11-24T10:00:00Z"}""" }));
    }

    [Test]
    public async Task QuickStart_WithNothingAtTheEndpoint_SaysWhyWithinSeconds()
    {
        int port = FreePort.Next();
        using Process process = RawdataProgram.StartDll(QuickStartDll, [], new Dictionary<string, string> { ["RAWDATA_ENDPOINT_URL"] = $"http://127.0.0.1:{port}" });
        process.StandardInput.Close();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        var started = Stopwatch.StartNew();
        string? warning = null;
        var printed = new List<string>();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (warning is null && await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                printed.Add(line);
                warning = line.Contains("is failing", StringComparison.Ordinal) ? line : null;
            }
        }
        catch (OperationCanceledException)
        {
            // silent for a minute: the assertion below says so
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        // The README quotes the warning: the part before its " ...)", with the local AWS's port.
        string readme = ReadmeTranscript.Readme;
        Match quoted = Regex.Match(readme, "`(Lane my-source-id is failing \\(.*?) \\.\\.\\.\\)`");
        Assert.That(quoted.Success, Is.True, "the README quotes the warning");
        string expected = quoted.Groups[1].Value.Replace(":5123/", $":{port}/", StringComparison.Ordinal);
        Assert.That(warning, Is.Not.Null, $"within a minute, a warning says the delivery is failing; it printed:{Environment.NewLine}{string.Join(Environment.NewLine, printed)}{await stderr}");
        Assert.That(warning, Does.Contain(expected));
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "at once, not after the retry budget (5 minutes)");
    }

    /// <summary>The administrator's key, from the account.env that localpeers setup-account wrote next to the file the script names.</summary>
    private static async Task<AWSCredentials> AdministratorAsync(LocalAwsScript script)
    {
        string account = await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(script.EnvFile)!, "account.env"));
        string Value(string name) => Regex.Match(account, $"^{name}='([^']*)'$", RegexOptions.Multiline).Groups[1].Value;
        return new BasicAWSCredentials(Value("ADMIN_ACCESS_KEY_ID"), Value("ADMIN_SECRET_ACCESS_KEY"));
    }

    /// <summary>Runs <paramref name="commands"/> with <c>bash -c</c> at the repository's root, bounded by <see cref="RunTimeout"/>.</summary>
    private static Task<(int ExitCode, string Stdout, string Stderr)> RunShellAsync(string commands, Dictionary<string, string> environment)
    {
        // The run's own AWS key, profile and endpoint are removed: only the pasted lines set them.
        var variables = new Dictionary<string, string?> { ["AWS_ACCESS_KEY_ID"] = null, ["AWS_SECRET_ACCESS_KEY"] = null, ["AWS_PROFILE"] = null, ["RAWDATA_ENDPOINT_URL"] = null };
        foreach (KeyValuePair<string, string> variable in environment)
        {
            variables[variable.Key] = variable.Value;
        }

        return ChildProcess.RunAsync("bash", ["-c", commands], RunTimeout, environment: variables);
    }

    private static string[] Lines(string text) => text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
