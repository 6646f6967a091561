using System.Globalization;

namespace RawDataDestination.Cli;

/// <summary>
/// How many batches ship keeps open with a spool: each open batch holds its journal open, so the process's open-file
/// limit (<c>ulimit -n</c>, often 1024, 256 on macOS) bounds them. Past the bound the least recently appended batch is
/// sealed (cause Capacity) instead of a journal failing to open ("Too many open files") and the run stopping.
/// </summary>
internal static class OpenFileLimit
{
    /// <summary>The soft limit assumed where it can't be read: macOS's default.</summary>
    private const long Assumed = 256;

    /// <summary>The fewest batches kept open, whatever the limit.</summary>
    private const int Fewest = 16;

    /// <summary>
    /// A quarter of the open-file limit, for the journals of open batches and the files of batches being sealed (with a
    /// spool the library counts a batch until its sealed file is saved; the rest is for the input, the spool's other
    /// files, sockets and the runtime, about 110 files of its own), from <see cref="Fewest"/> to <paramref name="most"/>.
    /// </summary>
    public static int OpenBatches(int most) => (int)Math.Clamp(SoftLimit() / 4, Fewest, Math.Max(Fewest, most));

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
}
