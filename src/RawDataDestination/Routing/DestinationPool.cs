using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using RawDataDestination.S3;

namespace RawDataDestination.Routing;

/// <summary>
/// The destinations a router has built, one per distinct settings: created on first use, shared by the uploads that
/// use them at once, and disposed once idle for the idle timeout (a sweep on the clock), so memory for customers that
/// went quiet is released.
/// </summary>
internal sealed class DestinationPool : IDisposable
{
    private readonly Dictionary<S3RoleDestinationSettings, Entry> _entries = [];
    private readonly AWSCredentials? _baseCredentials;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly TimeSpan _idleTimeout;
    private readonly ITimer _sweeper;
    private bool _disposed;

    public DestinationPool(TimeSpan idleTimeout, AWSCredentials? baseCredentials, TimeProvider time, ILoggerFactory? loggerFactory)
    {
        _idleTimeout = idleTimeout;
        _baseCredentials = baseCredentials;
        _time = time;
        _loggerFactory = loggerFactory;
        TimeSpan every = idleTimeout / 2 > TimeSpan.FromMilliseconds(1) ? idleTimeout / 2 : TimeSpan.FromMilliseconds(1);
        _sweeper = time.CreateTimer(static pool => ((DestinationPool)pool!).Sweep(), this, every, every);
    }

    /// <summary>Gets how many destinations are built now.</summary>
    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Gets the destination for <paramref name="settings"/>, building it on first use; dispose the lease after the upload.</summary>
    public Lease Rent(S3RoleDestinationSettings settings)
    {
        lock (_entries)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_entries.TryGetValue(settings, out Entry? entry))
            {
                entry = new Entry(new S3RoleDestination(settings, _baseCredentials, _time, _loggerFactory));
                _entries.Add(settings, entry);
            }

            entry.Leases++;
            entry.LastUsedTimestamp = _time.GetTimestamp();
            return new Lease(this, entry);
        }
    }

    /// <summary>Disposes every destination.</summary>
    public void Dispose()
    {
        List<Entry> all;
        lock (_entries)
        {
            _disposed = true;
            all = [.. _entries.Values];
            _entries.Clear();
        }

        _sweeper.Dispose();
        all.ForEach(e => e.Destination.Dispose());
    }

    /// <summary>Disposes the destinations no upload has used for the idle timeout.</summary>
    internal void Sweep()
    {
        var idle = new List<Entry>();
        lock (_entries)
        {
            long now = _time.GetTimestamp();
            foreach ((S3RoleDestinationSettings settings, Entry entry) in _entries.Where(e => e.Value.Leases == 0 && _time.GetElapsedTime(e.Value.LastUsedTimestamp, now) >= _idleTimeout).ToList())
            {
                _entries.Remove(settings);
                idle.Add(entry);
            }
        }

        idle.ForEach(e => e.Destination.Dispose());
    }

    private void Return(Entry entry)
    {
        lock (_entries)
        {
            entry.Leases--;
            entry.LastUsedTimestamp = _time.GetTimestamp();
        }
    }

    /// <summary>An upload's use of a destination.</summary>
    internal readonly struct Lease(DestinationPool pool, Entry entry) : IDisposable
    {
        public S3RoleDestination Destination => entry.Destination;

        public void Dispose() => pool.Return(entry);
    }

    internal sealed class Entry(S3RoleDestination destination)
    {
        public S3RoleDestination Destination { get; } = destination;

        public int Leases { get; set; }

        /// <summary>Gets or sets when an upload last used it, a <see cref="TimeProvider.GetTimestamp"/>: the idle timeout is a duration, not moved by a wall clock set back or forward.</summary>
        public long LastUsedTimestamp { get; set; }
    }
}
