using System.Text;
using System.IO.Compression;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using RawDataDestination.Batching;
using RawDataDestination.Ndjson;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// One class, so one run compares them on the same corpus: compress-only (the limit), the naive way (the baseline),
/// our encoder, the batch buffer's append path, and an end-to-end run that seals batches.
/// </summary>
[MemoryDiagnoser]
public class EncoderBenchmarks
{
    private static readonly DateTimeOffset AppendedAt = new(2023, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private Corpus _corpus = null!;
    private JsonElement[] _elements = null!;

    /// <summary>Gets or sets the corpus size in MB. The default is 32.</summary>
    [Params(32)]
    public int CorpusMegabytes { get; set; }

    /// <summary>Gets the gzip level the encoders use: the library's default.</summary>
    public static CompressionLevel Level => CompressionLevel.Fastest;

    /// <summary>Builds the corpus once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _corpus = Corpus.Create(CorpusMegabytes);
        _elements = _corpus.Events.Select(e => JsonDocument.Parse(e).RootElement.Clone()).ToArray();
        CorpusInfo.Record(_corpus);
    }

    /// <summary>The limit: GZipStream at the same level over the finished NDJSON bytes, in 64 KB writes.</summary>
    [Benchmark(Description = "compress only (limit)")]
    public long CompressOnly()
    {
        var output = new CountingStream();
        using (var gzip = new GZipStream(output, Level, leaveOpen: true))
        {
            ReadOnlySpan<byte> input = _corpus.Ndjson;
            while (!input.IsEmpty)
            {
                int n = Math.Min(input.Length, 64 * 1024);
                gzip.Write(input[..n]);
                input = input[n..];
            }
        }

        return output.Length;
    }

    /// <summary>
    /// The naive way, from the same raw bytes: parse (to validate), JsonSerializer.Serialize to a string (compact), then
    /// bytes, then GZipStream.Write, per event.
    /// </summary>
    [Benchmark(Baseline = true, Description = "naive Parse+Serialize+GetBytes+Write")]
    public long Naive()
    {
        var output = new CountingStream();
        using (var gzip = new GZipStream(output, Level, leaveOpen: true))
        {
            foreach (byte[] e in _corpus.Events)
            {
                using JsonDocument document = JsonDocument.Parse(e);
                string json = JsonSerializer.Serialize(document.RootElement);
                byte[] bytes = Encoding.UTF8.GetBytes(json + "\n");
                gzip.Write(bytes);
            }
        }

        return output.Length;
    }

    /// <summary>The naive way from already-parsed events (JsonElement), for the record: no parse, only Serialize+GetBytes+Write.</summary>
    [Benchmark(Description = "naive from JsonElement (no parse)")]
    public long NaiveFromElements()
    {
        var output = new CountingStream();
        using (var gzip = new GZipStream(output, Level, leaveOpen: true))
        {
            foreach (JsonElement e in _elements)
            {
                string json = JsonSerializer.Serialize(e);
                byte[] bytes = Encoding.UTF8.GetBytes(json + "\n");
                gzip.Write(bytes);
            }
        }

        return output.Length;
    }

    /// <summary>Our encoder, one thread, from raw JSON bytes: validate, compact, compress.</summary>
    [Benchmark(Description = "GzipNdjsonEncoder, 1 thread")]
    public Task<long> Encoder() => CompressionLevelBenchmarks.EncodeAsync(_corpus, Level);

    /// <summary>
    /// KafkaToS3's path: <see cref="BatchBuilder"/> from raw bytes, one batch for the corpus's day (an event whose
    /// receivedAt passed midnight goes to the next day's), sealed. Until it held its lines until 1 MB, it was the row
    /// above (<see cref="GzipNdjsonEncoder"/>) with a day check.
    /// </summary>
    [Benchmark(Description = "BatchBuilder, a batch a day")]
    public async Task<long> Builder()
    {
        var day = new DateOnly(2023, 11, 24);
        await using var builder = new BatchBuilder("benchmark", day, "day-0", AppendedAt, Level);
        await using var next = new BatchBuilder("benchmark", day.AddDays(1), "day-1", AppendedAt.AddDays(1), Level);
        foreach (byte[] e in _corpus.Events)
        {
            try
            {
                await builder.AppendAsync(e);
            }
            catch (EventRejectedException rejected) when (rejected.Reason == EventRejectionReason.InvalidReceivedAt)
            {
                await next.AppendAsync(e);
            }
        }

        using SealedBatch sealedBatch = await builder.SealAsync();
        using SealedBatch nextBatch = await next.SealAsync();
        return sealedBatch.CompressedBytes + nextBatch.CompressedBytes;
    }

    /// <summary>
    /// Our encoder with parallel compression (what <c>BatchBufferOptions.CompressionThreads = 2</c> uses): one thread
    /// validates and compacts each line, as the batch buffer does, into 1 MB blocks; blocks become gzip members on the
    /// thread pool, joined in order.
    /// </summary>
    [Benchmark(Description = "ParallelGzipNdjsonEncoder, 2 threads")]
    public async Task<long> ParallelEncoder()
    {
        var output = new CountingStream();
        var encoder = new ParallelGzipNdjsonEncoder(output, Level, threads: 2);
        await using (encoder)
        {
            byte[] line = new byte[GzipNdjsonEncoder.DefaultMaxEventBytes + EventJson.MaxLineOverhead];
            foreach (byte[] e in _corpus.Events)
            {
                int length = EventJson.ValidateAndWriteLine(e, GzipNdjsonEncoder.DefaultMaxEventBytes, AppendedAt, line, out _);
                encoder.WriteCompact(line.AsSpan(0, length));
                await encoder.FlushIfNeededAsync(CancellationToken.None);
            }

            await encoder.CompleteAsync();
        }

        return output.Length;
    }

    /// <summary>The batch buffer's append path: validation, partitioning, the batch's encoder; one seal at the end.</summary>
    [Benchmark(Description = "BatchBuffer.AppendAsync")]
    public Task<long> BufferAppend() => AppendCorpusAsync(new BatchBufferOptions { FlushInterval = TimeSpan.FromDays(1) });

    /// <summary>The batch buffer's append path with <c>CompressionThreads = 2</c>.</summary>
    [Benchmark(Description = "BatchBuffer.AppendAsync, 2 compression threads")]
    public Task<long> BufferAppendParallel() => AppendCorpusAsync(new BatchBufferOptions { FlushInterval = TimeSpan.FromDays(1), CompressionThreads = 2 });

    /// <summary>End to end: appends, 8 MB size seals, batches handed to a consumer that discards the bytes.</summary>
    [Benchmark(Description = "end to end, 8 MB batches")]
    public Task<long> EndToEnd() => AppendCorpusAsync(new BatchBufferOptions { MaxBatchBytes = 8 * 1024 * 1024, FlushInterval = TimeSpan.FromDays(1) });

    /// <summary>Appends the whole corpus to one source, disposes the buffer (sealing and delivering) and returns the compressed bytes delivered.</summary>
    private async Task<long> AppendCorpusAsync(BatchBufferOptions options)
    {
        var consumer = new DiscardingConsumer();
        await using (var buffer = new BatchBuffer(options, consumer))
        {
            foreach (byte[] e in _corpus.Events)
            {
                await buffer.AppendAsync("bench-source", e);
            }
        }

        return consumer.CompressedBytes;
    }
}
