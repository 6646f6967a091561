using System.Text;

namespace RawDataDestination.Spool;

/// <summary>
/// Journals kept past their batch's seal: the seal time a journal's batch was sealed at where the spool could not keep
/// it, recorded in the journal's name, so a restart seals it again under the same file name; and the markers of delivered
/// batches: a journal or a sealed file that could not be deleted once its batch was delivered is marked, so a restart
/// leaves it alone instead of sealing it again (a journal) or sending it again (a sealed file).
/// </summary>
internal sealed partial class BatchSpool
{
    /// <summary>
    /// Records the seal time of the batch of <paramref name="journal"/> (closed) in its name, when the spool could not
    /// keep its sealed file (a full disk) and the batch is delivered from memory while the journal is kept: renamed in its
    /// folder to <see cref="SpoolPaths.SealedJournalName"/>. A rename needs no room on the disk. Should the process die
    /// after the batch landed and before the journal is deleted, the next start seals the journal again under the same
    /// file name, so its events land under one key; and, with <paramref name="sealedForLane"/>, in the lane it was sealed
    /// for (recorded by its tag, <see cref="SpoolPaths.LaneTag"/>), as a sealed file's lane is. Throws when the rename
    /// fails: the journal keeps its name.
    /// </summary>
    public void KeepSealTime(JournalWriter journal, string batchId, DateTimeOffset sealedAt, string? sealedForLane = null)
    {
        string target = Path.Combine(Path.GetDirectoryName(journal.Path)!, SpoolPaths.SealedJournalName(sealedAt, batchId, sealedForLane));
        Change(() => journal.MoveClosed(target));
        SyncFolder(Path.GetDirectoryName(target)!); // else a power cut may bring back the journal's old name, and a new key
    }

    /// <summary>
    /// Lists the markers of delivered batches an earlier run left: one whose journal or sealed file is still there is kept
    /// (and those left alone by recovery); one whose files are gone is deleted; one with another name is not trusted.
    /// </summary>
    private void FindDeliveredMarkers(List<UntrustedEntry> untrusted)
    {
        if (!Directory.Exists(DeliveredRoot))
        {
            return;
        }

        // A journal by its folder and batch id, whichever of its names it has (SpoolPaths.JournalBatchId).
        var batchesOfJournals = JournalsAtStart
            .Select(journal => Path.Combine(Path.GetDirectoryName(journal)!, SpoolPaths.JournalBatchId(Path.GetFileName(journal)) ?? Path.GetFileName(journal)))
            .ToHashSet(StringComparer.Ordinal);

        // A sealed file the same way, by its folder and batch id ({sealed-at}.{batch id}.gz), under journal/'s layout.
        foreach (string sealedFile in SealedAtStart)
        {
            string name = Path.GetFileName(sealedFile);
            int dot = name.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && name.EndsWith(".gz", StringComparison.Ordinal) && dot + 1 < name.Length - ".gz".Length)
            {
                batchesOfJournals.Add(Path.Combine(JournalRoot, Path.GetRelativePath(SealedRoot, Path.GetDirectoryName(sealedFile)!), name[(dot + 1)..^".gz".Length]));
            }
        }

        foreach (SpoolEntry marker in Scan(DeliveredRoot, folderLevels: 2, untrusted))
        {
            string journal = Path.Combine(JournalRoot, Path.GetRelativePath(DeliveredRoot, marker.Path));
            if (!marker.Path.EndsWith(SpoolPaths.DeliveredExtension, StringComparison.Ordinal))
            {
                untrusted.Add(new UntrustedEntry(marker.Path, $"its name is not {{batch id}}{SpoolPaths.DeliveredExtension}"));
            }
            else if (batchesOfJournals.Contains(journal[..^SpoolPaths.DeliveredExtension.Length]))
            {
                _deliveredMarkersAtStart.Add(marker.Path);
            }
            else
            {
                File.Delete(marker.Path); // its journal is gone at last: nothing left to guard
            }
        }
    }

    /// <summary>Whether an earlier run marked the batch <paramref name="batchId"/> delivered, its journal or its sealed file (<see cref="MarkDelivered"/>).</summary>
    public bool IsMarkedDelivered(string sourceId, DateOnly receivedDay, string batchId) => _deliveredMarkersAtStart.Contains(DeliveredMarkerPath(sourceId, receivedDay, batchId));

    /// <summary>Reads the file name a marked batch was delivered as (for the log), or <see langword="null"/>.</summary>
    public string? DeliveredAs(string sourceId, DateOnly receivedDay, string batchId)
    {
        string path = DeliveredMarkerPath(sourceId, receivedDay, batchId);
        if (!_deliveredMarkersAtStart.Contains(path))
        {
            return null;
        }

        try
        {
            using FileStream file = File.OpenRead(path);
            byte[] text = new byte[MaxChecksumFileBytes];
            return Encoding.UTF8.GetString(text, 0, file.ReadAtLeast(text, text.Length, throwOnEndOfStream: false)).Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Records, durably, that the batch of a journal or a sealed file that could not be deleted was delivered as
    /// <paramref name="fileName"/>: a restart then leaves the journal alone instead of sealing it again under a new key, and
    /// the sealed file instead of sending it again. Throws when the marker cannot be written (then a sealed file that is
    /// kept is sent again by a restart, under the same key).
    /// </summary>
    public void MarkDelivered(string sourceId, DateOnly receivedDay, string batchId, string fileName)
    {
        string target = DeliveredMarkerPath(sourceId, receivedDay, batchId);
        PrivateFiles.CreateFolder(Path.GetDirectoryName(target)!);
        string temp = Path.Combine(_tempRoot, Guid.NewGuid().ToString("N"));
        try
        {
            using (FileStream file = PrivateFiles.Open(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                file.Write(Encoding.UTF8.GetBytes(fileName));
                file.Flush(flushToDisk: true);
            }

            Change(() => File.Move(temp, target, overwrite: true));
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        SyncFolder(Path.GetDirectoryName(target)!); // before the sealed file goes: a marker lost in a power cut resends under a new key
    }

    /// <summary>
    /// Marks delivered the batch of a sealed file that could not be deleted once it was delivered
    /// (<see cref="MarkDelivered"/>): it no longer counts as a batch waiting in the spool, though its bytes stay on the disk.
    /// Throws when the marker cannot be written.
    /// </summary>
    public void MarkSealedDelivered(string sourceId, DateOnly receivedDay, string batchId, string fileName)
    {
        MarkDelivered(sourceId, receivedDay, batchId, fileName);
        Interlocked.Decrement(ref _sealedCount);
    }

    /// <summary>Deletes the delivered marker of a batch whose journal and sealed file are gone at last.</summary>
    public void ForgetDelivered(string sourceId, DateOnly receivedDay, string batchId)
    {
        string path = DeliveredMarkerPath(sourceId, receivedDay, batchId);
        if (_deliveredMarkersAtStart.Remove(path))
        {
            Change(() => File.Delete(path));
        }
    }

    /// <summary>The marker of the batch <paramref name="batchId"/>: <c>delivered/{source}/{day}/{batch id}.delivered</c>.</summary>
    private string DeliveredMarkerPath(string sourceId, DateOnly receivedDay, string batchId) =>
        Path.Combine(SpoolPaths.DayFolder(DeliveredRoot, sourceId, receivedDay), batchId + SpoolPaths.DeliveredExtension);
}
