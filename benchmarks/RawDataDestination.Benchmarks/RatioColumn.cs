using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// Each row's own compression ratio: the corpus's compact NDJSON bytes divided by the gzip bytes that row's benchmark
/// produced. The benchmark methods return their output's size; the column runs each once in the host process.
/// </summary>
public sealed class RatioColumn : IColumn
{
    private static readonly Dictionary<string, double> Ratios = [];

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
    public string Legend => "compact NDJSON bytes / this row's gzip bytes (each row's own output, run once in the host)";

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => summary?.BenchmarksCases.Any(CorpusColumn.HasCorpus) ?? false;

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        if (!CorpusColumn.HasCorpus(benchmarkCase))
        {
            return "-"; // not a pass over the corpus: nothing to compress, and its setup is not run again here
        }

        string key = benchmarkCase.Descriptor.Type.FullName + "." + benchmarkCase.Descriptor.WorkloadMethod.Name + "(" + benchmarkCase.Parameters.ValueInfo + ")";
        lock (Ratios)
        {
            if (!Ratios.TryGetValue(key, out double ratio))
            {
                int megabytes = benchmarkCase.Parameters["CorpusMegabytes"] is int mb ? mb : 32;
                long compressed = RunOnce(benchmarkCase);
                ratio = compressed > 0 ? CorpusInfo.Of(megabytes).NdjsonBytes / (double)compressed : double.NaN;
                Ratios[key] = ratio;
            }

            return double.IsNaN(ratio) ? "-" : ratio.ToString("F2", CultureInfo.InvariantCulture);
        }
    }

    /// <inheritdoc />
    public override string ToString() => ColumnName;

    /// <summary>Runs the case's benchmark method once, with its parameters and global setup, and returns its result (the gzip bytes).</summary>
    private static long RunOnce(BenchmarkCase benchmarkCase)
    {
        Type type = benchmarkCase.Descriptor.Type;
        object instance = Activator.CreateInstance(type)!;
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            type.GetProperty(parameter.Name, BindingFlags.Public | BindingFlags.Instance)?.SetValue(instance, parameter.Value);
        }

        benchmarkCase.Descriptor.GlobalSetupMethod?.Invoke(instance, null);
        object? result = benchmarkCase.Descriptor.WorkloadMethod.Invoke(instance, null);
        return result switch
        {
            long length => length,
            Task<long> task => task.GetAwaiter().GetResult(),
            _ => -1,
        };
    }
}
