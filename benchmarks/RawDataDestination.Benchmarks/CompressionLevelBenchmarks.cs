using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using RawDataDestination.Ndjson;

namespace RawDataDestination.Benchmarks;

/// <summary>Speed against storage: our encoder at each gzip level the library offers, with the compression ratio in a column.</summary>
[MemoryDiagnoser]
public class CompressionLevelBenchmarks
{
    private static readonly DateTimeOffset AppendedAt = new(2023, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private Corpus _corpus = null!;

    /// <summary>Gets or sets the corpus size in MB. The default is 32.</summary>
    [Params(32)]
    public int CorpusMegabytes { get; set; }

    /// <summary>Gets or sets the gzip level.</summary>
    [Params(CompressionLevel.Fastest, CompressionLevel.Optimal, CompressionLevel.SmallestSize)]
    public CompressionLevel Level { get; set; }

    /// <summary>Builds the corpus once.</summary>
    [GlobalSetup]
    public void Setup() => _corpus = Corpus.Create(CorpusMegabytes);

    /// <summary>Our encoder at <see cref="Level"/>.</summary>
    [Benchmark(Description = "GzipNdjsonEncoder at level")]
    public async Task<long> Encoder() => await EncodeAsync(_corpus, Level);

    /// <summary>Encodes a whole corpus and returns the compressed size.</summary>
    public static async Task<long> EncodeAsync(Corpus corpus, CompressionLevel level)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var output = new CountingStream();
        await using (var encoder = new GzipNdjsonEncoder(output, level))
        {
            foreach (byte[] e in corpus.Events)
            {
                await encoder.AppendAsync(e, AppendedAt);
            }

            await encoder.CompleteAsync();
        }

        return output.Length;
    }
}
