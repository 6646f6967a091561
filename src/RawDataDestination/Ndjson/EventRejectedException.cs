using RawDataDestination.Internal;

namespace RawDataDestination.Ndjson;

/// <summary>
/// Thrown when an event is refused. The event did not reach any batch; the other events of the batch are unaffected.
/// </summary>
public sealed class EventRejectedException : ArgumentException
{
    private readonly Func<SettingWords, string>? _wording;

    /// <summary>Creates an exception for a refused event.</summary>
    /// <param name="reason">Why the event was refused.</param>
    /// <param name="message">What was wrong and what to do about it.</param>
    public EventRejectedException(EventRejectionReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>Creates an exception for a refused event, keeping the parser's error.</summary>
    /// <param name="reason">Why the event was refused.</param>
    /// <param name="message">What was wrong and what to do about it.</param>
    /// <param name="innerException">The error that revealed the problem.</param>
    public EventRejectedException(EventRejectionReason reason, string message, Exception? innerException)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Creates an exception for a refused event whose message names settings through <see cref="SettingWords"/>.</summary>
    /// <param name="reason">Why the event was refused.</param>
    /// <param name="wording">Composes the message; <see cref="Exception.Message"/> is it in the library's own words.</param>
    internal EventRejectedException(EventRejectionReason reason, Func<SettingWords, string> wording)
        : this(reason, wording(SettingWords.Properties))
    {
        _wording = wording;
    }

    /// <summary>Gets why the event was refused.</summary>
    public EventRejectionReason Reason { get; }

    /// <summary>The message with settings named in <paramref name="words"/> (a program's own names for them, such as command-line flags).</summary>
    /// <param name="words">How to name settings.</param>
    /// <returns>The message, composed again; the same as <see cref="Exception.Message"/> for a message that names no setting.</returns>
    internal string Describe(SettingWords words) => _wording is null ? Message : _wording(words);
}
