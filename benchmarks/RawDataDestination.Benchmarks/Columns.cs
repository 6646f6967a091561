using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace RawDataDestination.Benchmarks;

/// <summary>The extra columns of the comparison table: MB/s of compact NDJSON, the ratio to compress-only, bytes allocated per event.</summary>
public sealed class CorpusColumn : IColumn
{
    private readonly Kind _kind;

    private CorpusColumn(Kind kind, string name, string legend)
    {
        _kind = kind;
        ColumnName = name;
        Legend = legend;
    }

    private enum Kind
    {
        MegabytesPerSecond,
        VersusLimit,
        BytesPerEvent,
    }

    /// <summary>MB of compact NDJSON per second: the same denominator for every row.</summary>
    public static IColumn MegabytesPerSecond { get; } = new CorpusColumn(Kind.MegabytesPerSecond, "MB/s", "MB (2^20 bytes) of compact NDJSON per second, from the mean: the same denominator on every row (what every row turns into gzip; compress-only's input)");

    /// <summary>Throughput as a share of compress-only's, in the same run.</summary>
    public static IColumn VersusLimit { get; } = new CorpusColumn(Kind.VersusLimit, "vs limit", "throughput divided by compress-only's throughput in the same run");

    /// <summary>Managed bytes allocated per event.</summary>
    public static IColumn BytesPerEvent { get; } = new CorpusColumn(Kind.BytesPerEvent, "B/event", "managed bytes allocated per operation divided by the events in it");

    /// <inheritdoc />
    public string Id => nameof(CorpusColumn) + "." + _kind;

    /// <inheritdoc />
    public string ColumnName { get; }

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => (int)_kind;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend { get; }

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => summary?.BenchmarksCases.Any(HasCorpus) ?? false;

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        BenchmarkReport? report = summary[benchmarkCase];
        double? meanNs = report?.ResultStatistics?.Mean;
        if (meanNs is null or <= 0 || !HasCorpus(benchmarkCase))
        {
            return "-";
        }

        int megabytes = benchmarkCase.Parameters["CorpusMegabytes"] is int mb ? mb : 32;
        (long bytes, long events) = CorpusInfo.Of(megabytes);
        switch (_kind)
        {
            case Kind.MegabytesPerSecond:
                return (bytes / 1048576.0 / (meanNs.Value / 1e9)).ToString("F0", CultureInfo.InvariantCulture);
            case Kind.VersusLimit:
                BenchmarkCase? limit = summary.BenchmarksCases.FirstOrDefault(c =>
                    c.Descriptor.WorkloadMethod.Name == nameof(EncoderBenchmarks.CompressOnly)
                    && c.Parameters.ValueInfo == benchmarkCase.Parameters.ValueInfo
                    && c.Job.Id == benchmarkCase.Job.Id);
                double? limitNs = limit is null ? null : summary[limit]?.ResultStatistics?.Mean;
                return limitNs is null ? "-" : (limitNs.Value / meanNs.Value).ToString("F2", CultureInfo.InvariantCulture);
            default:
                long? allocated = report!.GcStats.GetBytesAllocatedPerOperation(benchmarkCase);
                return allocated is null ? "-" : (allocated.Value / (double)events).ToString("F1", CultureInfo.InvariantCulture);
        }
    }

    /// <inheritdoc />
    public override string ToString() => ColumnName;

    /// <summary>Whether the case is a pass over the corpus (it has a <c>CorpusMegabytes</c> parameter): the only cases these columns and <see cref="RatioColumn"/> speak of.</summary>
    internal static bool HasCorpus(BenchmarkCase benchmarkCase) => benchmarkCase.Parameters.Items.Any(p => p.Name == "CorpusMegabytes");
}
