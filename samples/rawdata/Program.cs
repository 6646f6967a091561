using RawDataDestination.Cli;

return await RawdataCommand.RunAsync(args, Console.Out, Console.Error);
