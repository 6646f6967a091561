using RawDataDestination.Batching;
using RawDataDestination.Internal;

namespace RawDataDestination.Sts;

/// <summary>
/// A failed STS AssumeRole, explained in terms of the setup: what STS answered and what to change in the role's trust
/// relationship or in this service's own credentials, or why STS could not be reached. <see cref="AssumeRoleCredentials"/>
/// throws it; <c>S3RoleDestination</c> passes it on inside its own <c>DestinationException</c>, with the same code,
/// message and permanence.
/// </summary>
public sealed class AssumeRoleException : Exception, IDeliveryRefusal
{
    private readonly Func<SettingWords, string> _wording;

    /// <summary>Creates the exception with a message that names settings through <see cref="SettingWords"/>.</summary>
    /// <param name="errorCode">STS's error code, or a code of this library.</param>
    /// <param name="isPermanent">Whether retrying without a change of setup is pointless.</param>
    /// <param name="wording">Composes the message; <see cref="Exception.Message"/> is it in the library's own words.</param>
    /// <param name="innerException">The error explained.</param>
    internal AssumeRoleException(string errorCode, bool isPermanent, Func<SettingWords, string> wording, Exception? innerException)
        : base(wording(SettingWords.Properties), innerException)
    {
        (ErrorCode, IsPermanent, _wording) = (errorCode, isPermanent, wording);
    }

    /// <summary>Creates the exception with a message that names no setting.</summary>
    internal AssumeRoleException(string errorCode, bool isPermanent, string message, Exception? innerException)
        : this(errorCode, isPermanent, _ => message, innerException)
    {
    }

    /// <summary>Gets STS's error code, such as <c>AccessDenied</c> or <c>RegionDisabledException</c>, or a code of this library, such as <c>NoCredentials</c>.</summary>
    public string ErrorCode { get; }

    /// <summary>Gets whether retrying without a change of setup is pointless.</summary>
    public bool IsPermanent { get; }

    /// <summary>The message with settings named in <paramref name="words"/> (a program's own names for them, such as command-line flags).</summary>
    /// <param name="words">How to name settings.</param>
    /// <returns>The message, composed again; the same as <see cref="Exception.Message"/> for a message that names no setting.</returns>
    internal string Describe(SettingWords words) => _wording(words);
}
