using Microsoft.Extensions.Logging;
using RawDataDestination.Internal;
using RawDataDestination.Spool;

namespace RawDataDestination.Batching;

/// <summary>
/// Sets aside what the spool holds and cannot deliver: moved to <c>quarantine/</c> (kept, never deleted), logged once
/// with its path, where it went and why, and counted (<c>rawdata.spool.quarantined</c>, and the buffer's status). One
/// for recovery at start (<see cref="SpoolRecovery"/>) and for delivery, which sets aside a sealed file changed on disk
/// since its seal (<see cref="SpooledBatchFiles.ThrowIfDamagedAsync"/>).
/// </summary>
internal sealed class SpoolQuarantine(BatchSpool spool, TimeProvider time, ILogger logger)
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _leftInPlace = new();
    private int _count;

    /// <summary>Gets how many files were quarantined (or set aside) by this buffer.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Gets the files that could not be delivered nor moved aside (logged): left where they are, in no other count.</summary>
    public IReadOnlyList<string> LeftInPlace => [.. _leftInPlace];

    /// <summary>Why a file whose recorded SHA-256 is <paramref name="recorded"/> and whose bytes now hash to <paramref name="actual"/> cannot be delivered.</summary>
    public static string ChangedSinceSeal(string recorded, string actual) =>
        $"its bytes no longer match the SHA-256 recorded when it was sealed ({recorded}; now {actual})";

    /// <summary>
    /// What recovery does with a file it could not read: one this process may not read (its mode, its owner) is left in
    /// place, as access given back makes it deliverable, and setting it aside would only leave the user a copy to re-ship
    /// by hand; any other read error quarantines it.
    /// </summary>
    public void Unreadable(string path, Exception exception)
    {
        if (exception is UnauthorizedAccessException)
        {
            LogEvents.SpoolFileDenied(logger, path, exception.Message.TrimEnd('.'));
            _leftInPlace.Enqueue(path);
        }
        else
        {
            Move(path, "it cannot be read: " + exception.Message.TrimEnd('.'));
        }
    }

    /// <summary>Quarantines what recovery found at start and cannot use (a file or a folder, a link or a FIFO alike).</summary>
    public void Move(string path, string reason) => TryMove(path, reason, now => spool.Quarantine(path, now));

    /// <summary>Quarantines a sealed file waiting for delivery; returns its new path, or <see langword="null"/> when it could not be moved (logged).</summary>
    public string? MoveSealed(string path, long bytes, string reason) => TryMove(path, reason, now => spool.QuarantineSealed(path, bytes, now));

    /// <summary>Counts something set aside without a move of its own (the spool renamed it beside itself at start).</summary>
    public void Counted()
    {
        Interlocked.Increment(ref _count);
        Telemetry.SpoolQuarantined.Add(1);
    }

    private string? TryMove(string path, string reason, Func<DateTimeOffset, string> move)
    {
        try
        {
            string moved = move(time.GetUtcNow());
            Counted();
            LogEvents.Quarantined(logger, path, moved, reason);
            return moved;
        }
        catch (ObjectDisposedException) when (spool.IsClosed)
        {
            // The buffer stopped: the next start quarantines it.
            return null;
        }
#pragma warning disable CA1031 // A file that can't even be moved is logged and left; recovery and deliveries go on.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogEvents.QuarantineFailed(logger, exception, path, reason);
            _leftInPlace.Enqueue(path);
            return null;
        }
    }
}
