namespace RawDataDestination.HostedWorker;

/// <summary>One event as received: its source and its JSON bytes.</summary>
internal readonly record struct ReceivedEvent(string SourceId, ReadOnlyMemory<byte> Json);
