using RawDataDestination.Internal;

namespace RawDataDestination.Spool;

/// <summary>
/// The lines of a full disk (event 46) and of its room again (47): at most one pair per <see cref="DiskFullLinesEvery"/>.
/// A disk that hovers at full is full, then has room for a delivery's worth, then is full again, many times a minute
/// (QA O6: 51 pairs in a minute, some spells 0.3 ms long). A spell that starts within a minute of the last one said is
/// counted, not said; the next spell said is preceded by the count (event 75); a spell not said that lasts past the minute
/// is said at its next refused write, so a disk that stays full is never left logged as having room.
/// </summary>
internal sealed partial class BatchSpool
{
    /// <summary>The least time between two lines saying the spool's disk is full.</summary>
    internal static readonly TimeSpan DiskFullLinesEvery = TimeSpan.FromMinutes(1);

    private readonly object _diskFullLinesLock = new();
    private long _diskFullSaidAtTicks; // under _diskFullLinesLock: UTC ticks of the last event 46; 0: never
    private bool _spellSaid; // under _diskFullLinesLock: whether the spell of a full disk under way was said (46), so its end is (47)
    private bool _spellCounted; // under _diskFullLinesLock: whether it is counted among the spells not said
    private int _spellsNotSaid; // under _diskFullLinesLock: since the last event 46
    private DateTimeOffset _spellsNotSaidSince;
    private TimeSpan _longestNotSaid;

    /// <summary>A write failed for want of room: marks the disk full, or keeps it so; says so when it is time.</summary>
    private void MarkDiskFull()
    {
        lock (_diskFullLinesLock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            bool started = Interlocked.CompareExchange(ref _diskFullSinceTicks, Math.Max(1, now.UtcTicks), 0) == 0;
            bool due = _diskFullSaidAtTicks == 0 || now - new DateTimeOffset(_diskFullSaidAtTicks, TimeSpan.Zero) >= DiskFullLinesEvery;
            if (started)
            {
                _spellSaid = false;
                _spellCounted = false;
            }

            if (due && !_spellSaid)
            {
                SayDiskFullLocked(now);
            }
            else if (started)
            {
                _spellCounted = true;
                if (_spellsNotSaid++ == 0)
                {
                    _spellsNotSaidSince = now;
                }
            }
        }
    }

    /// <summary>A write went through with room to spare on a disk marked full: it has room again; said if its spell was.</summary>
    private void MarkDiskHasRoom()
    {
        lock (_diskFullLinesLock)
        {
            long since = Interlocked.Exchange(ref _diskFullSinceTicks, 0);
            if (since == 0)
            {
                return;
            }

            Interlocked.Exchange(ref _refusedBytes, 0);
            TimeSpan full = _time.GetUtcNow() - new DateTimeOffset(since, TimeSpan.Zero);
            full = full < TimeSpan.Zero ? TimeSpan.Zero : full;
            if (_spellSaid)
            {
                LogEvents.SpoolDiskHasRoom(_logger, RootPath, full);
            }
            else if (full > _longestNotSaid)
            {
                _longestNotSaid = full;
            }
        }
    }

    private void SayDiskFullLocked(DateTimeOffset now)
    {
        if (_spellCounted)
        {
            _spellsNotSaid--; // said now, after all: a spell that lasted past the minute
            _spellCounted = false;
        }

        if (_spellsNotSaid > 0)
        {
            LogEvents.SpoolDiskFullSpellsNotSaid(_logger, RootPath, _spellsNotSaid, _spellsNotSaidSince, _longestNotSaid, DiskFullLinesEvery);
        }

        _spellsNotSaid = 0;
        _longestNotSaid = TimeSpan.Zero;
        _spellSaid = true;
        _diskFullSaidAtTicks = now.UtcTicks;
        LogEvents.SpoolDiskFull(_logger, RootPath, Free(), _fullMode == SpoolFullMode.Fail ? "throw SpoolFullException (SpoolFullMode.Fail)" : "wait for room (SpoolFullMode.Wait)");
    }
}
