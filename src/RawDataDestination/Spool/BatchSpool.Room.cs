using System.Globalization;
using Microsoft.Extensions.Logging;
using RawDataDestination.Internal;

namespace RawDataDestination.Spool;

/// <summary>
/// The spool's room: its byte limit (<c>MaxSpoolBytes</c>), and its file system out of room (<c>ENOSPC</c>, a quota,
/// <c>ERROR_DISK_FULL</c>), the same situation as the limit reached, so <see cref="SpoolFullMode"/> applies to both. A write that fails so marks the disk full
/// (one warning), the next write that succeeds marks it with room again (one line); an append refused so either throws
/// <see cref="SpoolFullException"/> (<see cref="SpoolFullMode.Fail"/>) or waits and writes again
/// (<see cref="SpoolFullMode.Wait"/>). The pair of lines is said at most once a minute (BatchSpool.DiskFullLines.cs).
/// </summary>
internal sealed partial class BatchSpool
{
    /// <summary>
    /// How long an append waiting for room on a full disk waits before it tries its write again, when no delivery has
    /// freed room meanwhile: the disk may be filled, and freed, by someone else, whom no delivery wakes.
    /// </summary>
    internal static readonly TimeSpan DiskFullRetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>The least free space a disk marked full must have again to be marked with room, and the least room under MaxSpoolBytes that ends appends' waits at it.</summary>
    internal const long RoomAgainBytes = 64 * 1024;

    private const string DiskFullMark = "RawDataDestination.SpoolDiskFull";

    /// <summary>
    /// The part of its disk's room the spool may fill when MaxSpoolBytes is more (<see cref="Limit"/>): 4/5, so the
    /// <see cref="ExtraRoom"/> the lanes that deliver may take past it (at most 1/4 of it: the failing lanes keep 3/4)
    /// is still on the disk.
    /// </summary>
    internal const double DiskRoomLimitShare = 0.8;

    private readonly Func<long?>? _freeBytes; // the file system's free bytes, as tests give them; null: the file system's own
    private long _diskRoom = long.MaxValue; // DiskRoom
    private long _diskFullSinceTicks; // UTC ticks; 0 while writes go through
    private long _saveFailureLoggedFor; // the _diskFullSinceTicks of the disk-full spell whose first failed save was logged in full
    private long _refusedBytes; // the largest write refused since the disk was marked full
    private long _limitWaitSinceTicks; // UTC ticks since appends wait at MaxSpoolBytes; 0 while none does
    private int _appendsWaiting; // under _roomLock: the appends waiting for room now
    private ClockReading? _appendsWaitingSince; // under _roomLock: since when some append has waited, without a break

    /// <summary>Gets since when the spool's file system has refused writes for want of room, or <see langword="null"/> while it takes them.</summary>
    public DateTimeOffset? DiskFullSince => Interlocked.Read(ref _diskFullSinceTicks) is var ticks and not 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>
    /// Whether a failed save of a sealed batch is the one to log in full (with its exception, at Error): any save that did
    /// not fail for want of room, and the first of each spell of a full disk. While the disk stays full every seal's save
    /// fails (thousands a minute, each batch then delivered from memory), and one line with a stack trace each said nothing new.
    /// </summary>
    internal bool IsSaveFailureToLog(Exception exception)
    {
        long since = Interlocked.Read(ref _diskFullSinceTicks);
        return !IsSpoolDiskFull(exception) || since == 0 || Interlocked.Exchange(ref _saveFailureLoggedFor, since) != since;
    }

    /// <summary>
    /// Gets since when appends have waited for room without a break (<see cref="SpoolFullMode.Wait"/>: at MaxSpoolBytes,
    /// or on a full disk), or <see langword="null"/> while none waits. Only a delivery frees room that no one else frees:
    /// the retry budget's rule (DeliveryStage.Waiting.cs) gives up on appends that have waited for it with nothing delivered.
    /// </summary>
    public ClockReading? AppendsWaitingSince
    {
        get
        {
            lock (_roomLock)
            {
                return _appendsWaitingSince;
            }
        }
    }

    /// <summary>An append begins to wait for room (<see cref="AppendsWaitingSince"/>); <see cref="AppendStopsWaiting"/> follows once its wait ends, however it ends.</summary>
    internal void AppendWaits()
    {
        lock (_roomLock)
        {
            if (_appendsWaiting++ == 0)
            {
                _appendsWaitingSince = ClockReading.Now(_time);
            }
        }
    }

    /// <summary>An append's wait for room ended: it went on, threw or was cancelled.</summary>
    internal void AppendStopsWaiting()
    {
        lock (_roomLock)
        {
            if (--_appendsWaiting == 0)
            {
                _appendsWaitingSince = null;
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="exception"/>, from a write, says the file system is out of room: <c>ENOSPC</c> or
    /// <c>EDQUOT</c> (.NET gives the <c>errno</c> as the HResult on Linux and macOS), or <c>ERROR_DISK_FULL</c> or
    /// <c>ERROR_HANDLE_DISK_FULL</c> on Windows.
    /// </summary>
    public static bool IsDiskFull(Exception exception) =>
        exception is IOException and not SpoolFullException && (OperatingSystem.IsWindows()
            ? exception.HResult is unchecked((int)0x80070070) or unchecked((int)0x80070027)
            : exception.HResult == 28 || exception.HResult == (OperatingSystem.IsLinux() ? 122 : 69));

    /// <summary>
    /// Whether <paramref name="exception"/> is a write of the spool's own that its disk refused for want of room
    /// (<see cref="WriteFailed"/> marked it): not one of another file's, such as a round observer's record on another disk.
    /// </summary>
    public static bool IsSpoolDiskFull(Exception exception) => exception is IOException && exception.Data.Contains(DiskFullMark);

    /// <summary>Gets the free bytes of the spool's file system for this process, or <see langword="null"/> when it cannot be read.</summary>
    public long? FreeBytes()
    {
        if (_freeBytes is not null)
        {
            return _freeBytes();
        }

        try
        {
            return new DriveInfo(RootPath).AvailableFreeSpace;
        }
#pragma warning disable CA1031 // Only said in messages: a file system that cannot tell its free space is no error here.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    /// <summary>
    /// Gets or sets the bytes past its <see cref="Limit"/> the spool may still take: what the failing lanes keep past their
    /// share (DeliveryStage.SpoolShare.cs), so the lanes that deliver keep their quarter even when the failing lanes filled
    /// the spool before they were known to fail; never past the room its disk has (<see cref="DiskRoom"/>). <see langword="null"/>: none.
    /// </summary>
    internal Func<long>? ExtraRoom { get; set; }

    /// <summary>Gets whether an append waits for room (<see cref="SpoolFullMode.Wait"/>) rather than failing.</summary>
    public bool WaitsWhenFull => _fullMode == SpoolFullMode.Wait;

    /// <summary>
    /// Gets the spool's room on its disk at the last reading: the bytes it holds and the free bytes of its file system then
    /// (<see cref="long.MaxValue"/>: unknown). Read at start, at each seal (<see cref="SaveSealedAsync"/>), and again
    /// when an append finds no room under the <see cref="Limit"/> it sets: someone else may have taken or freed room
    /// since. The spool's own writes and deletes do not change it (they move bytes between the two).
    /// </summary>
    public long DiskRoom => Interlocked.Read(ref _diskRoom);

    /// <summary>
    /// Gets the most the spool holds before appends meet <see cref="SpoolFullMode"/>: MaxSpoolBytes, or
    /// <see cref="DiskRoomLimitShare"/> of its <see cref="DiskRoom"/> when that is less. A MaxSpoolBytes past the disk's
    /// room let the failing lanes fill the disk itself, and the quarter of the lanes that deliver, taken past the limit
    /// (<see cref="ExtraRoom"/>), was room the disk did not have: each of their appends then sealed its batch at once (QA
    /// F5: one S3 object per event for every healthy customer).
    /// </summary>
    public long Limit => LimitOf(DiskRoom);

    /// <summary>Says what sets the <see cref="Limit"/>, for messages: MaxSpoolBytes, or the room on the spool's disk.</summary>
    public string LimitSays => LimitOf(DiskRoom) is var limit && limit < _maxBytes
        ? string.Create(CultureInfo.InvariantCulture, $"4/5 of the room on its disk, {DiskRoom} bytes, as MaxSpoolBytes {_maxBytes} is more")
        : "MaxSpoolBytes";

    /// <summary>
    /// Whether the spool has room for <paramref name="bytes"/> more: under its <see cref="Limit"/>, or under it and the
    /// <see cref="ExtraRoom"/> and within its disk's room. When it has none, the disk's room is read again first.
    /// </summary>
    public bool HasRoomFor(long bytes) => Fits(bytes, DiskRoom) || DiskRoom != long.MaxValue && Fits(bytes, ReadDiskRoom());

    private bool Fits(long bytes, long diskRoom)
    {
        long after = Bytes + bytes;
        long limit = LimitOf(diskRoom);
        return after <= limit || after <= Math.Min(limit + (ExtraRoom?.Invoke() ?? 0), diskRoom);
    }

    private long LimitOf(long diskRoom) => diskRoom == long.MaxValue ? _maxBytes : Math.Min(_maxBytes, (long)(diskRoom * DiskRoomLimitShare));

    /// <summary>Reads the spool's room on its disk (<see cref="DiskRoom"/>) now.</summary>
    private long ReadDiskRoom()
    {
        long room = FreeBytes() is { } free ? Bytes + free : long.MaxValue;
        Interlocked.Exchange(ref _diskRoom, room);
        return room;
    }

    /// <summary>
    /// A sealed file waiting for delivery was found gone (deleted by someone else): it no longer counts in the spool, as
    /// if deleted (<see cref="DeleteSealed"/>), and a checksum left without it goes.
    /// </summary>
    public void SealedGone(string path, long bytes)
    {
        Change(() =>
        {
            if (File.Exists(path + SpoolPaths.ChecksumExtension))
            {
                File.Delete(path + SpoolPaths.ChecksumExtension);
            }
        });
        Interlocked.Decrement(ref _sealedCount);
        Freed(bytes);
    }

    /// <summary>Wakes the appends waiting for room to look again: the room they may take changed (<see cref="ExtraRoom"/>).</summary>
    internal void RoomChanged() => Freed(0);

    /// <summary>
    /// Waits (or fails, by <see cref="SpoolFullMode"/>) until the spool has room for <paramref name="bytes"/> more. Before
    /// each wait, <paramref name="makeRoom"/> (SealPolicy.SpoolRoom.cs) seals open batches, whose sealed files deliver and
    /// free room: nothing else might. The first wait logs once, naming <see cref="LimitHolders"/>, and the end of the waits once.
    /// </summary>
    public async ValueTask WaitForRoomAsync(long bytes, Func<CancellationToken, ValueTask>? makeRoom, CancellationToken cancellationToken)
    {
        bool waiting = false;
        try
        {
            while (!HasRoomFor(bytes))
            {
                bool byDisk = Limit < _maxBytes;
                if (_fullMode == SpoolFullMode.Fail)
                {
                    throw new SpoolFullException(byDisk
                        ? $"The spool at '{RootPath}' holds {Bytes} bytes, at its limit of {Limit} bytes ({LimitSays}; {Free()}): deliveries are behind. Retry later, free room on that file system or move SpoolDirectory to a larger one, or use SpoolFullMode.Wait."
                        : $"The spool at '{RootPath}' holds {Bytes} bytes, at its limit of {_maxBytes} bytes (MaxSpoolBytes): deliveries are behind. Retry later, raise MaxSpoolBytes, or use SpoolFullMode.Wait.");
                }

                if (!waiting)
                {
                    waiting = true;
                    AppendWaits();
                }

                Task freed;
                lock (_roomLock)
                {
                    freed = _roomFreed.Task;
                }

                if (Interlocked.CompareExchange(ref _limitWaitSinceTicks, Math.Max(1, _time.GetUtcNow().UtcTicks), 0) == 0)
                {
                    LogEvents.SpoolLimitReached(_logger, RootPath, Bytes, Limit, LimitSays, LimitHolders?.Invoke() ?? "no lane is failing");
                }

                if (makeRoom is not null)
                {
                    await makeRoom(cancellationToken).ConfigureAwait(false);
                }

                if (!HasRoomFor(bytes))
                {
                    // A limit the disk's room sets moves when someone else frees (or takes) room, whom no delivery wakes.
                    await (byDisk ? WhenFreedOrTickAsync(freed, cancellationToken) : freed.WaitAsync(cancellationToken)).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (waiting)
            {
                AppendStopsWaiting();
            }
        }

        // Said once room is back for more than a line or two, not each time one append's wait ends at the limit.
        if (Interlocked.Read(ref _limitWaitSinceTicks) != 0 && HasRoomFor(RoomAgainBytes) && Interlocked.Exchange(ref _limitWaitSinceTicks, 0) is var since and not 0)
        {
            TimeSpan waited = _time.GetUtcNow() - new DateTimeOffset(since, TimeSpan.Zero);
            LogEvents.SpoolLimitHasRoom(_logger, RootPath, waited < TimeSpan.Zero ? TimeSpan.Zero : waited, Bytes);
        }
    }

    /// <summary>Gets or sets who holds the spool, for the line logged when appends start waiting at MaxSpoolBytes: the failing lanes that keep the most.</summary>
    internal Func<string>? LimitHolders { get; set; }

    /// <summary>
    /// An append's write failed with <paramref name="full"/> (<see cref="IsDiskFull"/>), its line not acknowledged: with
    /// <see cref="SpoolFullMode.Fail"/> throws <see cref="SpoolFullException"/>; with <see cref="SpoolFullMode.Wait"/>
    /// returns once a delivery frees room, or after <see cref="DiskFullRetryInterval"/>, for the append to write again
    /// (its token bounds the wait).
    /// </summary>
    public async ValueTask WaitForDiskRoomAsync(IOException full, CancellationToken cancellationToken)
    {
        if (_fullMode == SpoolFullMode.Fail)
        {
            throw new SpoolFullException(
                $"The spool's disk at '{RootPath}' is full ({Free()}; the spool holds {Bytes} bytes of its MaxSpoolBytes {_maxBytes}): the event was not accepted. Deliveries free room as they go; retry later, free room on that file system or move SpoolDirectory to a larger one, or use SpoolFullMode.Wait.",
                full);
        }

        Task freed;
        lock (_roomLock)
        {
            freed = _roomFreed.Task;
        }

        await WhenFreedOrTickAsync(freed, cancellationToken).ConfigureAwait(false); // the disk's own room may come back, freed by someone else
    }

    /// <summary>Returns once <paramref name="freed"/> completes (a delivery freed room) or <see cref="DiskFullRetryInterval"/> has passed.</summary>
    private async Task WhenFreedOrTickAsync(Task freed, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task tick = Task.Delay(DiskFullRetryInterval, _time, stop.Token);
        await Task.WhenAny(freed, tick).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await tick.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// A write of <paramref name="bytes"/> to the spool failed: when for want of room, the disk is marked full (logged
    /// once, until it has room again).
    /// </summary>
    internal void WriteFailed(Exception exception, long bytes)
    {
        if (!IsDiskFull(exception))
        {
            return;
        }

        exception.Data[DiskFullMark] = RootPath;
        InterlockedMax(ref _refusedBytes, bytes);
        MarkDiskFull(); // BatchSpool.DiskFullLines.cs: said at most once a minute
    }

    /// <summary>
    /// A write to the spool went through. A disk marked full has room again once its free space also takes the largest
    /// write it refused (at least <see cref="RoomAgainBytes"/>): a nearly full disk still takes a write into the last page
    /// of a file, and the disk would be said to have room, then to be full, over and over.
    /// </summary>
    private void Written()
    {
        if (Interlocked.Read(ref _diskFullSinceTicks) == 0 || FreeBytes() is { } free && free < Math.Max(RoomAgainBytes, Interlocked.Read(ref _refusedBytes)))
        {
            return;
        }

        MarkDiskHasRoom(); // BatchSpool.DiskFullLines.cs
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen = Interlocked.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var was && was != seen)
        {
            seen = was;
        }
    }

    /// <summary>At start: warns when MaxSpoolBytes is more than the spool's disk has room for, so the disk's room sets its <see cref="Limit"/>.</summary>
    private void WarnIfLimitPastFreeSpace()
    {
        if (DiskRoom != long.MaxValue && Limit < _maxBytes)
        {
            LogEvents.SpoolLimitPastFreeSpace(_logger, _maxBytes, RootPath, DiskRoom - Bytes, Bytes, Limit);
        }
    }

    private string Free() => FreeBytes() is { } free ? $"{free} bytes free" : "its free space unknown";
}
