using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace RawDataDestination.Cli;

/// <summary>The <c>rawdata</c> command line: one root command with the verbs ship, verify and generate.</summary>
internal static class RawdataCommand
{
    /// <summary>Builds the command tree.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "rawdata: ship newline-delimited JSON events to a customer's S3 bucket through an assumed IAM role, as Segment's " +
            "\"AWS S3 with IAM Role Support\" destination does; check a destination's setup; generate sample events.")
        {
            ShipCommand.Create(),
            DeliverStagedCommand.Create(),
            VerifyCommand.Create(),
            GenerateCommand.Create(),
        };
        return root;
    }

    /// <summary>
    /// Parses and runs. Every parse error and every refused setting is reported at once, followed by a pointer to the
    /// command's help, with exit code 2; help and --version exit 0.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        RootCommand root = Create();
        ParseResult result = root.Parse(args);
        bool helpOrVersion = result.Action is HelpAction || result.Action?.GetType().Name == "VersionOptionAction";
        if (!helpOrVersion)
        {
            List<string> problems = result.Errors.Select(error => error.Message).ToList();
            if (result.CommandResult.Command == root)
            {
                if (problems.Count == 0 || result.Tokens.Count == 0)
                {
                    string[] commands = [.. root.Subcommands.Select(command => command.Name)]; // every one, as --help lists them
                    problems = [$"Give a command: {string.Join(", ", commands[..^1])} or {commands[^1]}."];
                }
            }
            else if (problems.Count > 0)
            {
                if (result.CommandResult.Command.Name == "ship")
                {
                    // Files after --input FILE (a shell's *): ship's own message names them (SettingsProblems), not a parser line each.
                    problems.RemoveAll(ParserErrorsForMoreFiles(result.UnmatchedTokens).Contains);

                    // '-' alone (cat f | rawdata ship ... -): ship's own message says to give --input -, not the parser's "Unrecognized".
                    problems.RemoveAll(ParserErrorsFor(result.UnmatchedTokens.Where(token => token == "-")).Contains);

                    // --input given twice: ship's own message names both (SettingsProblems), not the parser's "expects a single argument".
                    if (result.GetResult(ShipCommand.Input) is { Tokens.Count: > 1 } inputs)
                    {
                        problems.RemoveAll(result.Errors.Where(error => error.SymbolResult == inputs).Select(error => error.Message).ToHashSet().Contains);
                    }
                }

                // An option given twice (a script appending an override to a shared argument list): the values, and to give it once.
                foreach (OptionResult repeated in result.CommandResult.Children.OfType<OptionResult>())
                {
                    if (repeated.Option == ShipCommand.Input || repeated.Option.Arity.MaximumNumberOfValues != 1 || repeated.Tokens.Count < 2)
                    {
                        continue; // --input has its own message (InputWords.Repeated)
                    }

                    HashSet<string> parserLines = [.. result.Errors.Where(error => error.SymbolResult == repeated).Select(error => error.Message)];
                    int at = problems.FindIndex(parserLines.Contains);
                    problems.RemoveAll(parserLines.Contains);
                    problems.Insert(at < 0 ? problems.Count : at, RepeatedOption(repeated));
                }

                // The parser found problems: add the library's refusals of the settings it could read, so one run lists everything.
                problems.AddRange(SettingsProblems(result).Where(problem => !problems.Contains(problem)));
            }

            if (problems.Count > 0)
            {
                foreach (string problem in problems)
                {
                    await stderr.WriteLineAsync(problem);
                }

                string command = result.CommandResult.Command == root ? "rawdata" : $"rawdata {result.CommandResult.Command.Name}";
                await stderr.WriteLineAsync($"Run '{command} --help' for the options.");
                return ExitCodes.BadSetting;
            }
        }

        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // ship handles SIGINT and SIGTERM itself (ShutdownSignals): it seals, delivers within --shutdown-timeout and reports.
            ProcessTerminationTimeout = null,
            // Errors are ours to explain (UsageException below, and each command's own); no stack traces for users.
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await result.InvokeAsync(invocation);
        }
        catch (UsageException exception)
        {
            await stderr.WriteLineAsync(exception.Message);
            return ExitCodes.BadSetting;
        }
        catch (Exception exception) when (helpOrVersion && FailedWrites.IsReaderGone(exception))
        {
            // rawdata ship --help | head -1: the reader had what it wanted; end quietly, as seq does there (128 + SIGPIPE).
            return ExitCodes.ReaderGone;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Not expected: say what happened in one line rather than with a stack trace, and fail.
            await stderr.WriteLineAsync($"rawdata: unexpected error ({exception.GetType().Name}): {exception.Message}");
            return ExitCodes.DeliveryFailed;
        }
    }

    /// <summary>What to do about an option of one value given more than once: its values, in order, and to give it once.</summary>
    private static string RepeatedOption(OptionResult repeated) =>
        $"{repeated.IdentifierToken?.Value ?? repeated.Option.Name} is given {repeated.Tokens.Count} times ('{string.Join("', '", repeated.Tokens.Select(token => token.Value))}'); it takes one value: give it once.";

    /// <summary>
    /// The parser's own errors for the words <see cref="InputWords.MoreFiles"/> names ("Unrecognized command or argument
    /// 'b.json'.", one per file): its message says what they are and what to do, so these lines are left out. Each is the
    /// parser's text for that word, taken from the parser (its wording, in its language), so no other error is taken for one.
    /// </summary>
    private static HashSet<string> ParserErrorsForMoreFiles(IReadOnlyList<string> unmatched) => ParserErrorsFor(unmatched.Where(File.Exists));

    /// <summary>The parser's own "Unrecognized command or argument" errors for <paramref name="words"/>, in its wording.</summary>
    private static HashSet<string> ParserErrorsFor(IEnumerable<string> words) =>
        [.. words.SelectMany(word => new RootCommand().Parse([word]).Errors.Select(error => error.Message))];

    /// <summary>The library's refusals of the destination and buffer settings given so far.</summary>
    private static List<string> SettingsProblems(ParseResult result)
    {
        var problems = new List<string>();
        string name = result.CommandResult.Command.Name;
        if (name is "ship" or "verify" or "deliver-staged")
        {
            DestinationOptions.TryCreate(DestinationOptions.ToOptions(result), problems)?.Dispose();
        }

        if (name is "ship")
        {
            ShipCommand.BufferProblems(result, problems);
            if (InputWords.MoreFiles(result.UnmatchedTokens) is { } moreFiles)
            {
                problems.Add(moreFiles);
            }

            if (InputWords.Dash(result.UnmatchedTokens) is { } dash)
            {
                problems.Add(dash);
            }

            if (InputWords.Repeated([.. result.GetResult(ShipCommand.Input)?.Tokens.Select(token => token.Value) ?? []]) is { } repeated)
            {
                problems.Add(repeated);
            }
        }

        if (name is "ship" or "deliver-staged")
        {
            problems.AddRange(DeliverStagedCommand.StagingProblems(result, DestinationOptions.ToOptions(result)));
        }

        return problems;
    }
}
