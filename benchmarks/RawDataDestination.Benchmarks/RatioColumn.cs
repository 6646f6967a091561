using System.Globalization;
using System.IO.Compression;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace RawDataDestination.Benchmarks;

/// <summary>The compression ratio (input bytes / gzip bytes) at a benchmark's <c>Level</c>: computed once in the host process.</summary>
public sealed class RatioColumn : IColumn
{
    private static readonly Dictionary<(int Megabytes, CompressionLevel Level), double> Ratios = [];

    /// <summary>Gets the column.</summary>
    public static IColumn Instance { get; } = new RatioColumn();

    /// <inheritdoc />
    public string Id => nameof(RatioColumn);

    /// <inheritdoc />
    public string ColumnName => "gzip ratio";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => 10;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => "NDJSON bytes in / gzip bytes out, at the benchmark's Level (Fastest where it has none)";

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        int megabytes = benchmarkCase.Parameters["CorpusMegabytes"] is int mb ? mb : 32;
        CompressionLevel level = benchmarkCase.Parameters["Level"] is CompressionLevel l ? l : CompressionLevel.Fastest;
        lock (Ratios)
        {
            if (!Ratios.TryGetValue((megabytes, level), out double ratio))
            {
                Corpus corpus = Corpus.Create(megabytes);
                long compressed = CompressionLevelBenchmarks.EncodeAsync(corpus, level).GetAwaiter().GetResult();
                ratio = corpus.Ndjson.Length / (double)compressed;
                Ratios[(megabytes, level)] = ratio;
            }

            return ratio.ToString("F2", CultureInfo.InvariantCulture);
        }
    }

    /// <inheritdoc />
    public override string ToString() => ColumnName;
}
