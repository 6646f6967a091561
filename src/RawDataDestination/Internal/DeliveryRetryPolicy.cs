namespace RawDataDestination.Internal;

/// <summary>The delays and limits of a <see cref="RetryPipelines"/> pipeline.</summary>
/// <param name="BaseDelay">The first retry's delay ceiling; each retry doubles it.</param>
/// <param name="MaxDelay">The largest delay ceiling.</param>
/// <param name="AttemptTimeout">How long one attempt may take, or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
/// <param name="TimeLimit">How long an execution retries, its attempts included; <see langword="null"/> for ever.</param>
/// <param name="CircuitBreaker">Whether attempts pass a circuit breaker shared by every execution of the pipeline.</param>
internal sealed record DeliveryRetryPolicy(TimeSpan BaseDelay, TimeSpan MaxDelay, TimeSpan AttemptTimeout, TimeSpan? TimeLimit, bool CircuitBreaker);
