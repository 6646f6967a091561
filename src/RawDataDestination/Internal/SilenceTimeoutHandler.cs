using System.Globalization;
using System.Net;

namespace RawDataDestination.Internal;

/// <summary>
/// Abandons a request whose endpoint goes silent: no part of the request body could be sent, and no answer came, for
/// the silence timeout. The clock restarts whenever a piece of the body is written, so a long upload that keeps moving
/// is never cut; once the body is sent, the answer's headers must come within the timeout. Throws
/// <see cref="TimeoutException"/> (a transient error) naming the host and the timeout.
/// </summary>
internal sealed class SilenceTimeoutHandler(TimeSpan silenceTimeout, TimeProvider time) : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var silence = new CancellationTokenSource();
        using ITimer watchdog = time.CreateTimer(static state => ((CancellationTokenSource)state!).Cancel(), silence, silenceTimeout, Timeout.InfiniteTimeSpan);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, silence.Token);
        if (request.Content is { } content)
        {
            request.Content = new ProgressContent(content, () => watchdog.Change(silenceTimeout, Timeout.InfiniteTimeSpan));
        }

        try
        {
            return await base.SendAsync(request, linked.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (silence.IsCancellationRequested && !cancellationToken.IsCancellationRequested
            && exception is OperationCanceledException or HttpRequestException or IOException)
        {
            throw new TimeoutException(
                string.Create(CultureInfo.InvariantCulture, $"{request.RequestUri?.Host}:{request.RequestUri?.Port} went silent: it neither took more of the request nor answered for {silenceTimeout.TotalSeconds:0.###} s (the response timeout), so the request was abandoned."),
                exception);
        }
    }
}
