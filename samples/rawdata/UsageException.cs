namespace RawDataDestination.Cli;

/// <summary>A bad setting found once parsing passed (an input that is a directory, a spool in use): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
