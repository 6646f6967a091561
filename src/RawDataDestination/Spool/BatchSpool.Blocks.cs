namespace RawDataDestination.Spool;

/// <summary>
/// The spool counts each of its files at the room it takes on the disk: its length rounded up to whole blocks of its file
/// system (<see cref="FileSystemBlocks"/>), and a sealed batch with the checksum file beside it. Counted in bytes, the
/// limit and the failing lanes' share were met on paper long after the disk was full: a journal of one 200-byte line
/// takes a 4 KB block, and a small disk with many sources filled with the spool at a fifth of its limit (QA O1).
/// </summary>
internal sealed partial class BatchSpool
{
    /// <summary>Gets the size of the blocks the spool's file system gives its files, read once when it opens.</summary>
    public long BlockSize { get; private set; } = FileSystemBlocks.Fallback;

    /// <summary>Gets the room a file of <paramref name="length"/> bytes takes on the spool's disk: whole blocks (none for an empty file).</summary>
    public long Allocated(long length) => length <= 0 ? 0 : ((length - 1) / BlockSize + 1) * BlockSize;

    /// <summary>Gets the room a sealed batch of <paramref name="length"/> bytes takes on the spool's disk: its file's blocks and its checksum file's one.</summary>
    public long SealedRoom(long length) => Allocated(length) + BlockSize;

    /// <summary>Gets how much the room a journal takes grew as it went from <paramref name="before"/> bytes to <paramref name="after"/>: a block each time it passes into a new one.</summary>
    private long JournalGrowth(long before, long after) => Allocated(after) - Allocated(before);

    /// <summary>Reads the block size of the spool's file system (before anything is counted).</summary>
    private void ReadBlockSize() => BlockSize = FileSystemBlocks.Of(RootPath);
}
