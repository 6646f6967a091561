namespace RawDataDestination.Cli;

/// <summary>The program's exit codes (README, "rawdata, the command-line program").</summary>
internal static class ExitCodes
{
    /// <summary>Every valid event is in the bucket (rejected lines do not change this); or help, version, generate.</summary>
    public const int Success = 0;

    /// <summary>
    /// Some events could not be delivered (ship: a permanent refusal, the retry budget <c>--retry-time-limit</c>
    /// spent, or, with <c>--spool-dir</c>, files of the spool that recovery could not read or trust, moved to its
    /// <c>quarantine/</c> folder by this run), or a step of the setup check failed (verify). Also ship <c>--progress</c>
    /// when standard output refused an acknowledgement (a full disk, or its reader gone): the reading stopped there, so the
    /// rest of the input is not in the bucket (a summary, or verify's or deliver-staged's report, that standard output
    /// refuses changes no exit code).
    /// </summary>
    public const int DeliveryFailed = 1;

    /// <summary>A bad command line or setting, an input that can't be read or holds no event (every line rejected: a CSV export), a spool directory that can't be used or is in use, or (ship) a hard open-file limit below what it needs.</summary>
    public const int BadSetting = 2;

    /// <summary>
    /// The input file shrank while it was read (truncated under the run, as logrotate's <c>copytruncate</c> does): what was
    /// read is delivered, but lines the file held past it were never read. Not 0, since "every event of the input is in the
    /// bucket" cannot be said; not 1, since no delivery failed and running again would not fetch those lines; not 2, since
    /// the run did start and deliver.
    /// </summary>
    public const int InputShrank = 3;

    /// <summary>Stopped by Ctrl+C (SIGINT): 128 + 2, as shells report it.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM: 128 + 15.</summary>
    public const int Terminated = 143;

    /// <summary>Stopped by SIGHUP (the terminal closed, or an SSH session ended): 128 + 1.</summary>
    public const int HungUp = 129;

    /// <summary><c>generate</c>, <c>--help</c>, <c>--version</c>: the reader of standard output went away (<c>| head</c>); 128 + SIGPIPE, as a shell reports <c>seq</c> or <c>yes</c> there.</summary>
    public const int ReaderGone = 141;
}
