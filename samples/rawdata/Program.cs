using RawDataDestination.Cli;

ClosedStandardStreams.DiscardErrorIfClosedAtStart();
if (ClosedStandardStreams.OutputWasClosedAtStart())
{
    // Every command reports on standard output (generate writes its events there): refuse before doing anything rather
    // than deliver and then fail on the report.
    await Console.Error.WriteLineAsync("rawdata: standard output is closed (>&-), where rawdata writes its report (and generate its events); give > FILE, or > /dev/null to discard it.");
    return ExitCodes.BadSetting;
}

return await RawdataCommand.RunAsync(args, Console.Out, Console.Error);
