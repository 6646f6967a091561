using System.Globalization;
using System.Net;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using RawDataDestination.Aws;
using RawDataDestination.Internal;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// A probe of the operator's staging bucket before the worker joins its group, with the calls the stage needs anyway and
/// this service's own credentials: a ListObjectsV2 of one key under the stage prefix (s3:ListBucket), then PutObject and
/// DeleteObject of an empty object at <see cref="StagingKeys.Probe"/> (s3:PutObject, s3:DeleteObject), which no copier
/// and no count reads. Every start uses that one key, so a start killed between the write and the delete leaves one empty
/// object, which the next start's probe writes and deletes again. Customers' buckets are never called.
/// </summary>
/// <remarks>
/// <para>
/// Without it a mistyped <c>--stage-bucket</c>, or a stage these credentials may not list or write, shows only as a
/// copier's warning until the first customer's bucket refuses a batch; then that batch cannot be staged and the worker
/// stops (exit 1), and with it every customer. A refusal of the probe (<see cref="Outcome.Refused"/>: no such bucket,
/// access denied, the bucket in another region) ends the start with exit 2, the program's code for a bad setting.
/// </para>
/// <para>
/// A stage that does not answer, or answers that it is busy (throttling, 5xx), or that cannot be called (no credentials,
/// the endpoint unreachable) says nothing of its setup: the probe gives up after <see cref="Bound"/>, or at once, logs one
/// warning and the worker starts as it did without the probe (<see cref="Outcome.Unsure"/>). A start is held at most
/// <see cref="Bound"/>.
/// </para>
/// </remarks>
internal static partial class StageProbe
{
    /// <summary>How long the probe may hold the start: every call together.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(3);

    /// <summary>What the probe found.</summary>
    public enum Outcome
    {
        /// <summary>The stage listed, took and deleted the probe object.</summary>
        Passed,

        /// <summary>The stage refused a call for a reason retrying cannot fix: the worker does not start (exit 2).</summary>
        Refused,

        /// <summary>The stage gave no answer about its setup (silent, busy, not reachable, no credentials): the worker starts as before.</summary>
        Unsure,
    }

    /// <summary>Probes the staging bucket of <paramref name="options"/>, within <paramref name="bound"/>.</summary>
    /// <param name="options">The staging bucket, as the command line gave it.</param>
    /// <param name="credentials">This service's own credentials; the AWS SDK's default chain when <see langword="null"/>.</param>
    /// <param name="bound">How long the probe may take, every call together.</param>
    /// <param name="logger">Where an <see cref="Outcome.Unsure"/> probe's one warning goes.</param>
    /// <param name="cancellationToken">The worker's stop: a signal during the probe ends it, unsure and unlogged.</param>
    /// <returns>The outcome, and for <see cref="Outcome.Refused"/> the message to print: the bucket, what S3 said and what to do.</returns>
    public static async Task<(Outcome Outcome, string? Message)> RunAsync(StagingOptions options, AWSCredentials? credentials, TimeSpan bound, ILogger logger, CancellationToken cancellationToken)
    {
        StagingSettings settings = StagingSettings.From(options);
        var target = new S3Target(Staging: true, settings.Location, settings.Client.Region, settings.Client.ServiceUrl);
        string prefix = StagingKeys.AnyDestinationPrefix(settings.Location);
        string key = StagingKeys.Probe(settings.Location);
        using var within = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        within.CancelAfter(bound);
        string call = $"ListObjectsV2 of prefix '{prefix}' (s3:ListBucket)";
        bool listing = true, written = false;
        try
        {
            using var store = new StagingStore(settings, credentials);
            await store.ListFirstAsync(prefix, maxKeys: 1, within.Token);
            listing = false;
            call = $"PutObject of an empty probe object '{key}' (s3:PutObject)";
            await store.PutProbeAsync(key, within.Token);
            written = true;
            call = $"DeleteObject of that probe object (s3:DeleteObject)";
            await store.DeleteAsync(key, within.Token);
            return (Outcome.Passed, null);
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested)
        {
            Log.Stopped(logger, exception);
            return (Outcome.Unsure, null);
        }
        catch (Exception exception) when (within.IsCancellationRequested)
        {
            Log.Unsure(logger, options.Bucket, call, $"it did not answer within {bound.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s", Leftover(written, key), exception);
            return (Outcome.Unsure, null);
        }
        catch (Exception exception) when (Refusal(exception) is { } answer)
        {
            // A refused listing names s3:ListBucket and its prefix; any other refusal (no such bucket, another region, a
            // refused write) is explained as a refused staging write is.
            DestinationException? explained = (listing ? ErrorExplanations.ForStagingListing(answer, target, prefix) : null) ?? ErrorExplanations.ForS3(exception, target, within.Token);
            string why = explained?.Describe(TenantWords.Words) ?? exception.Message;
            return (Outcome.Refused,
                $"The staging bucket '{options.Bucket}' refused the start-up probe's {call}, with this service's own credentials: {why}" +
                (explained?.ErrorCode is "AccessDenied" or "HTTP 403" ? " A bucket of another account (a name mistyped in --stage-bucket) is refused the same way: check the name too." : string.Empty) +
                $" Nothing was read from Kafka and nothing committed.{Leftover(written, key)} Fix the staging bucket's setup, then start the worker again.");
        }
        catch (Exception exception)
        {
            string why = ErrorExplanations.ForS3(exception, target, within.Token)?.Describe(TenantWords.Words) ?? exception.Message;
            Log.Unsure(logger, options.Bucket, call, why.TrimEnd('.'), Leftover(written, key), exception);
            return (Outcome.Unsure, null);
        }
    }

    /// <summary>The probe object left behind when its DeleteObject failed, said so that the operator knows it is harmless; nothing reads it.</summary>
    private static string Leftover(bool written, string key) =>
        written ? $" The probe object '{key}' is left in the staging bucket; no copier reads it, and the next probe that passes deletes it (every start's probe writes and deletes this one key)." : string.Empty;

    /// <summary>
    /// S3's answer when it refuses the call for a reason retrying cannot fix: a 4xx other than throttling, a request
    /// timeout, a clock skew or a session token to renew, or the 301 that names the bucket's region; otherwise <see langword="null"/>.
    /// </summary>
    private static AmazonServiceException? Refusal(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is AmazonServiceException { StatusCode: not 0 } answer)
            {
                string code = ServiceAnswers.Code(answer);
                bool refused = answer.StatusCode == HttpStatusCode.MovedPermanently
                    || ((int)answer.StatusCode is >= 400 and < 500
                        && answer.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout)
                        && code is not ("SlowDown" or "RequestTimeout" or "RequestTimeTooSkewed")
                        && !AwsErrorCodes.IsSessionTokenRefused(code));
                return refused ? answer : null;
            }
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(70, LogLevel.Warning, "The staging bucket '{Bucket}' could not be probed at start ({Call}): {Why}. The worker starts as it would without the probe: the stage is first used when a customer's bucket refuses a batch, and a stage that refuses it then stops the worker (exit 1).{Leftover}")]
        public static partial void Unsure(ILogger logger, string bucket, string call, string why, string leftover, Exception exception);

        [LoggerMessage(71, LogLevel.Debug, "The start-up probe of the staging bucket ended with the stop")]
        public static partial void Stopped(ILogger logger, Exception exception);
    }
}
