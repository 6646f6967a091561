namespace RawDataDestination.Internal;

/// <summary>
/// A write-only pass-through whose <see cref="Flush"/> does nothing. Between a <see cref="System.IO.Pipelines.PipeWriter"/>
/// and a <see cref="System.IO.Compression.GZipStream"/> it keeps each pipe flush from forcing a deflate sync flush (an
/// empty stored block) every 64 KB: the compressor sees one continuous stream, as compress-only does.
/// </summary>
internal sealed class UnflushedWriteStream(Stream inner) : WriteOnlyStream
{
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
