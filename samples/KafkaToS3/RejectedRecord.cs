using RawDataDestination.Ndjson;

namespace RawDataDestination.KafkaToS3;

/// <summary>A record refused as the library refuses events: where it is in the log, why, and what to do.</summary>
internal sealed record RejectedRecord(string Topic, int Partition, long Offset, EventRejectionReason Reason, string Message);
