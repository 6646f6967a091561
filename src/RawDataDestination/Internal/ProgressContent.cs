using System.Net;

namespace RawDataDestination.Internal;

/// <summary>
/// Wraps a request body and calls <c>onProgress</c> each time a piece of it has been written to the connection, and
/// <c>onSent</c> once all of it has.
/// </summary>
internal sealed class ProgressContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly Action _onProgress;
    private readonly Action? _onSent;

    public ProgressContent(HttpContent inner, Action onProgress, Action? onSent = null)
    {
        _inner = inner;
        _onProgress = onProgress;
        _onSent = onSent;
        foreach (KeyValuePair<string, IEnumerable<string>> header in inner.Headers)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <inheritdoc />
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await using var reporting = new ReportingStream(stream, _onProgress);
        await _inner.CopyToAsync(reporting, context, cancellationToken).ConfigureAwait(false);
        _onSent?.Invoke();
    }

    /// <inheritdoc />
    protected override bool TryComputeLength(out long length)
    {
        length = _inner.Headers.ContentLength ?? -1;
        return length >= 0;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>A write-only pass-through that reports each completed write; it leaves the connection's stream open.</summary>
    private sealed class ReportingStream(Stream inner, Action onProgress) : WriteOnlyStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            onProgress();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            onProgress();
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    }
}
