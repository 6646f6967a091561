namespace RawDataDestination.Internal;

/// <summary>
/// The read-only side of <see cref="OneWayStream"/>: no writing, and reads into an array go to
/// <see cref="Read(Span{byte})"/>. The reading counterpart of <see cref="WriteOnlyStream"/>.
/// </summary>
internal abstract class ReadOnlyStream : OneWayStream
{
    public override bool CanRead => true;

    public override bool CanWrite => false;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public abstract override int Read(Span<byte> buffer);

    public override void Flush()
    {
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
