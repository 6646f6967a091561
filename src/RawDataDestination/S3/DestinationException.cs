using RawDataDestination.Internal;
using RawDataDestination.Sts;

namespace RawDataDestination.S3;

/// <summary>
/// A failure of <see cref="S3RoleDestination"/> with an explanation in terms of the customer's setup: what was refused,
/// and what to change. A refused AssumeRole (<see cref="AssumeRoleException"/>) is passed on as one, with the same code,
/// message and permanence.
/// </summary>
public sealed class DestinationException : Exception, Batching.IDeliveryRefusal, Batching.IChecksumRefusal
{
    private readonly Func<SettingWords, string>? _wording;

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

    /// <summary>Creates the exception with a message that names settings through <see cref="SettingWords"/>.</summary>
    /// <param name="errorCode">The AWS error code, or a code of this library.</param>
    /// <param name="isPermanent">Whether retrying without a change of setup is pointless.</param>
    /// <param name="wording">Composes the message; <see cref="Exception.Message"/> is it in the library's own words.</param>
    /// <param name="innerException">The error explained.</param>
    internal DestinationException(string errorCode, bool isPermanent, Func<SettingWords, string> wording, Exception? innerException)
        : this(errorCode, isPermanent, wording(SettingWords.Properties), innerException)
    {
        _wording = wording;
    }

    /// <summary>
    /// Passes STS's refusal on as the destination's: the same code, message (in any words) and permanence, around the
    /// same error STS's explanation was made of, so callers see what they saw before STS had an exception of its own.
    /// </summary>
    /// <param name="refused">What STS refused, explained.</param>
    /// <returns>The destination's exception.</returns>
    internal static DestinationException From(AssumeRoleException refused) =>
        new(refused.ErrorCode, refused.IsPermanent, refused.Describe, refused.InnerException) { IsAssumeRoleFailure = true };

    /// <summary>
    /// Gets whether it is STS's answer to AssumeRole (or a failure to reach STS) passed on (<see cref="From"/>): the
    /// customer's bucket never saw a request, so a line must not say the bucket refused.
    /// </summary>
    internal bool IsAssumeRoleFailure { get; private init; }

    /// <summary>Gets the AWS error code, such as <c>AccessDenied</c> or <c>NoSuchBucket</c>.</summary>
    public string ErrorCode { get; }

    /// <summary>Gets whether retrying without a change of setup is pointless.</summary>
    public bool IsPermanent { get; }

    /// <inheritdoc />
    bool Batching.IChecksumRefusal.IsChecksumMismatch => Aws.AwsErrorCodes.IsChecksumMismatch(ErrorCode);

    /// <summary>The message with settings named in <paramref name="words"/> (a program's own names for them, such as command-line flags).</summary>
    /// <param name="words">How to name settings.</param>
    /// <returns>The message, composed again; the same as <see cref="Exception.Message"/> for a message that names no setting.</returns>
    internal string Describe(SettingWords words) => _wording is null ? Message : _wording(words);
}
