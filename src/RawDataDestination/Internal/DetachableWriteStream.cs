namespace RawDataDestination.Internal;

/// <summary>
/// A write-only pass-through that can be cut off. After <see cref="Detach"/>, writes are dropped, so a compression
/// stream disposed after a failure cannot append a trailer that would make truncated output look complete.
/// </summary>
internal sealed class DetachableWriteStream(Stream inner) : WriteOnlyStream
{
    private bool _detached;

    /// <summary>Drops every later write.</summary>
    public void Detach() => _detached = true;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!_detached)
        {
            inner.Write(buffer);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _detached ? ValueTask.CompletedTask : inner.WriteAsync(buffer, cancellationToken);

    public override void Flush()
    {
        if (!_detached)
        {
            inner.Flush();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _detached ? Task.CompletedTask : inner.FlushAsync(cancellationToken);
}
