namespace RawDataDestination.Tests.Cli;

/// <summary>The <c>rawdata</c> command line as a user meets it, driven as a process: help, version, usage errors. No peers needed.</summary>
public class RawdataCommandLineTests
{
    private static readonly string[] Destination =
        ["--region", "us-east-1", "--bucket", "raw-bucket", "--role-arn", "arn:aws:iam::123456789012:role/SegmentS3Upload", "--external-id", "ext-id-4242"];

    /// <summary>
    /// A command line of <paramref name="command"/> that is valid but for <paramref name="option"/>: ship and verify with
    /// <see cref="Destination"/> (ship with a source id too), <paramref name="option"/> set to <paramref name="value"/> in
    /// place where they give it and added where not, then <paramref name="more"/>.
    /// </summary>
    private static string[] CommandLine(string command, string option, string value, params string[] more)
    {
        List<string> arguments = command switch
        {
            "ship" => ["ship", .. Destination, "--source-id", "src"],
            "verify" => ["verify", .. Destination],
            _ => [command],
        };
        int index = arguments.IndexOf(option);
        if (index >= 0)
        {
            arguments[index + 1] = value;
        }
        else
        {
            arguments.AddRange([option, value]);
        }

        return [.. arguments, .. more];
    }

    [TestCase("--help")]
    [TestCase("-h")]
    [TestCase("ship --help")]
    [TestCase("ship -h")]
    [TestCase("verify --help")]
    [TestCase("verify -h")]
    [TestCase("generate --help")]
    [TestCase("generate -h")]
    public async Task Help_AtEveryLevel_PrintsUsageAndExitsZero(string arguments)
    {
        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(arguments.Split(' '));

        Assert.That(exitCode, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("Usage:").And.Contain("rawdata"));
        Assert.That(stderr, Is.Empty);
    }

    [Test]
    public async Task ShipHelp_ListsEveryOption()
    {
        var (_, stdout, _) = await RawdataProgram.RunAsync(["ship", "--help"]);

        string[] options =
        [
            "--region", "--bucket", "--role-arn", "--external-id", "--endpoint-url", "--sts-endpoint-url", "--sts-region", "--allow-unknown-region",
            "--role-session-name", "--acl", "--sse", "--kms-key-id", "--source-id", "--input", "--max-batch-bytes", "--max-event-bytes", "--spool-dir",
            "--progress", "--compression-threads", "--retry-time-limit", "--shutdown-timeout",
        ];
        Assert.That(options.Where(option => !stdout.Contains(option, StringComparison.Ordinal)), Is.Empty);
    }

    [TestCase("ship", "--retry-time-limit", "--shutdown-timeout")]
    [TestCase("deliver-staged", "--retry-time-limit")]
    public async Task Help_OfEveryDurationOption_SaysItsFormsAndThatABareNumberIsSeconds(string command, params string[] durations)
    {
        // --retry-time-limit 30 is 30 seconds, which neither --help nor the README said.
        var (_, stdout, _) = await RawdataProgram.RunAsync([command, "--help"]);

        // Each option's help, its wrapped lines joined: from its name to the next option.
        string[] options = Regex.Split(stdout, @"\n(?=\s+-)").Select(text => Regex.Replace(text, @"\s+", " ").Trim()).ToArray();
        string[] shown = [.. options.Where(option => option.Contains("<duration>", StringComparison.Ordinal))];
        Assert.That(shown.Select(option => option.Split(' ')[0]), Is.EquivalentTo(durations), "the duration options: " + stdout);
        Assert.That(shown, Has.All.Contain("500ms, 30s, 5m or 1h (a bare number is seconds), or hh:mm:ss."), stdout);
    }

    [TestCase("ship", "a --region, --sts-region or --stage-region")]
    [TestCase("deliver-staged", "a --region, --sts-region or --stage-region")]
    [TestCase("verify", "a --region or --sts-region")]
    public async Task Help_OfAllowUnknownRegion_NamesEveryRegionOptionOfItsCommand(string command, string regions)
    {
        // QA F4f: every command's help said "a --region or --sts-region", though ship and deliver-staged accept a
        // --stage-region newer than the SDK with it too.
        var (_, stdout, _) = await RawdataProgram.RunAsync([command, "--help"]);

        string help = Regex.Split(stdout, @"\n(?=\s+-)").Select(text => Regex.Replace(text, @"\s+", " ").Trim()).Single(option => option.StartsWith("--allow-unknown-region", StringComparison.Ordinal));
        Assert.That(help, Does.Contain($"Accept {regions} that this version of the AWS SDK does not know"), stdout);
    }

    [Test]
    public async Task Version_PrintsTheVersionAndExitsZero()
    {
        var (exitCode, stdout, _) = await RawdataProgram.RunAsync(["--version"]);

        Assert.That(exitCode, Is.EqualTo(0));
        Assert.That(stdout, Does.Match(@"^\d+\.\d+\.\d+"));
    }

    [Test]
    public async Task NoCommand_AsksForOneNamingEveryCommandAndExitsTwo()
    {
        var (exitCode, _, stderr) = await RawdataProgram.RunAsync([]);

        // It named ship, verify and generate, and not deliver-staged.
        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("Give a command: ship, deliver-staged, verify or generate."), stderr);
    }

    [Test]
    public async Task Ship_WithNoOptions_ReportsEveryMissingOptionAtOnce()
    {
        var (exitCode, _, stderr) = await RawdataProgram.RunAsync(["ship"]);

        Assert.That(exitCode, Is.EqualTo(2));
        foreach (string option in new[] { "--region", "--bucket", "--role-arn", "--external-id", "--source-id" })
        {
            Assert.That(stderr, Does.Contain($"Option '{option}' is required."));
        }

        Assert.That(stderr, Does.Contain("Run 'rawdata ship --help'"));
    }

    [Test]
    public async Task Ship_WithAMissingOptionAndBadSettings_ReportsThemAllAtOnce()
    {
        var (exitCode, _, stderr) = await RawdataProgram.RunAsync(
            ["ship", "--region", "us-wst-2", "--bucket", "s3://x/y", "--role-arn", "SegmentS3Upload", "--source-id", "../x", "--acl", "public", "--max-batch-bytes", "10"]);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(stderr, Says.All(
            "Option '--external-id' is required.",
            "--region 'us-wst-2'",
            "--bucket 's3://x/y'",
            "--role-arn 'SegmentS3Upload' looks like a role name",
            "--source-id '../x'",
            "--acl is 'public'",
            "--max-batch-bytes is 10"));
    }

    [TestCase("ship", "--region", "us-wst-2", "us-west-2")]
    [TestCase("verify", "--sts-region", "us-eest-1", "us-east-1")]
    public async Task MisspelledRegion_IsRefusedNamingTheClosestKnownRegion(string command, string option, string region, string closest)
    {
        var (exitCode, _, stderr) = await RawdataProgram.RunAsync(CommandLine(command, option, region));

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain($"{option} '{region}' is not an AWS region").And.Contain($"did you mean '{closest}'?").And.Contain("--allow-unknown-region"));
    }

    [TestCase("verify")]
    [TestCase("ship", "--retry-time-limit", "5s", "--shutdown-timeout", "2s")]
    [CancelAfter(120_000)]
    public async Task AllowedUnknownRegionWhoseHostDoesNotResolve_NamesTheServiceAndTheRegion(string command, params string[] more)
    {
        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(CommandLine(command, "--region", "us-wst-2", ["--allow-unknown-region", .. more]), "{\"type\":\"track\"}\n");

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stderr, Does.Contain("Could not reach STS (https://sts.us-wst-2.amazonaws.com): its host name did not resolve; check --sts-region (or --region) 'us-wst-2'"));
    }

    [Test]
    public async Task Ship_WithADirectoryAsInput_CallsItADirectory()
    {
        string directory = Directory.CreateTempSubdirectory("rawdata-input-").FullName;
        try
        {
            var (exitCode, _, stderr) = await RawdataProgram.RunAsync(CommandLine("ship", "--input", directory));

            Assert.That(exitCode, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain($"--input '{directory}' is a directory"));
            Assert.That(stderr, Does.Not.Contain("denied"));
        }
        finally
        {
            Directory.Delete(directory);
        }
    }

    // A backfill over a folder of exports: rawdata ship ... --input exports/*.json. The parser named each extra file an
    // unrecognized argument, and said nothing of what to do. With one extra file (--input a.json b.json), "look like more
    // files" misnamed it: that one is said in the singular.
    [TestCase(3, "and 1 more look like more files for it")]
    [TestCase(2, "looks like another file for it (as a shell's * gives them).")]
    public async Task Ship_WithMoreInputFilesThanOneAsAShellGlobGivesThem_SaysOneFilePerRunAndHowToShipThemAll(int count, string said)
    {
        using var directory = new TempDirectory("rawdata-inputs-");
        string[] files = [.. Enumerable.Range(1, count).Select(i => Path.Combine(directory.Path, $"2023-11-2{i}.json"))];
        foreach (string file in files)
        {
            await File.WriteAllTextAsync(file, "{\"type\":\"track\"}\n");
        }

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(CommandLine("ship", "--input", files[0], files[1..]));

        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain($"--input takes one file per run, and '{files[1]}' {said}"), stderr);
        Assert.That(stderr, Does.Contain("for f in FILES; do rawdata ship ... --input \"$f\"; done").And.Contain("cat FILES | rawdata ship ... --input -"), stderr);
        Assert.That(stdout, Is.Empty, "nothing was read or sent");
    }

    [TestCase(1)]
    [TestCase(3)]
    public async Task Ship_WithInputFilesTooMany_PrintsOnlyRawdatasOwnMessageForThem(int extra)
    {
        // The parser's "Unrecognized command or argument 'b.json'." came first, once per extra file, before rawdata's
        // own message naming the same files.
        using var directory = new TempDirectory("rawdata-extra-inputs-");
        string[] files = [.. Enumerable.Range(0, extra + 1).Select(i => Path.Combine(directory.Path, $"{(char)('a' + i)}.json"))];
        foreach (string file in files)
        {
            await File.WriteAllTextAsync(file, "{\"type\":\"track\"}\n");
        }

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(["ship", .. Destination, "--source-id", "src", "--input", .. files]);

        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(lines, Has.Length.EqualTo(2), stderr);
        Assert.That(lines[0], Does.StartWith($"--input takes one file per run, and '{files[1]}' "), stderr);
        Assert.That(lines[1], Is.EqualTo("Run 'rawdata ship --help' for the options."), stderr);
        Assert.That(stdout, Is.Empty, "nothing was read or sent");
    }

    [Test]
    public async Task Ship_WithASpoolDirThatHoldsTheUsersOwnFiles_IsRefusedBeforeTheSpoolMovesAny()
    {
        // --spool-dir ~ moved the user's ~/tmp into ~/quarantine/ (the spool sets aside what it did not write under its
        // own names) and exited 1.
        using var home = new TempDirectory("rawdata-home-");
        Directory.CreateDirectory(Path.Combine(home.Path, "tmp"));
        await File.WriteAllTextAsync(Path.Combine(home.Path, "notes.txt"), "mine");

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(["ship", .. Destination, "--source-id", "src", "--spool-dir", home.Path]);

        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain($"--spool-dir '{home.Path}' holds an entry that no spool writes ('notes.txt')").And.Contain("Give a new or empty directory"), stderr);
        Assert.That(Directory.EnumerateFileSystemEntries(home.Path).Select(Path.GetFileName), Is.EquivalentTo(new[] { "tmp", "notes.txt" }), "nothing moved, nothing made");
    }

    [TestCase("-i")]
    [TestCase("--input")]
    public async Task Ship_WithInputGivenTwice_NamesBothAndSaysHowToShipThemAll(string option)
    {
        // It said only the parser's "Option '-i' expects a single argument but 2 were provided."
        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(["ship", .. Destination, "--source-id", "src", option, "a.json", option, "b.json"]);

        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(lines, Has.Length.EqualTo(2), stderr);
        Assert.That(lines[0], Does.StartWith("--input is given 2 times ('a.json', 'b.json'); it takes one file per run. Ship each in a run of its own"), stderr);
        Assert.That(stdout, Is.Empty, "nothing was read or sent");
    }

    [TestCase("ship", "--stage-bucket", "ops-stage/rawdata")]
    [TestCase("ship", "--stage-region", "us-east-1")]
    [TestCase("deliver-staged", "--stage-bucket", "ops-stage/rawdata")]
    [TestCase("deliver-staged", "--stage-region", "us-east-1")]
    [TestCase("verify", "--region", "us-east-1")]
    public async Task AnyCommand_WithAnOptionOfOneValueGivenTwice_NamesBothValuesAndSaysToGiveItOnce(string command, string option, string value)
    {
        // A script appending an override to a shared argument list: --stage-bucket or --stage-region twice crashed with an
        // unhandled exception (exit 134 and a stack trace); others said only the parser's "expects a single argument".
        List<string> arguments = [command, .. Destination, .. command == "ship" ? ["--source-id", "src"] : Array.Empty<string>()];
        arguments.AddRange(command == "verify" || option == "--stage-bucket" ? [] : ["--stage-bucket", "ops-stage/rawdata"]);
        arguments.AddRange(arguments.Contains(option) ? [option, value] : [option, value, option, value]);

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync([.. arguments]);

        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(lines, Is.EqualTo(new[] { $"{option} is given 2 times ('{value}', '{value}'); it takes one value: give it once.", $"Run 'rawdata {command} --help' for the options." }), stderr);
        Assert.That(stdout, Is.Empty, "nothing was read or sent");
    }

    [Test]
    public async Task Ship_WithADashAloneForStandardInput_SaysToGiveInputDash()
    {
        // cat f | rawdata ship ... - (the Unix way of naming standard input): the parser's bare "Unrecognized command or
        // argument '-'." said nothing of what to do.
        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(["ship", .. Destination, "--source-id", "src", "-"]);

        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(lines, Has.Length.EqualTo(2), "rawdata's own message, not the parser's too: " + stderr);
        Assert.That(lines[0], Does.StartWith("'-' alone is not taken: ship reads standard input with --input -").And.Contain("cat FILE | rawdata ship ... --input -"), stderr);
        Assert.That(lines[1], Is.EqualTo("Run 'rawdata ship --help' for the options."), stderr);
        Assert.That(stdout, Is.Empty, "nothing was read or sent");
    }

    [Test]
    public async Task Ship_WithAFileTooManyAndAWordThatIsNoFile_StillNamesTheWordUnrecognized()
    {
        using var directory = new TempDirectory("rawdata-extra-input-and-word-");
        string[] files = [Path.Combine(directory.Path, "a.json"), Path.Combine(directory.Path, "b.json")];
        foreach (string file in files)
        {
            await File.WriteAllTextAsync(file, "{\"type\":\"track\"}\n");
        }

        var (exitCode, _, stderr) = await RawdataProgram.RunAsync(["ship", .. Destination, "--source-id", "src", "--input", .. files, "no-such-word"]);

        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("'no-such-word'"), "a word that is not a file is still the parser's to name");
        Assert.That(stderr, Does.Contain($"'{files[1]}' looks like another file for it"), stderr);
        Assert.That(stderr.Split('\n').Count(line => line.Contains(files[1], StringComparison.Ordinal)), Is.EqualTo(1), "the extra file named once: " + stderr);
    }

    [Test]
    public async Task Ship_WithAMissingInputFile_SaysItDoesNotExist()
    {
        var (exitCode, _, stderr) = await RawdataProgram.RunAsync(["ship", .. Destination, "--source-id", "src", "-i", "/nonexistent/events.ndjson"]);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--input '/nonexistent/events.ndjson'"));
    }

    [Test]
    public async Task Ship_WithAFileAsSpoolDirectory_SaysSoAndExitsTwo()
    {
        string file = Path.GetTempFileName();
        try
        {
            var (exitCode, _, stderr) = await RawdataProgram.RunAsync(CommandLine("ship", "--spool-dir", file), "{}\n");

            Assert.That(exitCode, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain($"--spool-dir '{file}' is a file, not a directory"));
            Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Ship_WithASpoolDirThatCannotBeMade_SaysWhyInOneSentenceAndExitsTwo()
    {
        // /dev/null is a file: no folder can be made under it, as root too.
        var (exitCode, _, stderr) = await RawdataProgram.RunAsync(CommandLine("ship", "--spool-dir", "/dev/null/spool"), "{}\n");

        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("--spool-dir '/dev/null/spool' can't be used: ").And.Contain(". Give a directory this user may create and write"));
        Assert.That(stderr, Does.Not.Contain(".."), "the system's message ends the sentence once");
    }

    [TestCase("ship")]
    [TestCase("ship", "--sse", "AES256")]
    [TestCase("verify")]
    public async Task KmsKeyId_WithoutSseAwsKms_IsRefusedSayingToAddItNotIgnored(string command, params string[] more)
    {
        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(CommandLine(command, "--kms-key-id", "alias/logs", more));

        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("--kms-key-id is given without --sse aws:kms").And.Contain("add --sse aws:kms, or leave --kms-key-id out"), stderr);
        Assert.That(stdout, Is.Empty, "nothing was read, written or sent");
    }

    // The README: a bad option is reported "naming the option as typed and what to enter instead", in the command line's
    // words: the rule's message without the library's "(Parameter 'options')" tail. For a number it could not read,
    // System.CommandLine's own words named the .NET type instead ("as expected type 'System.Int64'"), or the value was
    // read as 0 and refused again as out of range: a value the user never gave, and a second problem for one mistake.
    [TestCase("ship", "--region", "US-EAST-1", "--region 'US-EAST-1' is not a valid AWS region code: it has uppercase letters, and region codes are lowercase; enter 'us-east-1'.")]
    [TestCase("ship", "--bucket", "s3://raw-bucket/p", "--bucket 's3://raw-bucket/p' is a URI; enter the bucket name and optional path prefix instead: 'raw-bucket/p'")]
    [TestCase("ship", "--role-arn", "arn:aws:iam::123:role/x", "--role-arn 'arn:aws:iam::123:role/x' has account id '123'")]
    [TestCase("ship", "--external-id", "a", "--external-id 'a' is 1 character long")]
    [TestCase("ship", "--source-id", "../escape", "--source-id '../escape' contains '/'")]
    [TestCase("ship", "--kms-key-id", "not-a-key", "--kms-key-id 'not-a-key' is not a KMS key id, alias or ARN")]
    [TestCase("ship", "--max-event-bytes", "1", "--max-event-bytes is 1")]
    [TestCase("ship", "--compression-threads", "0", "--compression-threads is 0; it must be from 1 to 64 (the default is the number of processors, ")]
    [TestCase("ship", "--retry-time-limit", "2000h", "--retry-time-limit is '2000h'; the longest it takes is 720h (30 days): give 720h or less.")]
    [TestCase("ship", "--retry-time-limit", "99999999h", "--retry-time-limit is '99999999h'; the longest it takes is 720h (30 days): give 720h or less.")]
    [TestCase("ship", "--retry-time-limit", "0", "--retry-time-limit is '0'; give at least 1s: an upload gets 1 s to answer")]
    [TestCase("ship", "--retry-time-limit", "500ms", "--retry-time-limit is '500ms'; give at least 1s")]
    [TestCase("deliver-staged", "--retry-time-limit", "99999999h", "--retry-time-limit is '99999999h'; the longest it takes is 720h (30 days): give 720h or less.")]
    [TestCase("ship", "--shutdown-timeout", "2000h", "--shutdown-timeout is '2000h'; the longest it takes is 720h (30 days): give 720h or less.")]
    [TestCase("ship", "--spool-dir", "", "--spool-dir is ''; give the path of a directory for the spool, such as ./spool, or leave --spool-dir out to ship without one.")]
    [TestCase("ship", "--endpoint-url", "ftp://x", "--endpoint-url is 'ftp://x'; give an absolute http:// or https:// URL")]
    [TestCase("ship", "--stage-endpoint-url", "ftp://x", "--stage-endpoint-url is 'ftp://x'; give an absolute http:// or https:// URL")]
    [TestCase("ship", "--stage-endpoint-url", "http://127.0.0.1:4568", "--stage-endpoint-url is given without --stage-bucket, so ship would stage nothing; add --stage-bucket BUCKET[/prefix], or leave --stage-endpoint-url out.")]
    [TestCase("ship", "--stage-region", "us-east-2", "--stage-region is given without --stage-bucket, so ship would stage nothing; add --stage-bucket BUCKET[/prefix], or leave --stage-region out.")]
    [TestCase("deliver-staged", "--stage-endpoint-url", "notaurl", "--stage-endpoint-url is 'notaurl'; give an absolute http:// or https:// URL")]
    [TestCase("ship", "--endpoint-url", "http://127.0.0.1:4566/some/path", "--endpoint-url 'http://127.0.0.1:4566/some/path' has a path ('/some/path'): an endpoint is a scheme, a host and a port only, since each request names its own path (the bucket and key); enter 'http://127.0.0.1:4566'.")]
    [TestCase("deliver-staged", "--stage-region", "us-wst-2", "--stage-region 'us-wst-2' is not an AWS region this version of the AWS SDK knows; did you mean 'us-west-2'? If 'us-wst-2' is a region newer than the SDK, add --allow-unknown-region to accept it.")]
    [TestCase("verify", "--role-session-name", "x", "--role-session-name 'x' is 1 character long")]
    [TestCase("ship", "--max-batch-bytes", "10MB", "--max-batch-bytes is '10MB'; give a whole number, such as 104857600.")]
    [TestCase("ship", "--max-event-bytes", "1k", "--max-event-bytes is '1k'; give a whole number, such as 32768.")]
    [TestCase("ship", "--max-event-bytes", "999999999999", "--max-event-bytes is '999999999999'; ")]
    [TestCase("ship", "--compression-threads", "two", "--compression-threads is 'two'; give a whole number, such as ")]
    [TestCase("generate", "--count", "ten", "--count is 'ten'; give a whole number, such as 1000.")]
    [TestCase("generate", "--count", "99999999999999999999", "--count is '99999999999999999999'; it is too large; give a whole number up to 9223372036854775807, such as 1000.")]
    [TestCase("generate", "--seed", "x", "--seed is 'x'; give a whole number, such as 1.")]
    [TestCase("generate", "--days", "2.5", "--days is '2.5'; give a whole number, such as 1.")]
    public async Task AnyBadOptionValue_ExitsTwoSayingItOnceInTheCommandLinesWords(string command, string option, string value, string message)
    {
        string[] more = option switch
        {
            "--kms-key-id" => ["--sse", "aws:kms"],
            "--stage-endpoint-url" when value != "http://127.0.0.1:4568" => ["--stage-bucket", "ops-staging"], // it crashed the run with a stack trace then
            "--stage-region" when command == "deliver-staged" => ["--stage-bucket", "ops-staging"], // an unknown staging region was taken, and every batch failed to stage
            "--retry-time-limit" when command == "deliver-staged" => ["--stage-bucket", "ops-staging"], // without it, that is the one error said
            _ => [],
        };

        var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(CommandLine(command, option, value, more));

        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain(message), stderr);
        Assert.That(Regex.Matches(stderr, Regex.Escape(option) + " (is |')"), Has.Count.EqualTo(1), "one problem, said once, with the value given: " + stderr);
        Assert.That(stderr, Does.Not.Contain("(Parameter").And.Not.Contain("System.").And.Not.Contain("Cannot parse").And.Not.Contain("Timeout.").And.Not.Contain(" null"), "no library or .NET words: " + stderr);
        Assert.That(stderr, Does.Not.Contain("Unhandled exception").And.Not.Contain("   at "), "no stack trace");
        Assert.That(stdout, Is.Empty, "nothing was read, written or sent");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Generate_WhenTheReaderOfItsOutputGoesAway_StopsAtOnceWithExit141AndNoError()
    {
        // Behind `| head -3` it ran on at full speed, writing to nothing: .NET's console stream takes EPIPE for success.
        using System.Diagnostics.Process process = RawdataProgram.Start(["generate", "--count", "9000000000000"]);
        try
        {
            process.StandardInput.Close();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            string? first = await process.StandardOutput.ReadLineAsync();
            process.StandardOutput.Close(); // the reader goes away, as head does after its lines
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(bound.Token);

            Assert.That(first, Does.StartWith("{\"type\":"));
            Assert.That(process.ExitCode, Is.EqualTo(141), "128 + SIGPIPE, as a shell reports seq there");
            Assert.That(await stderr, Is.Empty, "quiet, as seq is");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Help_WhenTheReaderOfItsOutputIsGone_EndsQuietlyWithExit141()
    {
        // rawdata writes standard output through write(2), which reports EPIPE; help behind `| head -1` must not turn that
        // into "rawdata: unexpected error (IOException)".
        using System.Diagnostics.Process process = RawdataProgram.Start(["ship", "--help"]);
        using var killOnFailure = new KillIfRunning(process);
        process.StandardOutput.Close(); // its only reader, gone before the runtime has started
        process.StandardInput.Close();
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.That(process.ExitCode, Is.EqualTo(141), "128 + SIGPIPE, as a shell reports ls --help there: " + stderr);
        Assert.That(stderr, Is.Empty, "quiet, as ls --help is");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Generate_TwiceIntoOneFileTheShellOpened_WritesBothRunsRatherThanTheSecondOverTheFirst()
    {
        // `{ rawdata generate ...; rawdata generate ...; } > FILE`: standard output was a FileStream, which writes a file at a
        // position of its own (pwrite) that the shell's descriptor never learns, so the second run wrote over the first.
        string file = Path.GetTempFileName();
        try
        {
            var (exitCode, _, stderr) = await ChildProcess.RunAsync(
                "sh",
                ["-c", "{ \"$0\" \"$1\" generate -n 5 --seed 1 && \"$0\" \"$1\" generate -n 2 --seed 2; } > \"$2\"", LocalPeersProgram.DotnetHost, RawdataProgram.DllPath, file],
                TimeSpan.FromSeconds(50));

            Assert.That(exitCode, Is.EqualTo(0), stderr);
            Assert.That(await File.ReadAllLinesAsync(file), Has.Length.EqualTo(7).And.All.StartWith("{\"type\":"), "the 5 events of the first run, then the 2 of the second");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Generate_ToAPipeItsParentMadeNonBlocking_WritesEveryEventAsTheReaderTakesThem()
    {
        // A parent that shares a non-blocking pipe as standard output (as some runtimes make theirs): a full pipe answers
        // a write with EAGAIN, which is a wait, not a failure; the console's stream polls there, and so must rawdata's.
        const string parent = """
            import fcntl, os, subprocess, sys
            r, w = os.pipe()
            fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
            child = subprocess.Popen(sys.argv[1:], stdout=w)
            os.close(w)
            with os.fdopen(r, "rb") as out:
                lines = sum(1 for _ in out)
            print(lines, child.wait())
            """;
        string python = Environment.GetEnvironmentVariable("MOTO_PYTHON") is { Length: > 0 } chosen ? chosen : "python3";
        var (exitCode, stdout, stderr) = await ChildProcess.RunAsync(
            python, ["-c", parent, LocalPeersProgram.DotnetHost, RawdataProgram.DllPath, "generate", "-n", "50000"], TimeSpan.FromSeconds(50));

        Assert.That(exitCode, Is.EqualTo(0), stderr);
        Assert.That(stdout.Trim(), Is.EqualTo("50000 0"), "every event, and generate's exit code 0\n" + stderr);
        Assert.That(stderr, Is.Empty);
    }

    [Test]
    public async Task Generate_WritesTheNumberOfEventsAskedForInPosixForms()
    {
        string file = Path.GetTempFileName();
        try
        {
            var (exitCode, _, stderr) = await RawdataProgram.RunAsync(["generate", "-n", "25", "--seed=7", "--output", file]);

            Assert.That(exitCode, Is.EqualTo(0), stderr);
            string[] lines = await File.ReadAllLinesAsync(file);
            Assert.That(lines, Has.Length.EqualTo(25));
            Assert.That(lines.Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("receivedAt").GetString()), Has.None.Null);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
