namespace RawDataDestination.Tests.Internal;

/// <summary>The one retry owner, timed on a fake clock.</summary>
public class RetryPipelinesTests
{
    private sealed class Recorder : IRetryObserver
    {
        public List<TimeSpan> Delays { get; } = [];

        public void OnRetry(int failedAttempt, Exception error, TimeSpan delay) => Delays.Add(delay);
    }

    private static readonly DeliveryRetryPolicy Policy = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30), TimeLimit: null, CircuitBreaker: false);

    [Test]
    public async Task Execute_WhenAttemptsFail_WaitsFullJitterBelowAnExponentialCeilingCappedAtTheMaxDelay()
    {
        var time = new FakeTimeProvider();
        var pipeline = RetryPipelines.Build(Policy, (_, _) => true, time);
        var recorder = new Recorder();
        int attempts = 0;
        const int Failures = 80;

        Task<int> run = RetryPipelines.ExecuteAsync(pipeline, (_, _) => ++attempts <= Failures ? throw new IOException("down") : Task.FromResult(attempts), 0, recorder, time, CancellationToken.None);
        await time.DriveAsync(run, TimeSpan.FromSeconds(5));

        Assert.That(recorder.Delays, Has.Count.EqualTo(Failures));
        for (int retry = 0; retry < Failures; retry++)
        {
            TimeSpan ceiling = TimeSpan.FromSeconds(Math.Min(20, Math.Pow(2, retry)));
            Assert.That(recorder.Delays[retry], Is.InRange(TimeSpan.Zero, ceiling), $"retry {retry}");
        }

        var capped = recorder.Delays.Skip(5).ToList(); // ceilings all at the 20 s maximum
        Assert.That(capped.Average(d => d.TotalSeconds), Is.InRange(6.0, 14.0), "uniform between 0 and 20 s: full jitter, not a fixed delay");
        Assert.That(capped.Min(), Is.LessThan(TimeSpan.FromSeconds(4)));
        Assert.That(capped.Max(), Is.GreaterThan(TimeSpan.FromSeconds(16)));
    }

    [TestCase("SlowDown", 503)]
    [TestCase("TooManyRequests", 429)]
    public async Task Execute_WhenThrottled_Retries(string code, int status)
    {
        var time = new FakeTimeProvider();
        var pipeline = RetryPipelines.Build(Policy, TransientErrors.IsTransient, time);
        int attempts = 0;
        var throttled = new Amazon.S3.AmazonS3Exception("throttled", Amazon.Runtime.ErrorType.Sender, code, "r", (System.Net.HttpStatusCode)status);

        Task<int> run = RetryPipelines.ExecuteAsync(pipeline, (_, _) => ++attempts < 3 ? throw throttled : Task.FromResult(attempts), 0, null, time, CancellationToken.None);
        await time.DriveAsync(run, TimeSpan.FromSeconds(1));

        Assert.That(await run, Is.EqualTo(3));
    }

    [Test]
    public async Task Execute_WhenAnAttemptHangs_TimesItOutAndRetries()
    {
        var time = new FakeTimeProvider();
        var pipeline = RetryPipelines.Build(Policy, TransientErrors.IsTransient, time);
        var recorder = new Recorder();
        int attempts = 0;
        DateTimeOffset started = time.GetUtcNow();
        DateTimeOffset? retried = null;

        Task<int> run = RetryPipelines.ExecuteAsync(
            pipeline,
            async (_, ct) =>
            {
                if (++attempts == 1)
                {
                    await Task.Delay(Timeout.Infinite, ct); // a stalled request
                }

                retried = time.GetUtcNow();
                return attempts;
            },
            0,
            recorder,
            time,
            CancellationToken.None);
        await time.DriveAsync(run, TimeSpan.FromSeconds(1));

        Assert.That(await run, Is.EqualTo(2));
        Assert.That(recorder.Delays, Has.Count.EqualTo(1));
        Assert.That(retried - started, Is.InRange(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(32)), "abandoned at the 30 s attempt timeout, retried within the first delay's 1 s ceiling (and the 1 s clock step)");
    }

    [Test]
    public async Task Execute_WhenTheErrorIsPermanent_DoesNotRetryAndFailsFast()
    {
        var time = new FakeTimeProvider();
        var pipeline = RetryPipelines.Build(Policy, TransientErrors.IsTransient, time);
        int attempts = 0;
        var refused = new RawDataDestination.S3.DestinationException("AccessDenied", isPermanent: true, "refused", null);

        Task<int> run = RetryPipelines.ExecuteAsync<int, int>(pipeline, (_, _) => { attempts++; throw refused; }, 0, null, time, CancellationToken.None);

        Assert.ThrowsAsync<RawDataDestination.S3.DestinationException>(async () => await run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(attempts, Is.EqualTo(1));
    }

    [Test]
    public async Task Execute_WithATimeLimit_StopsRetryingOnceItHasPassedAttemptsIncluded()
    {
        var time = new FakeTimeProvider();
        var policy = Policy with { TimeLimit = TimeSpan.FromMinutes(1) };
        var pipeline = RetryPipelines.Build(policy, TransientErrors.IsTransient, time);
        DateTimeOffset started = time.GetUtcNow();

        Task<int> run = RetryPipelines.ExecuteAsync<int, int>(
            pipeline,
            async (_, ct) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(10), time, ct); // each attempt takes 10 s
                throw new IOException("down");
            },
            0,
            null,
            time,
            CancellationToken.None);
        Assert.ThrowsAsync<IOException>(async () => await time.DriveAsync(run, TimeSpan.FromSeconds(1)));

        Assert.That(time.GetUtcNow() - started, Is.InRange(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(12)));
    }

    [Test]
    public async Task Execute_WithATimeLimit_NeverWaitsPastItBeforeTheLastAttempt()
    {
        // Delays drawn up to a minute, a 30 s limit, 1 s attempts: an unclamped delay runs past the limit about half
        // the time, so ten executions all ending by the limit plus one attempt (plus the 1 s clock step) shows the clamp.
        var time = new FakeTimeProvider();
        var policy = new DeliveryRetryPolicy(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), Timeout.InfiniteTimeSpan, TimeLimit: TimeSpan.FromSeconds(30), CircuitBreaker: false);
        var pipeline = RetryPipelines.Build(policy, TransientErrors.IsTransient, time);
        DateTimeOffset started = time.GetUtcNow();
        var lastAttemptEnded = new DateTimeOffset[10];

        Task[] runs = Enumerable.Range(0, lastAttemptEnded.Length).Select(run => RetryPipelines.ExecuteAsync<int, int>(
            pipeline,
            async (_, ct) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
                lastAttemptEnded[run] = time.GetUtcNow();
                throw new IOException("down");
            },
            0,
            null,
            time,
            CancellationToken.None)).ToArray();
        Task all = Task.WhenAll(runs);
        Assert.ThrowsAsync<IOException>(async () => await time.DriveAsync(all, TimeSpan.FromSeconds(1)));

        Assert.That(lastAttemptEnded.Select(ended => ended - started), Has.All.InRange(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(32)));
    }
}
