namespace RawDataDestination.KafkaToS3;

/// <summary>The program's exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>
    /// Stopped as asked (a signal, or caught up with <c>--until-caught-up</c>) with no partition given up; every committed
    /// offset is in its customer's bucket or in the staging bucket.
    /// </summary>
    public const int Success = 0;

    /// <summary>
    /// The worker could not go on: the staging bucket refused a batch for a reason retrying cannot fix (also a refusal
    /// that answered a write after its window was held, met before the worker ended for a signal), Kafka failed
    /// fatally, a <c>--until-caught-up</c> run was assigned no partition within its assign timeout, or (without a stage) a
    /// <c>--until-caught-up</c> run gave up a partition whose held window a customer refused for a reason retrying cannot
    /// fix, the others caught up or a signal stopping the run before they were. Nothing more was committed, so the next run rebuilds what was not. A customer's failure
    /// never ends a worker run until stopped.
    /// </summary>
    public const int Failed = 1;

    /// <summary>
    /// A bad command line, tenants file or setting, or a staging bucket that refused the start-up probe (<see cref="StageProbe"/>:
    /// it does not exist, is in another region, or the service's own credentials may not list or write it); nothing was read.
    /// </summary>
    public const int BadUsage = 2;

    /// <summary>A second SIGINT quit at once (128 + 2), without waiting for the delivery under way; nothing more was committed.</summary>
    public const int Interrupted = 130;

    /// <summary>A second SIGTERM quit at once (128 + 15), without waiting for the delivery under way; nothing more was committed.</summary>
    public const int Terminated = 143;
}
