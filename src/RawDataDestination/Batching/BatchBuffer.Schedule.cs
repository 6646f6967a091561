namespace RawDataDestination.Batching;

/// <summary>The buffer's scheduled seal (<see cref="SealSchedule"/>'s tick).</summary>
public sealed partial class BatchBuffer
{
    /// <summary>
    /// A scheduled seal: seals every partition whose lane has room, tries refused batches again, and, without a spool,
    /// seals the partitions it passed over as their lanes' room comes back, until the next scheduled seal at the latest.
    /// </summary>
    private async Task OnScheduleAsync(DateTimeOffset scheduledAt, DateTimeOffset next, CancellationToken stopping)
    {
        try
        {
            try
            {
                await _seals.SealAllAsync(SealCause.Schedule, removeEmpty: true, stopping).ConfigureAwait(false);
            }
            finally
            {
                _stage.RetryRefused();
            }

            if (_recovered.IsCompleted)
            {
                await SealJournalsNotSealedAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            // A tick that ran past the next one's time leaves what it passed over to that one, which comes at once.
            TimeSpan left = next - _timeProvider.GetUtcNow();
            if (_spool is null && left > TimeSpan.Zero)
            {
                using var untilNext = new CancellationTokenSource(left, _timeProvider);
                using var until = CancellationTokenSource.CreateLinkedTokenSource(stopping, untilNext.Token);
                await _seals.SealPassedOverAsync(_stage.RoomFor, _stage.NextChange, scheduledAt, until.Token, stopping).ConfigureAwait(false);
            }
        }
    }
}
