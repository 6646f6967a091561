namespace RawDataDestination.Cli;

/// <summary>The program's exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>Every valid event is in the bucket (rejected lines do not change this).</summary>
    public const int Success = 0;

    /// <summary>Some events could not be delivered (ship), or a step of the setup check failed (verify).</summary>
    public const int DeliveryFailed = 1;

    /// <summary>A bad command line or setting.</summary>
    public const int BadSetting = 2;
}
