using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.S3;
using RawDataDestination.Spool;

namespace RawDataDestination.Cli;

/// <summary>
/// What became of every event <c>ship</c> read, at whatever point it stopped: delivered (or, with --stage-bucket,
/// delivered by the copier pass or still staged), rejected, in the spool, quarantined, or not delivered, with counts
/// that add up: read = delivered + staged + rejected + spooled + quarantined + not delivered. With a spool, the batches an earlier run left there
/// are delivered or kept too; they are counted apart, so that the rest still adds up.
/// </summary>
internal sealed class ShipSummary
{
    /// <summary>Gets the lines read and handed to the buffer.</summary>
    public required long Read { get; init; }

    /// <summary>Gets the blank lines read: not events, passed over, and in no other count.</summary>
    public long Blank { get; init; }

    /// <summary>Gets the bytes of the input read, blank lines included.</summary>
    public required long BytesRead { get; init; }

    /// <summary>Gets the events in the customer's bucket: written by the buffer, or, with a stage, by the copier pass.</summary>
    public long Delivered { get; set; }

    /// <summary>Gets the events still in the staging bucket (with --stage-bucket).</summary>
    public long Staged { get; set; }

    /// <summary>Gets the lines refused as events.</summary>
    public required long Rejected { get; init; }

    /// <summary>Gets the events in the spool when ship stopped: the next run with the same --spool-dir delivers them.</summary>
    public required long Spooled { get; init; }

    /// <summary>
    /// Gets the events read whose sealed file changed on disk before its delivery and was moved to the spool's
    /// <c>quarantine/</c> folder (S3 refused its body as not matching its checksum): kept there, not delivered.
    /// </summary>
    public long QuarantinedEvents { get; init; }

    /// <summary>
    /// Gets the spool journals of batches delivered from memory that could be neither deleted nor marked delivered (the
    /// spool's file system refused writes): to delete before the next run over the spool, which would send them again.
    /// </summary>
    public IReadOnlyList<string> DeliveredJournalsLeft { get; init; } = [];

    /// <summary>Gets the spool files that could be neither delivered nor set aside (an immutable file): left in place, their events in no other count.</summary>
    public IReadOnlyList<string> FilesLeftInPlace { get; init; } = [];

    /// <summary>Gets the events read and neither delivered nor kept: without a spool, or stopped before the buffer took them.</summary>
    public required long NotDelivered { get; init; }

    /// <summary>
    /// Gets the events the buffer took and did not deliver, without a spool (with one, they are in <see cref="Spooled"/>):
    /// lost, and spread over the lines read, so that no line is one to go on from. Part of <see cref="NotDelivered"/>.
    /// </summary>
    public long TakenNotDelivered { get; init; }

    /// <summary>
    /// Gets the batches not delivered whose upload was sent in full and got no answer (<see cref="SealedBatch.MayHaveBeenWritten"/>),
    /// each where it would be, <c>s3://bucket/key</c>, with its events: S3 may hold them, so shipping them again may store
    /// them twice; these are the objects to look for first.
    /// </summary>
    public IReadOnlyList<(string Location, long Events)> MayHaveLandedObjects { get; init; } = [];

    /// <summary>Gets the events of <see cref="MayHaveLandedObjects"/>.</summary>
    public long MayHaveLanded => MayHaveLandedObjects.Sum(batch => batch.Events);

    /// <summary>
    /// Gets the batches whose upload was under way when ship stopped waiting for the buffer (a second signal, or a stop
    /// past its time): counted as spooled or not delivered, but their PUT may still land, and then the spool no longer
    /// holds them, before the process ends.
    /// </summary>
    public int UploadsLeftUnderWay { get; init; }

    /// <summary>Gets the events of <see cref="UploadsLeftUnderWay"/>.</summary>
    public long UploadingEventsLeft { get; init; }

    /// <summary>
    /// Gets the events of the batches not being uploaded when ship stopped waiting for the buffer whose last upload was
    /// sent in full and got no answer: <see cref="MayHaveLanded"/>'s, where the buffer, still stopping, could not hand
    /// its batches over to be named.
    /// </summary>
    public long UnansweredEventsLeft { get; init; }

    /// <summary>Gets the events not delivered whose upload was sent in full and got no answer, named or not.</summary>
    private long Unanswered => MayHaveLanded + UnansweredEventsLeft;

    /// <summary>
    /// Gets the events not delivered that may be in the bucket all the same, without a spool: those of the batches whose
    /// upload was sent in full and got no answer (<see cref="MayHaveLanded"/>, <see cref="UnansweredEventsLeft"/>), and of those whose upload was under way
    /// when ship stopped waiting (<see cref="UploadingEventsLeft"/>). Part of <see cref="NotDelivered"/>; the rest of it
    /// is surely not in the bucket. (With a spool the ones under way are counted as spooled, and the next run sends them
    /// unless they landed.)
    /// </summary>
    public long MayBeInTheBucket(bool spool) => spool ? 0 : Unanswered + UploadingEventsLeft;

    /// <summary>Gets the spool files moved to the spool's <c>quarantine/</c> folder (not delivered): those recovery could not read or trust at start, and sealed files that changed on disk before their delivery.</summary>
    public int Quarantined { get; init; }

    /// <summary>
    /// Gets or sets whether nothing of <see cref="Quarantined"/> held a batch (a folder, the spool's lock, stray files, a
    /// copy of a batch the spool delivers under its own name): no event of it is missing, and none is to be shipped again.
    /// </summary>
    public bool QuarantinedHeldNoBatch { get; set; }

    /// <summary>Gets what the buffer wrote: objects in the customer's bucket, or, with a stage, in the staging bucket.</summary>
    public required IReadOnlyList<BatchReceipt> Written { get; init; }

    /// <summary>
    /// Gets the batches sealed early because the open-file limit bounds the batches open at once with a spool
    /// (<see cref="OpenFileLimit.Bounds"/>), and that bound: zero when none was, or the limit bounds nothing.
    /// </summary>
    public (long Batches, int OpenBatches) SealedEarly { get; set; }

    /// <summary>Gets the objects written and the days they are of (their folders: <c>{source}/{day}/</c>).</summary>
    public (int Objects, int Days) ObjectsAndDays() =>
        (Written.Count, Written.Select(receipt => receipt.Location[..(receipt.Location.LastIndexOf('/') + 1)]).Distinct(StringComparer.Ordinal).Count());

    /// <summary>The warning of <see cref="SealedEarly"/>, for stderr, or <see langword="null"/> when there is none.</summary>
    public string? SealedEarlyWarning()
    {
        (int objects, int days) = ObjectsAndDays();
        return SealedEarly.Batches > 0 ? OpenFileLimit.SealedEarly(SealedEarly.Batches, SealedEarly.OpenBatches, objects, days) : null;
    }

    /// <summary>Gets the objects the copier pass wrote to the customer's bucket (with --stage-bucket).</summary>
    public IReadOnlyList<UploadedObject>? Copied { get; set; }

    /// <summary>
    /// Gets the events counted as delivered, staged or spooled beyond those read: with a spool, what an earlier run left
    /// there. Negative when events read are missing from every count (which would be a fault).
    /// </summary>
    public long FromEarlierRuns => Delivered + Staged + Rejected + Spooled + QuarantinedEvents + NotDelivered - Read;

    /// <summary>
    /// Takes the counts from the reading loop, the buffer's receipts and the buffer itself. After a clean stop the buffer
    /// hands over the batches it could not deliver (without a spool); after a stop that did not end in time it is only
    /// asked for its status.
    /// </summary>
    /// <param name="counters">The reading loop's counts.</param>
    /// <param name="receipts">The buffer's receipts so far (read after the buffer's status: see below).</param>
    /// <param name="buffer">The buffer, stopped or still stopping.</param>
    /// <param name="spool">Whether the run has a spool.</param>
    /// <param name="stopped">Whether the buffer stopped within its time.</param>
    /// <param name="locate">Where a batch is written in the customer's bucket: <c>s3://bucket/key</c>. (Only a PUT to the customer's bucket can leave a batch that may have been written: a staged batch is written again under the same key.)</param>
    public static ShipSummary Take(ShipCounters counters, IReadOnlyCollection<BatchReceipt> receipts, BatchBuffer buffer, bool spool, bool stopped, Func<SealedBatch, string> locate)
    {
        DeliveryStatus status = buffer.GetStatus();

        // A batch's receipt comes before the buffer counts it delivered (its spool files are deleted in between), so a
        // run that quits at once may find a batch in the receipts that the status still holds as uploading. Reading the
        // receipts after the status, every batch the status counts delivered is among them, and the rest of them are
        // those still held: counted once, as delivered.
        BatchReceipt[] written = [.. receipts];
        long receiptedBatches = Math.Max(0, written.Length - status.DeliveredBatches);
        long receiptedEvents = Math.Max(0, written.Sum(receipt => receipt.EventCount) - status.DeliveredEvents);
        long inMemory = 0;
        var mayHaveLanded = new List<(string Location, long Events)>();
        if (stopped)
        {
            foreach (SealedBatch batch in buffer.TakeUndeliveredBatches())
            {
                inMemory += batch.EventCount;
                if (batch.MayHaveBeenWritten)
                {
                    mayHaveLanded.Add((locate(batch), batch.EventCount));
                }

                batch.Dispose();
            }
        }
        else if (!spool)
        {
            inMemory = status.UndeliveredEvents - receiptedEvents;
        }

        // With a spool, sealed batches and open journals are on disk, and so are the batches handed back from memory (a
        // failed save to the spool keeps a batch's journal until it is delivered: the next run seals and delivers it);
        // without one, what the buffer still holds is lost.
        long held = status.UndeliveredEvents - (stopped ? 0 : receiptedEvents) - inMemory + status.OpenEvents;
        return new ShipSummary
        {
            Read = counters.LinesRead,
            Blank = counters.BlankLines,
            BytesRead = counters.BytesRead,
            Delivered = written.Sum(receipt => receipt.EventCount),
            Rejected = counters.Rejected,
            Spooled = spool ? held + inMemory : 0,
            NotDelivered = (spool ? 0 : inMemory + held) + counters.Interrupted + counters.InFlight,
            TakenNotDelivered = spool ? 0 : inMemory + held,
            MayHaveLandedObjects = spool ? [] : [.. mayHaveLanded.OrderBy(batch => batch.Location, StringComparer.Ordinal)],
            Quarantined = status.QuarantinedFiles,
            QuarantinedEvents = status.QuarantinedEvents,
            DeliveredJournalsLeft = status.DeliveredJournalsLeft,
            FilesLeftInPlace = status.FilesLeftInPlace,
            UploadsLeftUnderWay = stopped ? 0 : (int)(status.UploadingBatches - receiptedBatches),
            UploadingEventsLeft = stopped ? 0 : status.UploadingEvents - receiptedEvents,
            UnansweredEventsLeft = stopped || spool ? 0 : status.UnansweredEvents,
            Written = written,
        };
    }

    /// <summary>
    /// The summary's counts in one line, <c>events read 50, delivered 50, rejected 0, not delivered 0</c> (staged and
    /// spooled when the run has them), for stderr when standard output can't take the summary.
    /// </summary>
    /// <param name="spool">Whether the run has a spool.</param>
    public string Counts(bool spool) =>
        $"events read {Read}, delivered {Delivered}, rejected {Rejected}"
        + (Copied is null ? string.Empty : $", staged {Staged}")
        + (spool ? $", spooled {Spooled}" : string.Empty)
        + (QuarantinedEvents > 0 ? $", set aside {QuarantinedEvents}" : string.Empty)
        + $", not delivered {NotDelivered}";

    /// <summary>
    /// Where the spool set aside the files it could not read or trust (<see cref="Quarantined"/>), for the summary and the
    /// last line: moved to its <c>quarantine/</c>, or, what stood where the spool keeps its own (a <c>tmp/</c> that is a
    /// link), renamed beside it in the spool's folder.
    /// </summary>
    public static string SetAside(string? spoolDirectory) =>
        $"moved to '{Path.Combine(spoolDirectory ?? string.Empty, SpoolPaths.QuarantineFolder)}', or renamed to '{{name}}.untrusted-{{id}}' in '{spoolDirectory}', as the warnings above name each";

    /// <summary>Prints the counts, then the objects written.</summary>
    public async Task PrintAsync(TextWriter stdout, string? spoolDirectory)
    {
        await stdout.WriteLineAsync($"events read:      {Read}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"events delivered: {Delivered}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"events rejected:  {Rejected}").ConfigureAwait(false);
        if (Copied is not null)
        {
            await stdout.WriteLineAsync($"events staged:    {Staged} (still in the staging bucket)").ConfigureAwait(false);
        }

        if (spoolDirectory is not null)
        {
            await stdout.WriteLineAsync($"events spooled:   {Spooled}{(Spooled > 0 ? $" (in {ShipCommand.SpoolDir.Name} '{spoolDirectory}': run ship again with it to deliver them)" : string.Empty)}").ConfigureAwait(false);
        }

        if (QuarantinedEvents > 0)
        {
            await stdout.WriteLineAsync($"events set aside: {QuarantinedEvents} (read, but their spool files changed on disk before delivery and were quarantined: see below)").ConfigureAwait(false);
        }

        await stdout.WriteLineAsync($"not delivered:    {NotDelivered}{(NotDelivered > 0 ? NotDeliveredReason(spoolDirectory) : string.Empty)}").ConfigureAwait(false);
        foreach ((string location, long events) in MayHaveLandedObjects)
        {
            await stdout.WriteLineAsync($"  may be at {location} ({Counted.Of(events, "event")})").ConfigureAwait(false);
        }

        if (UploadsLeftUnderWay > 0)
        {
            // Counted above as kept (or lost), as the buffer held them; their PUT, already sent, may land all the same.
            string counted = spoolDirectory is null ? "not delivered" : "spooled";
            string then = spoolDirectory is null ? string.Empty : ", and then the spool no longer holds them: the next run neither sends nor counts them";
            await stdout.WriteLineAsync($"uploading:        {Counted.Of(UploadsLeftUnderWay, "batch")} of the events {counted} {Counted.Either(UploadsLeftUnderWay, "was", "were")} being uploaded when ship stopped waiting: {Counted.Either(UploadsLeftUnderWay, "it", "they")} may be in the bucket all the same{then}").ConfigureAwait(false);
        }

        if (SealedEarly.Batches > 0)
        {
            (int objects, int days) = ObjectsAndDays();
            await stdout.WriteLineAsync(OpenFileLimit.SealedEarlyLine(SealedEarly.Batches, SealedEarly.OpenBatches, objects, days)).ConfigureAwait(false);
        }

        if (FromEarlierRuns != 0)
        {
            await stdout.WriteLineAsync(FromEarlierRuns > 0
                ? $"earlier runs:     {FromEarlierRuns} (events an earlier run left in the spool, delivered or kept now)"
                : $"unaccounted:      {-FromEarlierRuns} (events read that no count holds: please report this)").ConfigureAwait(false);
        }

        if (Blank > 0)
        {
            await stdout.WriteLineAsync($"blank lines:      {Blank} (not events: passed over, in no count above)").ConfigureAwait(false);
        }

        if (Quarantined > 0 && QuarantinedHeldNoBatch)
        {
            await stdout.WriteLineAsync($"quarantined:      {Quarantined} {Counted.Either(Quarantined, "entry", "entries")} of the spool that held no batch ({SetAside(spoolDirectory)}): no event of {Counted.Either(Quarantined, "it", "them")} is missing. Look at each, then delete {Counted.Either(Quarantined, "it", "them")}.").ConfigureAwait(false);
        }
        else if (Quarantined > 0)
        {
            // Events in no count (recovery could not read or trust them): a person decides what becomes of them.
            await stdout.WriteLineAsync($"quarantined:      {Counted.Of(Quarantined, "file")} of the spool, not delivered ({SetAside(spoolDirectory)}). Look at each: lines that are sound can be shipped again (gunzip -c a .gz file, or cat a .ndjson journal, into rawdata ship with the {ShipCommand.SourceId.Name} its warning names); delete the files once done.").ConfigureAwait(false);
        }

        await stdout.WriteLineAsync($"bytes in:         {BytesRead} (input)").ConfigureAwait(false);
        if (Copied is null)
        {
            await stdout.WriteLineAsync($"bytes out:        {Written.Sum(o => o.CompressedBytes)} (gzip, {Written.Sum(o => o.UncompressedBytes)} of NDJSON)").ConfigureAwait(false);
            await stdout.WriteLineAsync($"objects written:  {Written.Count}").ConfigureAwait(false);
            foreach (BatchReceipt receipt in Written.OrderBy(o => o.Location, StringComparer.Ordinal))
            {
                await stdout.WriteLineAsync($"  {receipt.Location} ({Counted.Of(receipt.EventCount, "event")}, {Counted.Of(receipt.CompressedBytes, "byte")})").ConfigureAwait(false);
            }
        }
        else
        {
            await stdout.WriteLineAsync($"bytes out:        {Copied.Sum(o => o.CompressedBytes)} (gzip, {Copied.Sum(o => o.UncompressedBytes)} of NDJSON)").ConfigureAwait(false);
            await stdout.WriteLineAsync($"objects written:  {Copied.Count}").ConfigureAwait(false);
            foreach (UploadedObject uploaded in Copied.OrderBy(o => o.Key, StringComparer.Ordinal))
            {
                await stdout.WriteLineAsync($"  {uploaded.Location} ({Counted.Of(uploaded.EventCount, "event")}, {Counted.Of(uploaded.CompressedBytes, "byte")})").ConfigureAwait(false);
            }
        }

        await stdout.FlushAsync().ConfigureAwait(false);
    }

    private string NotDeliveredReason(string? spoolDirectory) => spoolDirectory is not null
        ? " (read, but stopped before the spool took them)"
        : $" (read, but not delivered when ship stopped; without {ShipCommand.SpoolDir.Name} nothing keeps them"
            + (MayBeInTheBucket(spool: false) == 0 ? string.Empty : $". {MayBeInTheBucket(spool: false)} of them may be in the bucket all the same: {WhyMayBeInTheBucket()}, "
                + "so shipping them again may store them twice"
                + (Unanswered == 0 ? string.Empty : $"; with {ShipCommand.SpoolDir.Name}, a later run writes the same objects again, never new ones")
                + SurelyNot())
            + ")";

    /// <summary>The rest of <see cref="NotDelivered"/>, past <see cref="MayBeInTheBucket"/>, without a spool: <c>; the other 20 surely are not</c>, or nothing when there is none.</summary>
    public string SurelyNot()
    {
        long others = NotDelivered - MayBeInTheBucket(spool: false);
        return others > 0 ? $"; the other {others} surely {Counted.Either(others, "is", "are")} not" : string.Empty;
    }

    /// <summary>
    /// Why the events of <see cref="MayBeInTheBucket"/> may be there, without a spool: <c>their upload was sent in full
    /// and got no answer</c>, <c>their upload was under way when ship stopped waiting</c>, or each with its count.
    /// </summary>
    public string WhyMayBeInTheBucket()
    {
        const string NoAnswer = "upload was sent in full and got no answer";
        const string UnderWay = "upload was under way when ship stopped waiting";
        return (Unanswered, UploadingEventsLeft) switch
        {
            (0, _) => $"{Counted.Either(UploadingEventsLeft, "its", "their")} {UnderWay}",
            (_, 0) => $"{Counted.Either(Unanswered, "its", "their")} {NoAnswer}",
            _ => $"{Unanswered} because their {NoAnswer}, {UploadingEventsLeft} because their {UnderWay}",
        };
    }
}
