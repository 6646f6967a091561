namespace RawDataDestination.Spool;

/// <summary>A spooled batch can no longer be read from the spool: retrying cannot help.</summary>
internal sealed class SpoolDamagedException(string message, Exception innerException) : IOException(message, innerException);
