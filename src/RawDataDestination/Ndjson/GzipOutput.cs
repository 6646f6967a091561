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
}
