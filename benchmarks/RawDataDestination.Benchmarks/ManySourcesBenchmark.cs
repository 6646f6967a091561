using System.Globalization;
using BenchmarkDotNet.Attributes;
using RawDataDestination.Batching;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// The batch buffer with many sources: the corpus appended round-robin over <see cref="Sources"/> source ids (one
/// open batch each), sealed and handed to a consumer that discards. MB/s and bytes allocated per event; for the memory
/// per open batch, run <c>--sources</c> (<see cref="ManySources"/>), which reads the peak working set per run.
/// </summary>
[MemoryDiagnoser]
public class ManySourcesBenchmark
{
    private Corpus _corpus = null!;
    private string[] _ids = [];

    /// <summary>Gets or sets the corpus size in MB. The default is 16.</summary>
    [Params(16)]
    public int CorpusMegabytes { get; set; }

    /// <summary>Gets or sets the number of sources.</summary>
    [Params(1, 100, 1_000, 10_000)]
    public int Sources { get; set; }

    /// <summary>Builds the corpus and the source ids once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _corpus = Corpus.Create(CorpusMegabytes);
        _ids = Enumerable.Range(0, Sources).Select(i => string.Create(CultureInfo.InvariantCulture, $"source-{i:D5}")).ToArray();
        CorpusInfo.Record(_corpus);
    }

    /// <summary>Appends the corpus round-robin, disposes the buffer (sealing and delivering), returns the gzip bytes delivered.</summary>
    [Benchmark(Baseline = true, Description = "BatchBuffer, round-robin over the sources")]
    public async Task<long> AppendRoundRobin()
    {
        var consumer = new DiscardingConsumer();
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { FlushInterval = TimeSpan.FromDays(1) }, consumer))
        {
            for (int i = 0; i < _corpus.Events.Count; i++)
            {
                await buffer.AppendAsync(_ids[i % _ids.Length], _corpus.Events[i]);
            }
        }

        return consumer.CompressedBytes;
    }
}
