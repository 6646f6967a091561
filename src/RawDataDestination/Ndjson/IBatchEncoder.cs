namespace RawDataDestination.Ndjson;

/// <summary>What an open batch needs of its encoder: the serial <see cref="GzipNdjsonEncoder"/> or the <see cref="ParallelGzipNdjsonEncoder"/>.</summary>
internal interface IBatchEncoder : IAsyncDisposable
{
    /// <summary>Gets the number of events written.</summary>
    long EventCount { get; }

    /// <summary>Gets the number of NDJSON bytes written, before compression, newlines included.</summary>
    long UncompressedBytes { get; }

    /// <summary>Writes a validated event's line; returns the line's length.</summary>
    int WriteValidated(ReadOnlySpan<byte> utf8Json, DateTimeOffset? stamp);

    /// <summary>Hands buffered lines to the compressor once enough have gathered.</summary>
    ValueTask FlushIfNeededAsync(CancellationToken cancellationToken);

    /// <summary>Finishes the output: afterwards it holds a complete, valid gzip file.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken = default);
}
