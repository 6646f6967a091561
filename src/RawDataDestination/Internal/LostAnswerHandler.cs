namespace RawDataDestination.Internal;

/// <summary>
/// Tells the <see cref="PutWatch.Current"/> of a PutObject what came of each of its requests once the body went out in
/// full: an answer (success or not), or none. Requests of other calls (STS, staging) and the body's own failures pass
/// untouched: a request whose body was not all sent cannot have been stored.
/// </summary>
internal sealed class LostAnswerHandler : DelegatingHandler
{
    private const int Sending = 0;
    private const int AwaitingAnswer = 1;
    private const int Ended = 2;

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (PutWatch.Current is not { } watch || request.Method != HttpMethod.Put || request.Content is not { } content)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        // A body may finish after an early answer: only the first of "sent" and "ended" moves the state on.
        int state = Sending;
        request.Content = new ProgressContent(content, onProgress: static () => { }, onSent: () =>
        {
            if (Interlocked.CompareExchange(ref state, AwaitingAnswer, Sending) == Sending)
            {
                watch.Sent();
            }
        });

        try
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (Interlocked.Exchange(ref state, Ended) == AwaitingAnswer)
            {
                // A success that does not confirm the write (no ETag: not S3's answer) stored nothing.
                watch.Answered(response.IsSuccessStatusCode
                    && ServiceAnswers.ConfirmsWrite(response.Headers.TryGetValues("ETag", out IEnumerable<string>? etags) ? etags.FirstOrDefault() : null));
            }

            return response;
        }
        catch
        {
            if (Interlocked.Exchange(ref state, Ended) == AwaitingAnswer)
            {
                watch.Unanswered();
            }

            throw;
        }
    }
}
