using RawDataDestination.Batching;

namespace RawDataDestination.Benchmarks;

/// <summary>A write-only stream that counts bytes and keeps none.</summary>
public sealed class CountingStream : Stream
{
    private long _length;

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => _length;

    /// <inheritdoc />
    public override long Position { get => _length; set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => _length += count;

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _length += buffer.Length;
        return ValueTask.CompletedTask;
    }
}

/// <summary>A consumer that reads nothing and counts the compressed bytes it was handed.</summary>
public sealed class DiscardingConsumer : ISealedBatchConsumer
{
    private readonly Lock _gate = new();
    private long _compressedBytes;
    private long _batches;
    private long _events;
    private long _largestBatchBytes;

    /// <summary>Gets the compressed bytes of every batch handed over.</summary>
    public long CompressedBytes => Interlocked.Read(ref _compressedBytes);

    /// <summary>Gets the number of batches handed over.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Gets the number of events in the batches handed over.</summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>Gets the largest batch handed over, compressed.</summary>
    public long LargestBatchBytes
    {
        get { lock (_gate) { return _largestBatchBytes; } }
    }

    /// <inheritdoc />
    public Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Interlocked.Add(ref _compressedBytes, batch.CompressedBytes);
        Interlocked.Add(ref _events, batch.EventCount);
        Interlocked.Increment(ref _batches);
        lock (_gate)
        {
            _largestBatchBytes = Math.Max(_largestBatchBytes, batch.CompressedBytes);
        }

        return Task.FromResult(BatchReceipt.For(batch, "memory"));
    }
}

/// <summary>The corpus sizes, by MB asked for: the columns run in the host process, where no benchmark built one.</summary>
public static class CorpusInfo
{
    /// <summary>Remembers the size of a corpus built in this process (corpora are cached, so this costs nothing).</summary>
    public static void Record(Corpus corpus) => ArgumentNullException.ThrowIfNull(corpus);

    /// <summary>
    /// Gets the corpus of <paramref name="megabytes"/> MB: its compact NDJSON bytes (the denominator of every row's
    /// MB/s and ratio: what every row turns into gzip) and its event count.
    /// </summary>
    public static (long NdjsonBytes, long Events) Of(int megabytes)
    {
        Corpus corpus = Corpus.Create(megabytes);
        return (corpus.Ndjson.Length, corpus.Events.Count);
    }
}
