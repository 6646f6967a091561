namespace RawDataDestination.Internal;

/// <summary>
/// What every one-way, forward-only stream answers the same way, whichever its way: no seeking, no length, no position.
/// The read-only and write-only sides (<see cref="ReadOnlyStream"/>, <see cref="WriteOnlyStream"/>) add which way it goes.
/// </summary>
internal abstract class OneWayStream : Stream
{
    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
