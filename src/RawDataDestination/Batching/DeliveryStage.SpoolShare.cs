using System.Globalization;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// The failing lanes' share of the spool: the one rule that keeps a broken customer's kept batches from taking the room
/// the customers that deliver need. Lanes that are failing (their last attempt failed, batches waiting) together may keep
/// sealed batches in the spool up to <see cref="FailingLanesSpoolShare"/> of its limit (<see cref="BatchSpool.Limit"/>:
/// <see cref="BatchBufferOptions.MaxSpoolBytes"/>, or less when the spool's disk has less room: computed on
/// MaxSpoolBytes alone, the share of a spool whose disk was smaller let the failing lanes fill the disk);
/// past that, an append into a failing lane meets <see cref="BatchBufferOptions.SpoolFullMode"/> (waits, or throws
/// <see cref="SpoolFullException"/> naming the lane), while appends into lanes that deliver go on up to the whole
/// limit (<see cref="BatchSpool.WaitForRoomAsync"/>). Lanes are known to fail only once an attempt ends (a
/// silent endpoint: its timeout), so their batches may fill the spool first: what they keep past their share is then
/// given to the lanes that deliver past the limit (<see cref="BatchSpool.ExtraRoom"/>, still on the disk: the limit the
/// disk's room sets is 4/5 of it), so those keep their quarter
/// and a broken customer never stops the others' intake; the open batches an append waiting for room seals
/// (SealPolicy.SpoolRoom.cs) bring the failing lanes' journals into their share.
/// </summary>
internal sealed partial class DeliveryStage
{
    /// <summary>The part of MaxSpoolBytes the failing lanes' kept batches may fill together: 3/4; the rest is kept for the lanes that deliver.</summary>
    internal const double FailingLanesSpoolShare = 0.75;

    /// <summary>How many of the failing lanes that hold the most a <see cref="SpoolFullException"/> names.</summary>
    private const int FailingLanesNamed = 3;

    private readonly bool _spoolFailWhenFull;
    private bool _stopping;

    /// <summary>
    /// The bytes the failing lanes' batches keep in the spool together, kept as lanes fail and recover and batches come
    /// and go, so no append sums every lane: written under the lock, read without it while under the share (an append
    /// beside the write that spends it may still go in: the share is a soft bound; MaxSpoolBytes itself is kept by the spool).
    /// </summary>
    private long _failingLanesSpooledBytes;

    /// <summary>
    /// Gets or sets what sums the bytes of the open batches (their journals) of the sources it is given a test for
    /// (SealPolicy.OpenBytesOf); <see langword="null"/>: none are counted.
    /// </summary>
    internal Func<Func<string, bool>, long>? OpenBytesOf { get; set; }

    /// <summary>
    /// With a spool, lets an append into <paramref name="laneKey"/> go on unless the lane is failing and the failing lanes'
    /// batches hold their share of the spool (<see cref="FailingLanesSpoolShare"/>): their sealed batches (or the journals
    /// kept for those the disk could not take) and their open batches' journals, which alone filled the spool between
    /// scheduled seals and made every lane's appends seal their batches at the limit. Then, by SpoolFullMode, it throws
    /// <see cref="SpoolFullException"/> or waits until the share has room again (a failing lane's batch delivered,
    /// quarantined or taken) or the lane delivers again. The wait ends with <paramref name="cancellationToken"/>, and with
    /// <see cref="ObjectDisposedException"/> once the buffer stops. It holds no partition's gate, so flushes and seals go on.
    /// </summary>
    public async ValueTask WaitForSpoolShareAsync(string laneKey, CancellationToken cancellationToken)
    {
        if (_spool is null || _spool.Bytes < FailingSpoolShare)
        {
            return; // the common case, whichever the lane: the whole spool holds less than the share, and no lock is taken
        }

        while (true)
        {
            Task changed;
            long held;
            HashSet<LaneId> failing;
            lock (_lock)
            {
                if (!_lanes.TryGetValue(new LaneId(laneKey, Unrouted: false), out Lane? lane) || lane.FailingSince is null)
                {
                    return;
                }

                held = _failingLanesSpooledBytes;
                failing = [.. _lanes.Where(l => l.Value.FailingSince is not null).Select(l => l.Key)];
                changed = _changed.Task;
            }

            if (held < FailingSpoolShare && OpenBytesOf is { } openBytesOf)
            {
                held += openBytesOf(sourceId => failing.Contains(RouteOf(sourceId).Lane)); // routes asked outside the lock
            }

            if (held < FailingSpoolShare)
            {
                return;
            }

            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_stopping, typeof(BatchBuffer));
                if (_spoolFailWhenFull && _lanes.TryGetValue(new LaneId(laneKey, Unrouted: false), out Lane? lane) && lane.FailingSince is not null)
                {
                    throw new SpoolFullException(ShareSpentMessageLocked(lane, held));
                }
            }

            // Counted as an append waiting for room, as at the spool's limit: the status says so, and the wait spends the
            // retry budget while nothing is delivered (DeliveryStatus.SpoolRoomWaitSince).
            _spool.AppendWaits();
            try
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _spool.AppendStopsWaiting();
            }
        }
    }

    /// <summary>
    /// Gives the spool the room past MaxSpoolBytes that the lanes that deliver may take (the failing lanes' bytes past
    /// their share), and who holds the spool, for its line when appends wait at the limit.
    /// </summary>
    private void GiveBackSpoolQuarter()
    {
        if (_spool is null)
        {
            return;
        }

        _spool.ExtraRoom = () => Math.Max(0, Volatile.Read(ref _failingLanesSpooledBytes) - FailingSpoolShare);
        _spool.LimitHolders = () =>
        {
            lock (_lock)
            {
                return FailingHoldersLocked() is { Length: > 0 } holders ? holders : "no lane is failing yet (an attempt still under way is not failing until it ends)";
            }
        };
    }

    /// <summary>Whether <paramref name="sourceId"/>'s lane delivers: it is not failing (its last attempt did not fail).</summary>
    public bool Delivers(string sourceId)
    {
        LaneId laneId = RouteOf(sourceId).Lane;
        lock (_lock)
        {
            return !_lanes.TryGetValue(laneId, out Lane? lane) || lane.FailingSince is null;
        }
    }

    /// <summary>Gets the failing lanes' share of the spool, in bytes: <see cref="FailingLanesSpoolShare"/> of its limit, as the spool last read its disk's room.</summary>
    private long FailingSpoolShare => (long)(_spool!.Limit * FailingLanesSpoolShare);

    /// <summary>
    /// Counts a batch kept in the spool in its lane (<paramref name="sign"/> 1, as it is taken) or no longer (-1, as it is
    /// forgotten): the room its sealed file and checksum take on the disk, or that of the journal kept for it while the disk
    /// could not take its sealed file (it is delivered from memory), in whole blocks as the spool counts them
    /// (BatchSpool.Blocks.cs). Uncounted, the kept journals of failing lanes filled a full disk with no share spent.
    /// </summary>
    private void CountSpooledLocked(PendingBatch batch, Lane lane, int sign)
    {
        if (sign > 0)
        {
            batch.SpooledBytes = _spool is null ? 0 : batch.SpoolPath is not null ? _spool.SealedRoom(batch.Manifest.CompressedBytes) : batch.KeptJournal is not null ? _spool.Allocated(batch.Manifest.NdjsonBytes) : 0;
        }

        long change = sign * batch.SpooledBytes;
        lane.SpooledBytes += change;
        if (lane.FailingSince is not null)
        {
            AddToFailingLanesSpooledLocked(change);
        }

        if (sign < 0)
        {
            batch.SpooledBytes = 0;
        }
    }

    /// <summary>
    /// Sets when <paramref name="lane"/>'s run of failures began, or ends it (<see langword="null"/>): the one place a lane
    /// starts or stops failing, which keeps the failing lanes' spooled bytes for the share.
    /// </summary>
    private void SetFailingSinceLocked(Lane lane, ClockReading? since)
    {
        bool wasFailing = lane.FailingSince is not null;
        lane.FailingSince = since;
        if (wasFailing == since is not null)
        {
            return;
        }

        AddToFailingLanesSpooledLocked(wasFailing ? -lane.SpooledBytes : lane.SpooledBytes);
    }

    private void AddToFailingLanesSpooledLocked(long change)
    {
        Volatile.Write(ref _failingLanesSpooledBytes, _failingLanesSpooledBytes + change);
        if (change > 0 && _failingLanesSpooledBytes > FailingSpoolShare)
        {
            _spool?.RoomChanged(); // past their share: the appends waiting at MaxSpoolBytes may now take what they keep past it
        }
    }

    /// <summary>The failing lanes' spooled bytes as kept, and as summed over every lane: for tests that the two agree.</summary>
    internal (long Kept, long Summed) FailingLanesSpoolCheck()
    {
        lock (_lock)
        {
            return (_failingLanesSpooledBytes, _lanes.Values.Where(l => l.FailingSince is not null).Sum(l => l.SpooledBytes));
        }
    }

    /// <summary>Wakes appends waiting for the failing lanes' share: the buffer is stopping, and nothing will give them room.</summary>
    private void StopSpoolShareWaits()
    {
        lock (_lock)
        {
            _stopping = true;
            SignalLocked();
        }
    }

    /// <summary>The failing lanes that keep the most in the spool, with their bytes, batches and since when they fail.</summary>
    private string FailingHoldersLocked() => string.Join("; ", _lanes.Values
        .Where(l => l.FailingSince is not null && l.SpooledBytes > 0)
        .OrderByDescending(l => l.SpooledBytes)
        .Take(FailingLanesNamed)
        .Select(l => string.Create(CultureInfo.InvariantCulture, $"'{l.Key}': {l.SpooledBytes} bytes in {Counted.Of(l.Undelivered, "batch")}, failing since {l.FailingSince!.Value.UtcTime:u}")));

    private string ShareSpentMessageLocked(Lane lane, long held)
    {
        string holders = FailingHoldersLocked();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"Lane '{lane.Key}' is failing (since {lane.FailingSince!.Value.UtcTime:u}: {lane.LastError?.Message}), and the failing lanes' batches (sealed and open) hold {held} bytes of the spool at '{_spool!.RootPath}', their share of it ({FailingSpoolShare} bytes, 3/4 of {_spool.LimitSays}); the rest is kept for the lanes that deliver. Held most by: {holders}. The event was not accepted. Fix the lane's destination, retry once it delivers again, raise MaxSpoolBytes, or use SpoolFullMode.Wait.");
    }
}
