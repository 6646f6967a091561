using System.Globalization;
using System.Runtime.InteropServices;
using RawDataDestination.Batching;
using RawDataDestination.Internal;

namespace RawDataDestination.Cli;

/// <summary>
/// The process's open-file limit (<c>ulimit -n</c>, often 1024, 256 on macOS). At start, rawdata raises its soft limit to
/// the hard one, as Go's runtime does (<see cref="RaiseSoftLimit"/>), and <c>ship</c> refuses a hard limit below what it
/// needs (<see cref="Needed"/>): under it the runtime failed to open its own files, and the run ended with exit 1 and
/// nothing said, or "Out of memory." and exit 134. And how many batches ship keeps open with a spool: each open batch
/// holds its journal open, so the limit bounds them. Past the bound the least recently appended batch is sealed (cause
/// Capacity) instead of a journal failing to open ("Too many open files") and the run stopping.
/// </summary>
internal static class OpenFileLimit
{
    /// <summary>
    /// The open files <c>ship</c> needs: measured on Linux with 2 cores, it ran without a spool from 128 and with one (a
    /// backfill of 300 days, a quarter of the limit in open journals) from 184; failing below, exit 1, 134 or a file of the
    /// runtime it could not load. This leaves a margin above both, and is macOS's default limit.
    /// </summary>
    public const long Needed = 256;

    /// <summary>The soft limit assumed where it can't be read: macOS's default.</summary>
    private const long Assumed = 256;

    /// <summary><c>RLIMIT_NOFILE</c> as the runtime's native shim numbers it on every Unix.</summary>
    private const int OpenFiles = 9;

    /// <summary><c>RLIM_INFINITY</c> as the shim gives it.</summary>
    private const ulong Unlimited = ulong.MaxValue;

    /// <summary>
    /// Raises the process's soft open-file limit to its hard limit when lower (harmless: only this process, and what it
    /// starts; the .NET runtime does the same on Linux as it starts, and this keeps it so wherever it does not), and
    /// returns the hard limit; <see langword="null"/> where there is none to read (Windows) or it can't be
    /// read. Where the system refuses the hard limit as a soft one (an unlimited one on Linux, anything above 10240 on
    /// macOS), the largest of 1048576 and 10240 it takes. Called first, before the runtime loads much.
    /// </summary>
    public static ulong? RaiseSoftLimit()
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        try
        {
            if (GetLimit(OpenFiles, out Limits limits) != 0)
            {
                return null;
            }

            foreach (ulong soft in (ReadOnlySpan<ulong>)[limits.Hard, 1 << 20, 10_240])
            {
                if (soft <= limits.Soft || soft > limits.Hard)
                {
                    continue;
                }

                Limits raised = new() { Soft = soft, Hard = limits.Hard };
                if (SetLimit(OpenFiles, ref raised) == 0)
                {
                    break;
                }
            }

            return limits.Hard;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // a runtime without the shim's calls: the limit stays as it is
        }
    }

    /// <summary>
    /// Why <c>ship</c> can't run under the hard open-file limit <paramref name="hard"/> (from <see cref="RaiseSoftLimit"/>),
    /// and the fix; or <see langword="null"/> when it is <see cref="Needed"/> or more, or unknown.
    /// </summary>
    public static string? Problem(ulong? hard) =>
        hard is { } limit && limit != Unlimited && limit < Needed
            ? $"rawdata: the open-file limit is {limit}, its hard limit too (ulimit -Hn), and rawdata ship needs at least {Needed} open files (for the runtime's own, the input, the spool's journals and the connections to S3): "
                + "raise it, with ulimit -n 1024 in the shell that runs rawdata (as root, or with a higher hard limit: /etc/security/limits.conf, or LimitNOFILE= for a systemd service), and run the command again."
            : null;

    /// <summary>The fewest batches kept open, whatever the limit.</summary>
    private const int Fewest = 16;

    /// <summary>
    /// A quarter of the open-file limit, for the journals of open batches and the files of batches being sealed (with a
    /// spool the library counts a batch until its sealed file is saved; the rest is for the input, the spool's other
    /// files, sockets and the runtime, about 110 files of its own), from <see cref="Fewest"/> to <paramref name="most"/>.
    /// </summary>
    public static int OpenBatches(int most) => (int)Math.Clamp(SoftLimit() / 4, Fewest, Math.Max(Fewest, most));

    /// <summary>
    /// Whether the open-file limit bounds the batches ship keeps open below the buffer's own bound
    /// (<see cref="BatchBufferOptions.MaxOpenBatches"/>' default): only with a spool, where each open batch holds its journal.
    /// </summary>
    /// <param name="maxOpenBatches">The bound the run has.</param>
    /// <param name="spool">Whether the run has a spool.</param>
    public static bool Bounds(int maxOpenBatches, bool spool) => spool && maxOpenBatches < new BatchBufferOptions().MaxOpenBatches;

    /// <summary>
    /// The warning, once, at the end of a run, when the open-file limit made it seal <paramref name="batches"/> early (cause
    /// Capacity): why, what it cost (<paramref name="objects"/> objects for <paramref name="days"/> days), and what to do.
    /// </summary>
    public static string SealedEarly(long batches, int openBatches, int objects, int days) =>
        $"warning: {Counted.Of(batches, "batch")} {Counted.Either(batches, "was", "were")} sealed early because of the open-file limit: with --spool-dir each open batch (one per source and UTC day) "
        + $"holds its journal open, and the limit (ulimit -n {SoftLimit()}) lets ship keep {openBatches} open at once, so opening another sealed the least recently appended one, "
        + $"and a day that came again after its batch was sealed got one more, smaller object ({Counted.Of(objects, "object")} written for {Counted.Of(days, "day")}). "
        + $"For one object per day: sort the input by day (receivedAt) before shipping, or raise the open-file limit to 4 times the days open at once (ulimit -n {Math.Max(1024L, 4L * days)} in the shell that runs rawdata; "
        + "as root, or with a higher hard limit: /etc/security/limits.conf, or LimitNOFILE= for a systemd service).";

    /// <summary>The summary's line of <see cref="SealedEarly"/>: <c>sealed early:     41 (...)</c>.</summary>
    public static string SealedEarlyLine(long batches, int openBatches, int objects, int days) =>
        $"sealed early:     {batches} (batches sealed to stay within the open-file limit, ulimit -n {SoftLimit()}: {openBatches} open at once with --spool-dir; "
        + $"{Counted.Of(objects, "object")} for {Counted.Of(days, "day")}. Sort the input by day, or raise ulimit -n: see the warning)";

    /// <summary>The process's soft limit of open files: Linux says it in <c>/proc/self/limits</c>; other Unix systems get <see cref="Assumed"/>; Windows has none.</summary>
    private static long SoftLimit()
    {
        if (OperatingSystem.IsWindows())
        {
            return long.MaxValue; // handles, not a small per-process table
        }

        try
        {
            foreach (string line in File.ReadLines("/proc/self/limits"))
            {
                // "Max open files            1024                 1048576              files"
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    string soft = line["Max open files".Length..].TrimStart().Split(' ', 2)[0];
                    return soft == "unlimited" ? long.MaxValue : long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : Assumed;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // not Linux, or no /proc: assume the lowest common default
        }

        return Assumed;
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_GetRLimit", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetLimit(int resource, out Limits limits);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_SetRLimit", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetLimit(int resource, ref Limits limits);

    /// <summary>The shim's <c>RLimit</c>: the soft limit, then the hard one, each 64 bits on every Unix.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Limits
    {
        public ulong Soft;
        public ulong Hard;
    }
}
