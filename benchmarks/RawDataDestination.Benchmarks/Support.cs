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
    /// <summary>Gets the compressed bytes of every batch handed over.</summary>
    public long CompressedBytes { get; private set; }

    /// <summary>Gets the largest batch handed over, compressed.</summary>
    public long LargestBatchBytes { get; private set; }

    /// <inheritdoc />
    public Task ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        CompressedBytes += batch.CompressedBytes;
        LargestBatchBytes = Math.Max(LargestBatchBytes, batch.CompressedBytes);
        return Task.CompletedTask;
    }
}

/// <summary>The corpus sizes, by MB asked for: the columns run in the host process, where no benchmark built one.</summary>
public static class CorpusInfo
{
    private static readonly Dictionary<int, (long Bytes, long Events)> Sizes = [];

    /// <summary>Remembers the size of a corpus built in this process.</summary>
    public static void Record(Corpus corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        lock (Sizes)
        {
            Sizes[(int)Math.Round(corpus.TotalBytes / 1048576.0)] = (corpus.TotalBytes, corpus.Events.Count);
        }
    }

    /// <summary>Gets the input bytes and event count of the corpus of <paramref name="megabytes"/> MB, building it if needed.</summary>
    public static (long Bytes, long Events) Of(int megabytes)
    {
        lock (Sizes)
        {
            if (!Sizes.TryGetValue(megabytes, out var size))
            {
                Corpus corpus = Corpus.Create(megabytes);
                size = (corpus.TotalBytes, corpus.Events.Count);
                Sizes[megabytes] = size;
            }

            return size;
        }
    }
}
