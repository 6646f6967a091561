using Amazon.Util.Internal;

namespace RawDataDestination.Sts;

/// <summary>Lets the AWS SDK's credential refresh read a <see cref="TimeProvider"/>, so tests can move time.</summary>
internal sealed class SdkClock(TimeProvider timeProvider) : ITimeProvider
{
    /// <summary>Gets the clock itself, for timers.</summary>
    public TimeProvider Time => timeProvider;

    public DateTime CorrectedUtcNow => timeProvider.GetUtcNow().UtcDateTime;
}
