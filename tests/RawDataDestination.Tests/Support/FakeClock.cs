namespace RawDataDestination.Tests.Support;

/// <summary>Drives a <see cref="FakeTimeProvider"/> so backoff timers fire, until a task completes (bounded: 30 s of real time).</summary>
internal static class FakeClock
{
    public static async Task DriveAsync(this FakeTimeProvider time, Task task, TimeSpan step)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!task.IsCompleted)
        {
            time.Advance(step);
            await Task.WhenAny(task, Task.Delay(5, deadline.Token));
            deadline.Token.ThrowIfCancellationRequested();
        }

        await task;
    }

    /// <summary>Advances time in steps until <paramref name="condition"/> holds (bounded: 30 s of real time).</summary>
    public static async Task DriveUntilAsync(this FakeTimeProvider time, Func<bool> condition, TimeSpan step)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            time.Advance(step);
            await Task.Delay(5, deadline.Token);
        }
    }
}
