using System.Net;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using RawDataDestination.S3;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// One resilience pipeline per tenant, from Polly's <see cref="ResiliencePipelineRegistry{TKey}"/> keyed by the tenant's
/// name (tenants are fixed for the life of the worker, so the registry never needs to forget one): a quick retry of an
/// error S3 answered at once (a 503 SlowDown, a reset), around a circuit breaker that opens when a tenant's direct
/// attempts keep failing. While it is open, the tenant's batches skip the direct attempt (they go straight to the stage,
/// or their window is held), so a customer whose endpoint never answers costs one response timeout per break, not one
/// per window.
/// </summary>
/// <param name="options">The worker's options.</param>
/// <param name="time">The breakers' clock.</param>
/// <param name="logger">Where a circuit's opening and closing are said.</param>
/// <param name="staging">Whether a tenant's batches go to a staging bucket while its circuit is open.</param>
/// <param name="explain">What a tenant's failure means, in the tenants file's words. <see langword="null"/>: <see cref="TenantWords.Explain"/>.</param>
internal sealed partial class TenantBreakers(KafkaToS3Options options, TimeProvider time, ILogger logger, bool staging, Func<string, Exception, string>? explain = null) : IAsyncDisposable
{
    /// <summary>How many direct attempts, failed in a row within the sampling window, open a tenant's circuit.</summary>
    public const int MinimumThroughput = 2;

    private readonly ResiliencePipelineRegistry<string> _registry = new();

    /// <summary>
    /// The circuits opened for STS's side (<see cref="StsSideCode"/>), one line a minute per error code: STS silent for 40
    /// tenants was 40 lines, each read as a customer's problem.
    /// </summary>
    private readonly QuietLines<string> _stsSideLines = new(time);

    /// <summary>Delivers through the tenant's pipeline.</summary>
    /// <exception cref="BrokenCircuitException">The tenant's circuit is open: no attempt was made.</exception>
    public async Task ExecuteAsync(string tenant, Func<CancellationToken, Task> attempt, CancellationToken cancellationToken)
    {
        ResiliencePipeline pipeline = _registry.GetOrAddPipeline(tenant, (builder, context) => Configure(builder, context.PipelineKey));
        await pipeline.ExecuteAsync(static async (state, token) => await state(token), attempt, cancellationToken);
    }

    /// <summary>Whether an error is worth a second attempt at once: S3 answered with throttling or a 5xx, or the connection broke.</summary>
    /// <remarks>
    /// Not a refusal retrying cannot fix (<see cref="DestinationException.IsPermanent"/>, any other 4xx), not an endpoint
    /// that went silent (a <see cref="TimeoutException"/>: a second attempt would wait as long again), and not an open circuit.
    /// </remarks>
    public static bool WorthARetry(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case DestinationException destination:
                    return !destination.IsPermanent;
                case TimeoutException or ExecutionRejectedException or OperationCanceledException:
                    return false;
                case AmazonServiceException service when service.StatusCode != 0:
                    return (int)service.StatusCode >= 500 || service.StatusCode == HttpStatusCode.TooManyRequests;
            }
        }

        return true;
    }

    public ValueTask DisposeAsync() => _registry.DisposeAsync();

    /// <summary>
    /// The error code of a failure of STS's side (it did not answer, could not be reached, answered with a 5xx or
    /// something not STS's, or refused this service's own credentials), which every tenant meets alike; or
    /// <see langword="null"/> for the customer's bucket, and for STS refusing the customer's role (AccessDenied: the role's
    /// trust relationship, or the tenant's external id, is the tenant's own).
    /// </summary>
    internal static string? StsSideCode(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is DestinationException destination)
            {
                return destination.IsAssumeRoleFailure && destination.ErrorCode is not ("AccessDenied" or "ValidationError") ? destination.ErrorCode : null;
            }
        }

        return null;
    }

    private void Configure(ResiliencePipelineBuilder builder, string tenant)
    {
        builder.TimeProvider = time;
        if (options.DirectRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.DirectRetries,
                BackoffType = DelayBackoffType.Exponential,
                Delay = options.DirectRetryDelay,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } error && WorthARetry(error)),
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            // Most attempts failed: one SlowDown followed by a success (a ratio of 0.5) leaves the circuit closed.
            FailureRatio = 0.9,
            MinimumThroughput = MinimumThroughput,
            SamplingDuration = options.TenantBreakDuration < TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : options.TenantBreakDuration,
            BreakDuration = options.TenantBreakDuration,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } error && !args.Context.CancellationToken.IsCancellationRequested && error is not OperationCanceledException),
            OnOpened = args =>
            {
                Exception? error = args.Outcome.Exception;
                // What the customer's bucket (or STS) said, in the tenants file's words; not the exception's type name.
                string why = error is null ? "its direct attempts failed" : explain?.Invoke(tenant, error) ?? TenantWords.Explain(error);
                if (error is not null && StsSideCode(error) is { } code)
                {
                    // The same for every tenant: one line a minute says so, and how many tenants' circuits it did not name.
                    if (_stsSideLines.TryWrite(code, out int skipped))
                    {
                        string then = staging ? "skip the direct attempt and go to the staging bucket" : "wait in their windows, which are tried again after it";
                        Log.OpenedForSts(logger, tenant, why, args.BreakDuration, then, skipped);
                    }

                    return ValueTask.CompletedTask;
                }

                if (staging)
                {
                    Log.OpenedStaging(logger, tenant, why, args.BreakDuration);
                }
                else
                {
                    Log.OpenedHolding(logger, tenant, why, args.BreakDuration);
                }

                return ValueTask.CompletedTask;
            },
            OnClosed = args =>
            {
                // A probe the worker's stop cancelled closes the circuit too (a cancellation is not the customer's
                // failure), but the customer did not answer: no recovery to claim.
                if (args.Outcome.Exception is not OperationCanceledException && !args.Context.CancellationToken.IsCancellationRequested)
                {
                    Log.Closed(logger, tenant);
                }

                return ValueTask.CompletedTask;
            },
        });
    }

    private static partial class Log
    {
        [LoggerMessage(40, LogLevel.Warning, "Tenant {Tenant} is failing ({Error}); for the next {BreakDuration} its batches skip the direct attempt and go to the staging bucket, which the copier empties once the customer's bucket takes them again")]
        public static partial void OpenedStaging(ILogger logger, string tenant, string error, TimeSpan breakDuration);

        [LoggerMessage(41, LogLevel.Warning, "Tenant {Tenant} is failing ({Error}); without a staging bucket, the windows that hold its batches wait, and are tried again after {BreakDuration}")]
        public static partial void OpenedHolding(ILogger logger, string tenant, string error, TimeSpan breakDuration);

        [LoggerMessage(72, LogLevel.Warning, "STS fails, for tenant {Tenant} and so for every tenant ({Error}): this is STS's side, or this service's way to it or its own credentials, not the customer's setup. For the next {BreakDuration} the batches of each tenant whose circuit opens for it {Then}; the others' circuits that open for it within a minute get no line of their own ({Skipped} did since the last such line)")]
        public static partial void OpenedForSts(ILogger logger, string tenant, string error, TimeSpan breakDuration, string then, int skipped);

        [LoggerMessage(42, LogLevel.Information, "Tenant {Tenant} recovered: its batches are delivered directly again")]
        public static partial void Closed(ILogger logger, string tenant);
    }
}
