namespace RawDataDestination.KafkaToS3;

/// <summary>The program's exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>Stopped as asked (a signal, or caught up with <c>--until-caught-up</c>); every committed offset is in the bucket.</summary>
    public const int Success = 0;

    /// <summary>A batch could not be delivered; its offsets were not committed, so the next run delivers it.</summary>
    public const int DeliveryFailed = 1;

    /// <summary>A bad command line or setting.</summary>
    public const int BadUsage = 2;
}
