namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The operator's own staging bucket refused a batch for a reason retrying cannot fix (it does not exist, the service's
/// credentials may not write it): with nowhere to put a broken customer's batches, the worker stops (exit 1) rather
/// than hold every partition. Nothing of the window is committed, so the next run rebuilds it. A stage refused so at start
/// ends the start instead (<see cref="StageProbe"/>, exit 2); this is a refusal met while the worker runs.
/// </summary>
internal sealed class StageRefusedException(string message, Exception innerException) : Exception(message, innerException);
