using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// Runs the benchmarks (BenchmarkDotNet's switcher: <c>--filter</c>, <c>--job</c>, ...), or with <c>--memory</c> the
/// measurement of one full batch's memory, or with <c>--sources</c> the many-sources measurement (<see cref="ManySources"/>), or with <c>--passes</c> the CPU
/// time of each pass (<see cref="PassCost"/>), or with <c>--customers</c> healthy customers' delivery with some broken
/// (<see cref="ManyCustomers"/>), or with <c>--destinations</c> the memory of many customers' destinations (<see cref="CustomerDestinations"/>).
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Contains("--passes"))
        {
            return await PassCost.RunAsync();
        }

        if (args.Contains("--append-file"))
        {
            return await FileAppend.RunAsync(args);
        }

        if (args.Contains("--sources"))
        {
            return await ManySources.RunAsync(args);
        }

        if (args.Contains("--customers"))
        {
            return await ManyCustomers.RunAsync(args);
        }

        if (args.Contains("--destinations"))
        {
            return await CustomerDestinations.RunAsync(args);
        }

        if (args.Contains("--memory"))
        {
            return await BatchMemory.RunAsync(args);
        }

        IConfig config = DefaultConfig.Instance
            .AddColumn(CorpusColumn.MegabytesPerSecond, CorpusColumn.VersusLimit, CorpusColumn.BytesPerEvent, RatioColumn.Instance)
            .WithOptions(ConfigOptions.JoinSummary);
        if (!args.Any(a => a.Equals("--job", StringComparison.OrdinalIgnoreCase) || a.Equals("-j", StringComparison.Ordinal)))
        {
            // BenchmarkDotNet's own pilot and warm-up choose the counts; one launch keeps the whole run to a few minutes.
            config = config.AddJob(Job.Default.WithLaunchCount(1).WithMaxIterationCount(20));
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }
}
