namespace RawDataDestination.Batching;

/// <summary>
/// A refusal that can say the destination received a body that does not hash to the checksum sent with it (S3's
/// <c>BadDigest</c>). Sending the same bytes again helps only if the body changed on the way: for a batch read from the
/// spool, the buffer hashes its file again and sets it aside when the file itself changed since its seal
/// (<see cref="SpooledBatchFiles"/>). <see cref="S3.DestinationException"/> is one.
/// </summary>
internal interface IChecksumRefusal
{
    /// <summary>Gets whether the destination refused the body as not matching the checksum it was sent with.</summary>
    bool IsChecksumMismatch { get; }
}
