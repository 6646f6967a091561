using RawDataDestination.Cli;

string[] switches = ["progress"];
CommandLine line;
try
{
    line = CommandLine.Parse(args, new HashSet<string>(switches, StringComparer.Ordinal));
}
catch (UsageException exception)
{
    await Console.Error.WriteLineAsync(exception.Message);
    await Console.Error.WriteLineAsync(Usage());
    return ExitCodes.BadSetting;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    return line.Command switch
    {
        "ship" => await ShipCommand.RunAsync(line, Console.Out, Console.Error, cancel.Token),
        "verify" => await VerifyCommand.RunAsync(line, Console.Out, Console.Error, cancel.Token),
        "generate" => await GenerateCommand.RunAsync(line, Console.Out),
        "help" or "--help" => await PrintUsageAsync(),
        _ => throw new UsageException($"Unknown command '{line.Command}'."),
    };
}
catch (UsageException exception)
{
    await Console.Error.WriteLineAsync(exception.Message);
    await Console.Error.WriteLineAsync(Usage());
    return ExitCodes.BadSetting;
}

static string Usage() => "Usage:\n  " + ShipCommand.Usage + "\n  " + VerifyCommand.Usage + "\n  " + GenerateCommand.Usage;

static async Task<int> PrintUsageAsync()
{
    await Console.Out.WriteLineAsync(Usage());
    return ExitCodes.Success;
}
