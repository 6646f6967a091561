using RawDataDestination.Cli;

// First, before the runtime loads much: under a low open-file limit it failed to open its own files (exit 1 and not a word).
ulong? hardOpenFiles = OpenFileLimit.RaiseSoftLimit();
ClosedStandardStreams.DiscardErrorIfClosedAtStart();
Console.SetError(new DroppingWriter(Console.Error)); // a stderr that refuses writes (2>/dev/full) is dropped from then on, as a closed one is
if (args is ["ship", ..] && OpenFileLimit.Problem(hardOpenFiles) is { } tooFewFiles)
{
    await Console.Error.WriteLineAsync(tooFewFiles);
    return ExitCodes.BadSetting;
}

if (ClosedStandardStreams.OutputWasClosedAtStart())
{
    // Every command reports on standard output (generate writes its events there): refuse before doing anything rather
    // than deliver and then fail on the report.
    await Console.Error.WriteLineAsync("rawdata: standard output is closed (>&-), where rawdata writes its report (and generate its events); give > FILE, or > /dev/null to discard it.");
    return ExitCodes.BadSetting;
}

// Standard output through write(2), whose failures are thrown: .NET's console stream takes a pipe whose reader went away
// (| head -1) for success, and the report was lost without a word.
return await RawdataCommand.RunAsync(args, StandardOutput.CreateWriter(), Console.Error);
