using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// Which customer a spool's batches are for. A spool keeps batches, not where they go: a run over it delivers what it
/// holds with its own <c>--bucket</c> and role, so a spool left by a run for one customer, given to a run for another,
/// would put the first customer's events in the second one's bucket. The spool records the destination of the runs that
/// filled it (<see cref="FileName"/>: the bucket and path prefix, and what decides whose bucket of that name it is,
/// <see cref="DestinationIdentity"/>), and a run naming another is refused while the spool holds any batch.
/// </summary>
/// <remarks>
/// A record an earlier version wrote names only the bucket and path prefix: a run for that bucket takes it as its own and
/// records its whole identity, and the input place records that version named by the bucket alone are that
/// identity's (<see cref="BucketOnlyInputsLine"/>), so that the run after an upgrade reads on where the last one stopped.
/// </remarks>
internal static class SpoolDestination
{
    /// <summary>
    /// The record's name in the spool's folder: the bucket (<c>bucket</c> or <c>bucket/path/prefix</c>) on the first
    /// line, then one line per field of <see cref="DestinationIdentity.Key"/>, and maybe <see cref="BucketOnlyInputsLine"/>.
    /// </summary>
    public const string FileName = "rawdata-destination";

    /// <summary>
    /// The line that names (by <see cref="DestinationIdentity.Digest"/>) the destination whose input place records are
    /// the ones an earlier version named by file, source and bucket alone: the run that found that version's record.
    /// </summary>
    private const string BucketOnlyInputsLine = "bucket-only-place-records";

    /// <summary>
    /// Records <paramref name="identity"/> as the spool's destination, or refuses the run when the spool holds batches an
    /// earlier run made for another. Called while the buffer holds the spool (its lock), before recovery sends anything.
    /// </summary>
    /// <param name="spool">The --spool-dir.</param>
    /// <param name="identity">This run's destination.</param>
    /// <returns>Whether the input place records an earlier version named by the bucket alone are this destination's.</returns>
    /// <exception cref="UsageException">The spool holds batches for another bucket, path prefix, partition, role, external id or owner.</exception>
    public static bool Claim(string spool, DestinationIdentity identity)
    {
        string path = Path.Combine(spool, FileName);
        (string[]? lines, string? unsound) = Read(path);
        string? bucketOnlyInputs = lines?.FirstOrDefault(line => line.StartsWith(BucketOnlyInputsLine + " ", StringComparison.Ordinal))?[(BucketOnlyInputsLine.Length + 1)..];
        if (unsound is not null || (lines is not null && NotWrittenByRawdata(lines) is { } why && (unsound = why) is not null))
        {
            throw Damaged(spool, unsound, Held(spool));
        }
        else if (lines is null)
        {
            // No record (deleted, or never written): a new spool, a spool whose user deleted the record to give its batches
            // to this run's destination, or one from before records (its place records, if any, are this run's to read on
            // from). An empty or cut record is damage (a power cut after the rename, before the bytes reached the disk, can
            // leave one), never "no record": it was taken as none, and another customer's run delivered every batch into
            // its own bucket (QA-M M1).
            bucketOnlyInputs = HasInputRecords(spool) ? identity.Digest : null;
        }
        else
        {
            (DestinationIdentity recorded, bool bucketOnly) = DestinationIdentity.Parse(lines);
            if (bucketOnly && recorded.Bucket == identity.Bucket)
            {
                bucketOnlyInputs = identity.Digest; // an earlier version's record: this run is the one it was for, as before
            }
            else if (recorded == identity)
            {
                return bucketOnlyInputs == identity.Digest;
            }
            else if (Held(spool) is > 0 and int held)
            {
                throw Refusal(spool, held, recorded, identity);
            }
        }

        // Private (0600) as every spool file (PrivateFiles): a temporary left by a kill is made again, not reused with its mode.
        string temporary = path + ".tmp";
        File.Delete(temporary);
        using (FileStream file = PrivateFiles.Open(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            file.Write(System.Text.Encoding.UTF8.GetBytes($"{identity.Bucket}\n{identity.Key}\n{(bucketOnlyInputs is null ? string.Empty : $"{BucketOnlyInputsLine} {bucketOnlyInputs}\n")}"));
            file.Flush(flushToDisk: true); // on the disk before the rename names it: a power cut leaves the old record or this one, whole
        }

        File.Move(temporary, path, overwrite: true);
        PrivateFiles.SyncFolder(spool);
        return bucketOnlyInputs == identity.Digest;
    }

    /// <summary>
    /// Why <paramref name="lines"/> are not a record rawdata writes, or <see langword="null"/>: a bucket name
    /// (<c>[a-z0-9.-]</c>, 3 to 63 characters) with its path prefix on the first line, then only lines it names, none
    /// holding a control character or bytes that are not UTF-8. Random bytes read as a record would name a bucket made
    /// of them, another customer's, in the refusal, and write them to the terminal.
    /// </summary>
    private static string? NotWrittenByRawdata(string[] lines)
    {
        if (lines.Any(line => line.Any(c => char.IsControl(c) || c == '\uFFFD')))
        {
            return "it holds control characters or bytes that are not UTF-8";
        }

        string bucket = lines[0].Split('/')[0];
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-'))
        {
            return "its first line is not a bucket name";
        }

        return lines.Skip(1).Any(line => !DestinationIdentity.IsRecordLine(line) && !line.StartsWith(BucketOnlyInputsLine + " ", StringComparison.Ordinal))
            ? "it holds a line rawdata does not write"
            : null;
    }

    /// <summary>The refusal of a run over a spool whose destination record is not one rawdata writes whole (empty, cut short, unreadable, or <see cref="NotWrittenByRawdata"/>); its bytes are never shown.</summary>
    private static UsageException Damaged(string spool, string why, int held)
    {
        string record = Path.Combine(spool, FileName);
        string batches = held switch
        {
            0 => "the spool holds no batch",
            1 => "the 1 batch the spool holds",
            _ => $"the {held} batches the spool holds",
        };
        return new UsageException(
            $"The record of which customer the batches in {ShipCommand.SpoolDir.Name} '{spool}' are for, '{record}', is not one rawdata writes whole ({why}): it is damaged (a power cut can leave it empty or cut short), or was written by something else, so it names no destination. "
            + (held == 0
                ? $"Nothing waits for delivery in the spool: delete '{record}' and run again; this run then records its own destination."
                : $"If {batches} are for this run's destination (its {DestinationOptions.Bucket.Name}, {DestinationOptions.RoleArn.Name} and {DestinationOptions.ExternalId.Name}), delete '{record}' and run again: this run then records its own and delivers them. "
                    + "If they are another customer's, delete it and run ship over this spool with that customer's options instead."));
    }

    /// <summary>The refusal of a run for <paramref name="identity"/> over a spool holding <paramref name="held"/> batches for <paramref name="recorded"/>.</summary>
    private static UsageException Refusal(string spool, int held, DestinationIdentity recorded, DestinationIdentity identity)
    {
        string bucket = DestinationOptions.Bucket.Name;
        string batches = held == 1 ? "batch" : "batches";
        string holds = $"{ShipCommand.SpoolDir.Name} '{spool}' holds {held} {batches} not yet delivered that an earlier run made for {bucket} '{recorded.Bucket}'";
        string deliver = $"over this spool to deliver them, with {ShipCommand.Input.Name} /dev/null if there is nothing more to read";
        string elsewhere = $"Another {ShipCommand.SpoolDir.Name} for this run leaves {(held == 1 ? "that batch's" : "those batches'")} events undelivered in this one until such a run delivers them.";
        if (recorded.Bucket != identity.Bucket)
        {
            return new UsageException(
                $"{holds}; this run names {bucket} '{identity.Bucket}', and would deliver them there, with this run's role. Run ship with {bucket} '{recorded.Bucket}' "
                + $"(and that customer's {DestinationOptions.RoleArn.Name} and {DestinationOptions.ExternalId.Name}) {deliver}. {elsewhere}");
        }

        if (recorded.Partition == "?")
        {
            // A record this version can't read whole: it says only the bucket, and the bucket is this run's.
            return new UsageException($"{holds}, and its record '{Path.Combine(spool, FileName)}' can't be read whole: if they are for this run's destination, delete it and run again. {elsewhere}");
        }

        string differences = string.Join(", ", identity.DifferencesFrom(recorded));
        return new UsageException(
            $"{holds} with {differences}. A bucket of the same name in another partition or store, or reached with another customer's role, external id or owner, "
            + $"is another customer's: this run would deliver them there, with this run's role. Run ship with the earlier run's values (that customer's "
            + $"{DestinationOptions.Region.Name}, {DestinationOptions.RoleArn.Name}, {DestinationOptions.ExternalId.Name}, {DestinationOptions.ExpectedBucketOwner.Name} and {DestinationOptions.EndpointUrl.Name}) {deliver}. "
            + $"If this run's values are for the same customer's bucket (a role renamed, an external id changed), delete '{Path.Combine(spool, FileName)}' and run again: "
            + $"this run then records its own and delivers them. {elsewhere}");
    }

    /// <summary>
    /// The record's lines, without blank ones, or <see langword="null"/> when there is no record file; or why the record
    /// file is unsound: empty, cut inside a line (every version ends each line it writes with a newline), or unreadable.
    /// </summary>
    private static (string[]? Lines, string? Unsound) Read(string path)
    {
        string text;
        try
        {
            if (!File.Exists(path))
            {
                return (null, null);
            }

            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Unreadable is not "no record": taken as none, this run would claim another customer's batches.
            return (null, $"it can't be read ({exception.Message})");
        }

        string[] lines = [.. text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0)];
        return lines.Length == 0 ? (null, "it is empty")
            : !text.EndsWith('\n') ? (null, "it ends inside a line: it was cut short")
            : (lines, null);
    }

    private static bool HasInputRecords(string spool)
    {
        try
        {
            string folder = Path.Combine(spool, InputCheckpoint.FolderName);
            return Directory.Exists(folder) && Directory.EnumerateFiles(folder).Any();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
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
