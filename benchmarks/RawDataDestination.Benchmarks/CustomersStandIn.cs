using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using RawDataDestination.Batching;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// A consumer that stands for S3 with many customers behind it, one per lane: a healthy customer's upload takes a fixed
/// time (so upload slots matter), a broken one fails at once or hangs until cancelled. For the healthy customers it
/// records when each event was delivered (events carry their index as <c>"messageId":"h{index}"</c>), each batch's time
/// from seal to delivery, and any event delivered twice.
/// </summary>
public sealed class CustomersStandIn : ISealedBatchConsumer
{
    private static readonly byte[] IdMarker = "\"messageId\":\"h"u8.ToArray();
    private readonly ConcurrentDictionary<string, StandInHealth> _health = new(StringComparer.Ordinal);
    private readonly TimeSpan _uploadTime;
    private readonly TimeSpan _responseTimeout;
    private readonly long[] _deliveredAt;
    private readonly ConcurrentBag<TimeSpan> _sealToDelivery = [];
    private long _delivered;
    private long _duplicates;
    private long _brokenAttempts;
    private int _brokenInFlight;
    private int _mostBrokenInFlight;

    /// <summary>Creates the stand-in.</summary>
    /// <param name="uploadTime">How long a healthy upload takes.</param>
    /// <param name="healthyEvents">How many healthy events the run appends (their indexes are 0 to this, exclusive).</param>
    /// <param name="responseTimeout">How long a <see cref="StandInHealth.SilentUntilTimeout"/> upload waits before it gives up.</param>
    public CustomersStandIn(TimeSpan uploadTime, int healthyEvents, TimeSpan responseTimeout)
    {
        _uploadTime = uploadTime;
        _responseTimeout = responseTimeout;
        _deliveredAt = new long[healthyEvents];
    }

    /// <summary>Gets the <see cref="Stopwatch"/> timestamp at which each healthy event was first delivered (0: not yet).</summary>
    public IReadOnlyList<long> DeliveredAt => _deliveredAt;

    /// <summary>Gets how many distinct healthy events were delivered.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Gets how many healthy events were delivered again after their first delivery.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Gets how many upload attempts reached the broken customers.</summary>
    public long BrokenAttempts => Interlocked.Read(ref _brokenAttempts);

    /// <summary>Gets the most uploads to broken customers that were under way at once (each holds an upload slot).</summary>
    public int MostBrokenInFlight => Volatile.Read(ref _mostBrokenInFlight);

    /// <summary>Gets each delivered healthy batch's time from its seal to the end of its upload.</summary>
    public IReadOnlyCollection<TimeSpan> SealToDelivery => _sealToDelivery;

    /// <summary>Makes <paramref name="lane"/>'s destination behave as <paramref name="health"/>.</summary>
    public void Set(string lane, StandInHealth health) => _health[lane] = health;

    /// <inheritdoc />
    public async Task<BatchReceipt> ConsumeAsync(SealedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        StandInHealth health = _health.GetValueOrDefault(batch.Lane);
        if (health != StandInHealth.Healthy)
        {
            await BrokenAttemptAsync(batch.Lane, health, cancellationToken);
        }

        await Task.Delay(_uploadTime, cancellationToken);
        long now = Stopwatch.GetTimestamp();
        _sealToDelivery.Add(TimeProvider.System.GetUtcNow() - batch.SealedAt);
        foreach (int index in HealthyIndexes(batch))
        {
            if (Interlocked.CompareExchange(ref _deliveredAt[index], now, 0) == 0)
            {
                Interlocked.Increment(ref _delivered);
            }
            else
            {
                Interlocked.Increment(ref _duplicates);
            }
        }

        return BatchReceipt.For(batch, $"memory:{batch.Lane}/{batch.FileName}");
    }

    /// <summary>One upload to a broken customer: it fails, at once or after the response timeout, or is cancelled.</summary>
    private async Task BrokenAttemptAsync(string lane, StandInHealth health, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _brokenAttempts);
        int now = Interlocked.Increment(ref _brokenInFlight);
        for (int most = Volatile.Read(ref _mostBrokenInFlight); now > most; most = Volatile.Read(ref _mostBrokenInFlight))
        {
            if (Interlocked.CompareExchange(ref _mostBrokenInFlight, now, most) == most)
            {
                break;
            }
        }

        try
        {
            switch (health)
            {
                case StandInHealth.FailsAtOnce:
                    throw new IOException($"503 SlowDown from {lane}'s bucket");
                case StandInHealth.NeverAnswers:
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    break;
                default:
                    await Task.Delay(_responseTimeout, cancellationToken);
                    throw new TimeoutException($"{lane}'s endpoint sent no response within {_responseTimeout.TotalSeconds:F0} s");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _brokenInFlight);
        }
    }

    /// <summary>The index of each healthy event in the batch, read from its <c>"messageId":"h{index}"</c>.</summary>
    private static List<int> HealthyIndexes(SealedBatch batch)
    {
        using var gzip = new GZipStream(batch.OpenRead(), CompressionMode.Decompress);
        using var ndjson = new MemoryStream();
        gzip.CopyTo(ndjson);
        var indexes = new List<int>();
        ReadOnlySpan<byte> rest = ndjson.GetBuffer().AsSpan(0, (int)ndjson.Length);
        for (int at = rest.IndexOf(IdMarker); at >= 0; at = rest.IndexOf(IdMarker))
        {
            rest = rest[(at + IdMarker.Length)..];
            int index = 0;
            int digits = 0;
            for (; digits < rest.Length && rest[digits] is >= (byte)'0' and <= (byte)'9'; digits++)
            {
                index = (index * 10) + (rest[digits] - '0');
            }

            indexes.Add(index);
            rest = rest[digits..];
        }

        return indexes;
    }
}
