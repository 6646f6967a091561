using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// Which customer a spool's batches are for. A spool keeps batches, not where they go: a run over it delivers what it
/// holds with its own <c>--bucket</c> and role, so a spool left by a run for one customer, given to a run for another,
/// would put the first customer's events in the second one's bucket. The spool records the bucket and path prefix of
/// the runs that filled it (<see cref="FileName"/>), and a run naming another is refused while the spool holds any batch.
/// </summary>
internal static class SpoolDestination
{
    /// <summary>The record's name in the spool's folder: one line, <c>bucket</c> or <c>bucket/path/prefix</c>.</summary>
    public const string FileName = "rawdata-destination";

    /// <summary>
    /// Records <paramref name="bucket"/> as the spool's destination, or refuses the run when the spool holds batches an
    /// earlier run made for another. Called while the buffer holds the spool (its lock), before recovery sends anything.
    /// </summary>
    /// <param name="spool">The --spool-dir.</param>
    /// <param name="bucket">The --bucket, as given (checked already): <c>bucket</c> or <c>bucket/path/prefix</c>.</param>
    /// <exception cref="UsageException">The spool holds batches for another bucket or path prefix.</exception>
    public static void Claim(string spool, string bucket)
    {
        string path = Path.Combine(spool, FileName);
        string current = InputIdentity.Bucket(bucket); // b and b/ are one destination
        string? recorded = Read(path);
        if (recorded == current)
        {
            return;
        }

        if (recorded is not null && Held(spool) is > 0 and int held)
        {
            throw new UsageException(
                $"{ShipCommand.SpoolDir.Name} '{spool}' holds {held} {(held == 1 ? "batch" : "batches")} not yet delivered that an earlier run made for {DestinationOptions.Bucket.Name} '{recorded}'; "
                + $"this run names {DestinationOptions.Bucket.Name} '{current}', and would deliver them there, with this run's role. Run ship with {DestinationOptions.Bucket.Name} '{recorded}' "
                + $"(and that customer's {DestinationOptions.RoleArn.Name} and {DestinationOptions.ExternalId.Name}) over this spool to deliver them, with {ShipCommand.Input.Name} /dev/null "
                + $"if there is nothing more to read; or give this run another {ShipCommand.SpoolDir.Name}.");
        }

        string temporary = path + ".tmp";
        File.WriteAllText(temporary, current + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    private static string? Read(string path)
    {
        try
        {
            string recorded = File.Exists(path) ? File.ReadAllText(path).Trim() : string.Empty;
            return recorded.Length > 0 ? recorded : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null; // unreadable: the spool's own reading of its folders reports the disk
        }
    }

    /// <summary>The batches the spool holds for delivery: journals not marked delivered, and sealed batches.</summary>
    private static int Held(string spool)
    {
        string sealedRoot = Path.Combine(spool, SpoolPaths.SealedFolder);
        try
        {
            int sealedBatches = Directory.Exists(sealedRoot)
                ? Directory.EnumerateFiles(sealedRoot, "*", SearchOption.AllDirectories).Count(file => !file.EndsWith(SpoolPaths.ChecksumExtension, StringComparison.Ordinal))
                : 0;
            return sealedBatches + SpoolLeftovers.Journals(spool);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
