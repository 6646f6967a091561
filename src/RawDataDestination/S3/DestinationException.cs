namespace RawDataDestination.S3;

/// <summary>
/// A failure of <see cref="S3RoleDestination"/> with an explanation in terms of the customer's setup: what was refused,
/// and what to change.
/// </summary>
public sealed class DestinationException : Exception, Batching.IDeliveryRefusal
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorCode">The AWS error code, such as <c>AccessDenied</c>, or a code of this library.</param>
    /// <param name="isPermanent">Whether retrying without a change of setup is pointless.</param>
    /// <param name="message">What failed and what to do.</param>
    /// <param name="innerException">The AWS SDK's error.</param>
    public DestinationException(string errorCode, bool isPermanent, string message, Exception? innerException)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
        IsPermanent = isPermanent;
    }

    /// <summary>Gets the AWS error code, such as <c>AccessDenied</c> or <c>NoSuchBucket</c>.</summary>
    public string ErrorCode { get; }

    /// <summary>Gets whether retrying without a change of setup is pointless.</summary>
    public bool IsPermanent { get; }
}
