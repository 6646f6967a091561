namespace RawDataDestination.Internal;

/// <summary>
/// What one batch's PutObject requests came to, as far as it matters once an attempt failed: whether S3 may hold the
/// object. A request whose body went out in full and that got no answer (a timeout, a dropped connection, a
/// cancellation) may have been stored, as may one answered with success; one answered with an error was not.
/// </summary>
/// <remarks>
/// The upload sets <see cref="Current"/> (an <see cref="AsyncLocal{T}"/>) around its PutObject call, so
/// <see cref="LostAnswerHandler"/>, below the AWS SDK, tells the batch's watch what came of each request.
/// </remarks>
internal sealed class PutWatch
{
    private static readonly AsyncLocal<PutWatch?> CurrentWatch = new();
    private int _awaitingAnswer;
    private int _mayHaveLanded;

    /// <summary>Gets or sets the watch of the PutObject this call sends (in this async flow), or <see langword="null"/>.</summary>
    public static PutWatch? Current
    {
        get => CurrentWatch.Value;
        set => CurrentWatch.Value = value;
    }

    /// <summary>Gets whether S3 may hold the object: a request was sent in full and got no answer, or is still waiting for it, or was answered with success.</summary>
    public bool MayHaveLanded => Volatile.Read(ref _mayHaveLanded) != 0 || Volatile.Read(ref _awaitingAnswer) > 0;

    /// <summary>A request's body went out in full: its answer is awaited.</summary>
    public void Sent() => Interlocked.Increment(ref _awaitingAnswer);

    /// <summary>A request sent in full got its answer: stored when <paramref name="success"/>, refused otherwise.</summary>
    public void Answered(bool success)
    {
        if (success)
        {
            Volatile.Write(ref _mayHaveLanded, 1);
        }

        Interlocked.Decrement(ref _awaitingAnswer);
    }

    /// <summary>A request sent in full got no answer: S3 may have stored it.</summary>
    public void Unanswered()
    {
        Volatile.Write(ref _mayHaveLanded, 1);
        Interlocked.Decrement(ref _awaitingAnswer);
    }

    /// <summary>A watch that starts from what this one knows now (a request still awaiting its answer counts as one that may have landed).</summary>
    public PutWatch Snapshot() => new() { _mayHaveLanded = MayHaveLanded ? 1 : 0 };
}
