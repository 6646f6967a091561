using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace RawDataDestination.Internal;

/// <summary>
/// The one retry owner: builds the Polly pipelines that retry deliveries (the buffer's) and uploads (
/// <c>S3RoleDestination.UploadAsync</c>'s). Both are retry (exponential backoff with full jitter, capped) around
/// an optional circuit breaker around a per-attempt timeout, all on the given <see cref="TimeProvider"/>. Each pipeline is
/// built once, when its component is built, and reused for every call.
/// </summary>
internal static class RetryPipelines
{
    /// <summary>Where a caller puts the observer told about each retry of one execution.</summary>
    public static readonly ResiliencePropertyKey<IRetryObserver> Observer = new("rawdata.retry.observer");

    /// <summary>When the execution's first attempt started (a <see cref="TimeProvider.GetTimestamp"/>), for the time limit.</summary>
    private static readonly ResiliencePropertyKey<long> Started = new("rawdata.retry.started");

    /// <summary>Builds a pipeline.</summary>
    /// <param name="policy">The delays, limits and breaker.</param>
    /// <param name="isRetryable">Whether an attempt's error is worth another attempt; the token is the caller's.</param>
    /// <param name="timeProvider">The clock of delays, timeouts, the time limit and the breaker.</param>
    public static ResiliencePipeline Build(DeliveryRetryPolicy policy, Func<Exception, CancellationToken, bool> isRetryable, TimeProvider timeProvider)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider, Name = "rawdata" };
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            Delay = policy.BaseDelay,
            MaxDelay = policy.MaxDelay,
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } error
                && isRetryable(error, args.Context.CancellationToken)
                && WithinTimeLimit(policy, args.Context, timeProvider)),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(ClampToTimeLimit(policy, args.Context, timeProvider, FullJitter(args.AttemptNumber, policy.BaseDelay, policy.MaxDelay))),
            OnRetry = args =>
            {
                if (args.Context.Properties.TryGetValue(Observer, out IRetryObserver? observer))
                {
                    observer.OnRetry(args.AttemptNumber + 1, args.Outcome.Exception!, args.RetryDelay);
                }

                return ValueTask.CompletedTask;
            },
        });

        if (policy.CircuitBreaker)
        {
            AddCircuitBreaker(builder, isRetryable);
        }

        if (policy.AttemptTimeout != Timeout.InfiniteTimeSpan)
        {
            builder.AddTimeout(policy.AttemptTimeout);
        }

        return builder.Build();
    }

    /// <summary>
    /// Builds a circuit breaker alone, for callers that must take a resource (an upload slot) between the retries and the
    /// breaker: only an attempt that holds the slot is counted, and may be the half-open trial, so an execution waiting for
    /// the resource can never hold the breaker half-open.
    /// </summary>
    public static ResiliencePipeline BuildCircuitBreaker(Func<Exception, CancellationToken, bool> isRetryable, TimeProvider timeProvider) =>
        AddCircuitBreaker(new ResiliencePipelineBuilder { TimeProvider = timeProvider, Name = "rawdata.breaker" }, isRetryable).Build();

    private static ResiliencePipelineBuilder AddCircuitBreaker(ResiliencePipelineBuilder builder, Func<Exception, CancellationToken, bool> isRetryable) =>
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = 0.9,
            MinimumThroughput = CircuitMinimumThroughput,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = CircuitBreakDuration,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } error && isRetryable(error, args.Context.CancellationToken)),
        });

    /// <summary>
    /// Builds a pipeline that only bounds one attempt, for callers that must wait for a resource (an upload slot)
    /// between the retry pipeline and the attempt itself: the wait must not count against the attempt's time.
    /// </summary>
    public static ResiliencePipeline BuildAttemptTimeout(TimeSpan attemptTimeout, TimeProvider timeProvider) =>
        attemptTimeout == Timeout.InfiniteTimeSpan
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder { TimeProvider = timeProvider, Name = "rawdata.attempt" }.AddTimeout(attemptTimeout).Build();

    /// <summary>
    /// What a failed attempt reports (status, a flush's exception): for an attempt an open circuit breaker refused, which
    /// called no one, the error that opened it; otherwise the error itself.
    /// </summary>
    /// <param name="error">The attempt's error.</param>
    /// <returns>The error to report.</returns>
    public static Exception Cause(Exception error) => error is BrokenCircuitException { InnerException: { } opened } ? opened : error;

    /// <summary>How many attempts within 30 seconds, 90 % of them failed, open the circuit.</summary>
    public const int CircuitMinimumThroughput = 8;

    /// <summary>How long an open circuit refuses attempts before it lets one probe through.</summary>
    public static readonly TimeSpan CircuitBreakDuration = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="attempt"/> through <paramref name="pipeline"/>, telling <paramref name="observer"/> about each retry.</summary>
    public static async Task<TResult> ExecuteAsync<TState, TResult>(
        ResiliencePipeline pipeline,
        Func<TState, CancellationToken, Task<TResult>> attempt,
        TState state,
        IRetryObserver? observer,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        ResilienceContext context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(Started, timeProvider.GetTimestamp());
            if (observer is not null)
            {
                context.Properties.Set(Observer, observer);
            }

            return await pipeline.ExecuteAsync(
                static async (ctx, s) => await s.Attempt(s.State, ctx.CancellationToken).ConfigureAwait(false),
                context,
                (Attempt: attempt, State: state)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// Full jitter: a uniformly random delay between zero and min(<paramref name="maxDelay"/>, <paramref name="baseDelay"/>
    /// × 2^<paramref name="retry"/>), where <paramref name="retry"/> counts from zero for the first retry.
    /// </summary>
    public static TimeSpan FullJitter(int retry, TimeSpan baseDelay, TimeSpan maxDelay)
    {
#pragma warning disable CA5394 // Jitter, not security.
        return TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * Ceiling(retry, baseDelay, maxDelay).Ticks));
#pragma warning restore CA5394
    }

    /// <summary>The largest delay <see cref="FullJitter"/> can give before retry number <paramref name="retry"/> (from zero).</summary>
    public static TimeSpan Ceiling(int retry, TimeSpan baseDelay, TimeSpan maxDelay) =>
        TimeSpan.FromTicks((long)Math.Min(maxDelay.Ticks, baseDelay.Ticks * Math.Pow(2, Math.Min(retry, 40))));

    private static bool WithinTimeLimit(DeliveryRetryPolicy policy, ResilienceContext context, TimeProvider timeProvider) =>
        policy.TimeLimit is not { } limit
        || !context.Properties.TryGetValue(Started, out long started)
        || timeProvider.GetElapsedTime(started) < limit;

    /// <summary>With a time limit, no delay runs past it: the last attempt starts at the limit at the latest.</summary>
    private static TimeSpan ClampToTimeLimit(DeliveryRetryPolicy policy, ResilienceContext context, TimeProvider timeProvider, TimeSpan delay)
    {
        if (policy.TimeLimit is not { } limit || !context.Properties.TryGetValue(Started, out long started))
        {
            return delay;
        }

        TimeSpan left = limit - timeProvider.GetElapsedTime(started);
        return left <= TimeSpan.Zero ? TimeSpan.Zero : (delay < left ? delay : left);
    }
}
