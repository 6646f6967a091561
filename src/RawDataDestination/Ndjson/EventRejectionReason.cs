namespace RawDataDestination.Ndjson;

/// <summary>Why an event was refused before it reached a batch.</summary>
public enum EventRejectionReason
{
    /// <summary>The input was empty or only whitespace.</summary>
    Empty,

    /// <summary>The input is not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>The input is not valid JSON.</summary>
    InvalidJson,

    /// <summary>The input is valid JSON but not an object (an array, a string, a number, <c>true</c>, <c>false</c> or <c>null</c>).</summary>
    NotAnObject,

    /// <summary>The input holds more than one JSON value, or data after the object.</summary>
    TrailingData,

    /// <summary>The input is larger than the configured maximum event size.</summary>
    TooLarge,

    /// <summary>The event's <c>receivedAt</c> member is present but is not an ISO-8601 date and time.</summary>
    InvalidReceivedAt,

    /// <summary>The source id is not a valid folder name.</summary>
    InvalidSourceId,

    /// <summary>
    /// The source has no destination: the buffer's <see cref="Batching.IBatchRouter"/> knows no customer for it. Its
    /// events are sent nowhere until one is configured.
    /// </summary>
    NoDestination,

    /// <summary>
    /// The event gives a member name twice in one object. Readers such as DuckDB and Amazon Athena refuse a whole file
    /// that holds such an event, so it would make the other events of its batch unreadable.
    /// </summary>
    RepeatedName,
}
