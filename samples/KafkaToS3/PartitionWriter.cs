using Confluent.Kafka;
using RawDataDestination.Batching;
using RawDataDestination.Ndjson;
using RawDataDestination.Routing;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The open batch of one topic-partition (as Kafka Connect's <c>TopicPartitionWriter</c>): the records of one offset
/// window, split into one <see cref="BatchBuilder"/> per (source id, received day), each named from the window.
/// </summary>
/// <remarks>
/// <para>
/// A window is <c>[first record's offset, end)</c>, where <c>end</c> is the next multiple of the window width, or the
/// partition's end offset at assignment when the worker runs until caught up and that comes first. Both ends are known
/// when the window opens, so a replay from any committed position cuts, names and fills the same batches.
/// </para>
/// <para>
/// Each source's batches are bound to the tenant <c>route</c> gives when the source's first record of the window is
/// appended; a record whose source has no tenant is refused (<see cref="EventRejectionReason.NoDestination"/>) and counts
/// in the window like any refused record.
/// </para>
/// <para>
/// A sealed window whose batches are not all delivered or staged is held (<see cref="Held"/>) until a retry delivers
/// the rest; the partition is paused meanwhile.
/// </para>
/// </remarks>
/// <param name="maxEventBytes">The largest record value taken as an event (<see cref="KafkaToS3Options.MaxEventBytes"/>).</param>
internal sealed class PartitionWriter(TopicPartition partition, int windowWidth, long? endAtAssignment, Func<string, TenantDestination> route, int maxEventBytes = GzipNdjsonEncoder.DefaultMaxEventBytes)
{
    private readonly List<(string SourceId, DateOnly Day, BatchBuilder Builder, TenantDestination Destination)> _builders = [];

    public TopicPartition Partition { get; } = partition;

    /// <summary>Gets the partition's end offset when it was assigned, when the worker stops once caught up.</summary>
    public long? EndAtAssignment { get; } = endAtAssignment;

    /// <summary>Gets or sets whether the partition is read, delivered and committed up to <see cref="EndAtAssignment"/>.</summary>
    public bool CaughtUp { get; set; }

    /// <summary>Gets whether a window is open (it has at least one record, accepted or refused).</summary>
    public bool IsOpen { get; private set; }

    /// <summary>Gets the offset of the open window's first record.</summary>
    public long FirstOffset { get; private set; }

    /// <summary>Gets the open window's exclusive end: the offset to commit once its objects are in the bucket.</summary>
    public long WindowEnd { get; private set; }

    /// <summary>Gets the number of records in the open window, refused ones included.</summary>
    public int RecordCount { get; private set; }

    /// <summary>Gets the sealed window waiting for a retry, or <see langword="null"/>.</summary>
    public HeldWindow? Held { get; set; }

    /// <summary>
    /// Gets or sets the held window a <see cref="KafkaToS3Options.UntilCaughtUp"/> run gave up (a customer refused it for a
    /// reason retrying cannot fix, again at its retry; or it kept failing for <see cref="KafkaToS3Options.RetryTimeLimit"/>),
    /// or <see langword="null"/>: the partition is done for this run,
    /// not caught up, paused and uncommitted past the window's start.
    /// </summary>
    public HeldWindow? GivenUp { get; set; }

    /// <summary>Gets or sets the partition's last commit, refused by Kafka and tried again (<see cref="KafkaToS3Worker"/>'s commit rule), or <see langword="null"/>.</summary>
    public RefusedCommit? RefusedCommit { get; set; }

    /// <summary>Appends a record to the open window (opening one if none is).</summary>
    /// <returns>The refusal when the record is refused (it stays counted in the window); otherwise <see langword="null"/>.</returns>
    public async ValueTask<EventRejectedException?> AppendAsync(ConsumeResult<byte[]?, byte[]?> record, CancellationToken cancellationToken)
    {
        long offset = record.Offset.Value;
        if (!IsOpen)
        {
            IsOpen = true;
            FirstOffset = offset;
            WindowEnd = BatchIdentity.WindowEnd(offset, windowWidth);
            if (EndAtAssignment is long end && end > offset && end < WindowEnd)
            {
                WindowEnd = end;
            }
        }

        RecordCount++;
        try
        {
            Message<byte[]?, byte[]?> message = record.Message;
            string sourceId = RecordSourceId.Of(message);
            DateTimeOffset timestamp = RecordReceivedDay.Timestamp(message);
            ReadOnlyMemory<byte> value = message.Value ?? [];
            DateOnly day = RecordReceivedDay.Of(value.Span, timestamp);
            BatchBuilder builder = Find(sourceId, day) ?? Start(sourceId, day, RecordReceivedDay.SealedAt(value.Span, timestamp), timestamp, route(sourceId));
            try
            {
                await builder.AppendAsync(value, cancellationToken);
            }
            catch (EventRejectedException) when (builder.EventCount == 0)
            {
                // Its first record was refused: the next record of this source and day starts it afresh, with its own timestamp.
                _builders.RemoveAll(b => ReferenceEquals(b.Builder, builder));
                await builder.DisposeAsync();
                throw;
            }

            return null;
        }
        catch (EventRejectedException rejected)
        {
            return rejected;
        }
    }

    /// <summary>Seals the open window's batches (one per source and day, in first-record order) and closes the window.</summary>
    public async Task<List<RoutedBatch>> SealAsync(CancellationToken cancellationToken)
    {
        var sealedBatches = new List<RoutedBatch>(_builders.Count);
        try
        {
            foreach ((_, _, BatchBuilder builder, TenantDestination destination) in _builders)
            {
                sealedBatches.Add(new RoutedBatch(await builder.SealAsync(cancellationToken), destination));
            }
        }
        catch
        {
            sealedBatches.ForEach(b => b.Dispose());
            await DropAsync();
            throw;
        }

        await DropAsync();
        return sealedBatches;
    }

    /// <summary>Discards the open window without delivering anything; the window's records stay uncommitted.</summary>
    public async ValueTask DropAsync()
    {
        foreach ((_, _, BatchBuilder builder, _) in _builders)
        {
            await builder.DisposeAsync();
        }

        _builders.Clear();
        IsOpen = false;
        RecordCount = 0;
    }

    private BatchBuilder? Find(string sourceId, DateOnly day)
    {
        foreach ((string s, DateOnly d, BatchBuilder builder, _) in _builders)
        {
            if (d == day && string.Equals(s, sourceId, StringComparison.Ordinal))
            {
                return builder;
            }
        }

        return null;
    }

    private BatchBuilder Start(string sourceId, DateOnly day, DateTimeOffset sealedAt, DateTimeOffset timestamp, TenantDestination destination)
    {
        string batchId = BatchIdentity.For(Partition.Topic, Partition.Partition.Value, FirstOffset, WindowEnd - 1);
        BatchBuilder builder;
        try
        {
            builder = new BatchBuilder(sourceId, day, batchId, sealedAt, maxEventBytes: maxEventBytes);
        }
        catch (ArgumentException exception) when (exception.ParamName is "sealedAt" && sealedAt != timestamp)
        {
            // A receivedAt that a key cannot hold (before 1970, past 2286): the record's timestamp, as for any other
            // record; the library then refuses the event with its own explanation of that receivedAt, or takes it.
            return Start(sourceId, day, timestamp, timestamp, destination);
        }
        catch (ArgumentException exception) when (exception.ParamName is "sourceId" or "sealedAt")
        {
            // The library's rules: a source id that could leave its folder, or a record timestamp (the batch's
            // sealed-at) outside the range a key can hold. Either refuses the record, never stops the partition.
            throw new EventRejectedException(
                exception.ParamName == "sourceId" ? EventRejectionReason.InvalidSourceId : EventRejectionReason.InvalidReceivedAt,
                exception.Message,
                exception);
        }

        _builders.Add((sourceId, day, builder, destination));
        return builder;
    }
}
