namespace RawDataDestination.Benchmarks;

/// <summary>How one customer's destination behaves in <see cref="CustomersStandIn"/>.</summary>
public enum StandInHealth
{
    /// <summary>Every upload takes the stand-in's fixed upload time and succeeds.</summary>
    Healthy,

    /// <summary>Every upload fails at once with a transient error (a 503 SlowDown).</summary>
    FailsAtOnce,

    /// <summary>Every upload waits until it is cancelled (an endpoint that accepts the connection and never answers).</summary>
    NeverAnswers,

    /// <summary>
    /// Every upload hears nothing and gives up after the stand-in's response timeout with a transient error, as
    /// <c>S3RoleDestination</c> does after <c>S3RoleDestinationOptions.ResponseTimeout</c> (10 s by default).
    /// </summary>
    SilentUntilTimeout,
}
