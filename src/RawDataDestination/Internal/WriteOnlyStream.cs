namespace RawDataDestination.Internal;

/// <summary>The write-only side of <see cref="OneWayStream"/>, for pass-through streams: no reading.</summary>
internal abstract class WriteOnlyStream : OneWayStream
{
    public override bool CanRead => false;

    public override bool CanWrite => true;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
