using RawDataDestination.Cli;

ClosedStandardStreams.DiscardErrorIfClosedAtStart();
Console.SetError(new DroppingWriter(Console.Error)); // a stderr that refuses writes (2>/dev/full) is dropped from then on, as a closed one is
if (ClosedStandardStreams.OutputWasClosedAtStart())
{
    // Every command reports on standard output (generate writes its events there): refuse before doing anything rather
    // than deliver and then fail on the report.
    await Console.Error.WriteLineAsync("rawdata: standard output is closed (>&-), where rawdata writes its report (and generate its events); give > FILE, or > /dev/null to discard it.");
    return ExitCodes.BadSetting;
}

return await RawdataCommand.RunAsync(args, Console.Out, Console.Error);
