using System.IO.Compression;
using RawDataDestination.Internal;

namespace RawDataDestination.Ndjson;

/// <summary>
/// One gzip stream over an output, finished or abandoned as the encoders' promise requires: <see cref="FinishAsync"/>
/// writes the gzip trailer, and <see cref="AbandonAsync"/> cuts the output off first, so the compressor's last bytes and
/// trailer go nowhere and truncated output can never pass for a complete gzip file. The one home of that rule for
/// <see cref="GzipNdjsonEncoder"/> and <see cref="PooledGzipNdjsonEncoder"/>.
/// </summary>
internal sealed class GzipOutput : IAsyncDisposable
{
    /// <summary>
    /// How many NDJSON bytes the compressor is handed at a time: the pipe's flush threshold in
    /// <see cref="GzipNdjsonEncoder"/>, the run of held lines in <see cref="PooledGzipNdjsonEncoder"/>.
    /// </summary>
    internal const int RunBytes = 64 * 1024;

    private readonly DetachableWriteStream _output;
    private readonly GZipStream _gzip;

    /// <summary>Starts a gzip stream that writes to <paramref name="output"/>, which is left open.</summary>
    /// <param name="output">Where the compressed bytes go.</param>
    /// <param name="compressionLevel">The gzip level.</param>
    public GzipOutput(Stream output, CompressionLevel compressionLevel)
    {
        _output = new DetachableWriteStream(output);
        _gzip = new GZipStream(_output, compressionLevel, leaveOpen: true);
    }

    /// <summary>Gets the compressor's input: what is written here is compressed into the output.</summary>
    public Stream Input => _gzip;

    /// <summary>Compresses <paramref name="ndjson"/>.</summary>
    /// <param name="ndjson">NDJSON bytes: whole lines, or pieces of them in order.</param>
    public void Write(ReadOnlySpan<byte> ndjson) => _gzip.Write(ndjson);

    /// <summary>Writes what the compressor still holds and the gzip trailer: the output is then a complete gzip file.</summary>
    public ValueTask FinishAsync() => _gzip.DisposeAsync();

    /// <summary>Releases the compressor without a trailer: the output ends where it was cut off, and must be thrown away.</summary>
    public ValueTask AbandonAsync()
    {
        _output.Detach();
        return _gzip.DisposeAsync();
    }

    /// <summary>Abandons the output unless <see cref="FinishAsync"/> has finished it (then this does nothing).</summary>
    public ValueTask DisposeAsync() => AbandonAsync();

    /// <summary>
    /// A write-only pass-through that can be cut off. After <see cref="Detach"/>, writes are dropped, so a compression
    /// stream disposed after a failure cannot append a trailer that would make truncated output look complete.
    /// </summary>
    private sealed class DetachableWriteStream(Stream inner) : WriteOnlyStream
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
}
