namespace RawDataDestination.Spool;

/// <summary>
/// Told of each round of a journal's group commit just before its lines are written, with the marks their appends
/// carried, and of a round whose write failed (its lines are cut off the file again). A host that must know after a
/// crash, even <c>kill -9</c>, exactly which of its appends reached the journal records each round before it is written:
/// the whole lines found in the journal from that round's start are then the marks' lines, in order (rawdata's input
/// records, <c>samples/rawdata/InputCheckpoint.cs</c>). Called on the journal's flusher, one round at a time per journal:
/// an exception from <see cref="Writing"/> fails the round's appends; <see cref="Failed"/> must not throw.
/// </summary>
internal interface IJournalRoundObserver
{
    /// <summary>A round of <paramref name="marks"/>.Length lines is about to be written at <paramref name="start"/> of the journal.</summary>
    /// <param name="journalPath">The journal's file.</param>
    /// <param name="start">The journal's committed length: where the round's first line starts.</param>
    /// <param name="round">The round's bytes, as they are about to be written (an observer may hash them, to tell later whether the journal still holds them).</param>
    /// <param name="marks">Each line's mark, as its append gave it, in the order of the lines.</param>
    void Writing(string journalPath, long start, ReadOnlySpan<byte> round, ReadOnlySpan<long> marks);

    /// <summary>The round written at <paramref name="start"/> failed: none of its lines counts, and the journal was cut back to <paramref name="start"/>.</summary>
    /// <param name="journalPath">The journal's file.</param>
    /// <param name="start">Where the failed round started.</param>
    void Failed(string journalPath, long start);
}
