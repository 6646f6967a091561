namespace RawDataDestination.Spool;

/// <summary>Receives a copy of every NDJSON line an encoder writes.</summary>
internal interface ILineSink
{
    void Write(ReadOnlySpan<byte> line);
}
