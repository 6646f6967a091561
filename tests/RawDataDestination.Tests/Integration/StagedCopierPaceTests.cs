namespace RawDataDestination.Tests.Integration;

/// <summary>
/// A staged batch copier against a customer whose S3 stores each PUT and loses the answer (the fault proxy forwards the
/// request, then resets the connection): each attempt of the library's retry rule sends the batch once, and the next
/// attempt waits for the rule's delay. QA saw about 11 PUTs of one staged batch within a second, from one attempt.
/// </summary>
[CancelAfter(120_000)]
public class StagedCopierPaceTests
{
    private static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(20);

    [Test]
    public async Task CopyOnce_ToACustomerWhoseAnswersAreLost_SendsOnePutPerAttemptOfTheRetryRule()
    {
        await using LostAnswers peers = await LostAnswers.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var log = new CapturingLogger();
        S3RoleDestinationOptions options = Destinations.Options(bucket: peers.Customer, s3Url: peers.Proxy.ServiceUrl.ToString());
        options.RetryBaseDelay = BaseDelay;
        options.RetryMaxDelay = MaxDelay;
        options.RetryTimeLimit = TimeSpan.FromMinutes(5);
        using var destination = new S3RoleDestination(options, Destinations.BaseCredentials(), time, log);
        using var copier = new StagedBatchCopier(peers.Staging, destination, StagingPeers.ServiceCredentials(), time, log);
        using var stop = new CancellationTokenSource();

        Task<StagedCopyResult> pass = copier.CopyOnceAsync(cancellationToken: stop.Token);
        await UntilAsync(() => FailedAttempts(log) == 1 || pass.IsCompleted);
        Assert.That(peers.Puts, Is.EqualTo(1), "the first attempt sends the batch once, whatever became of its answer");
        for (int attempt = 2; attempt <= 4; attempt++)
        {
            // The clock moves only until the next attempt's PUT arrives (at most the rule's delay ceiling), then stands
            // still while that attempt fails: any PUT beyond one came from that attempt, without a delay.
            long before = time.GetTimestamp();
            await UntilAsync(() => peers.Puts >= attempt || pass.IsCompleted, time);
            Assert.That(time.GetElapsedTime(before), Is.LessThanOrEqualTo(RetryCeiling(attempt - 2) + TimeSpan.FromMilliseconds(50)), "the next attempt comes after the rule's delay, not later");
            await UntilAsync(() => FailedAttempts(log) == attempt || pass.IsCompleted);
            Assert.That(peers.Puts, Is.EqualTo(attempt), $"attempt {attempt} of the retry rule sends the batch once");
        }

        Assert.That(pass.IsCompleted, Is.False, "still within the retry time limit");
        await stop.CancelAsync();
        Assert.That(async () => await pass, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(peers.Puts, Is.EqualTo(4), "no PUT but the rule's attempts");
    }

    /// <summary>The largest delay the rule waits before retry number <paramref name="retry"/> (from zero).</summary>
    internal static TimeSpan RetryCeiling(int retry) => TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, BaseDelay.Ticks << retry));

    /// <summary>The failed attempts of uploads the destination logged as retried.</summary>
    private static int FailedAttempts(CapturingLogger log) => log.Lines.Count(l => l.Contains("failed on attempt", StringComparison.Ordinal));

    /// <summary>Waits (bounded: 30 s of real time) until <paramref name="condition"/> holds, moving <paramref name="time"/> on by 20 ms every 5 ms meanwhile if given.</summary>
    internal static async Task UntilAsync(Func<bool> condition, FakeTimeProvider? time = null)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            time?.Advance(TimeSpan.FromMilliseconds(20));
            await Task.Delay(5, deadline.Token);
        }
    }
}

/// <summary>
/// A staging bucket holding one staged batch, and a customer bucket behind a fault proxy that forwards every PUT (it
/// lands) and then resets the connection instead of answering.
/// </summary>
internal sealed class LostAnswers : IAsyncDisposable
{
    private LostAnswers(string stage, string customer, FaultProxy proxy, string stagedKey)
    {
        Stage = stage;
        Customer = customer;
        Proxy = proxy;
        StagedKey = stagedKey;
    }

    public string Stage { get; }

    public string Customer { get; }

    public FaultProxy Proxy { get; }

    public string StagedKey { get; }

    /// <summary>Gets the staging options (moto directly, not the proxy).</summary>
    public StagingOptions Staging => StagingPeers.Options(Stage);

    /// <summary>Gets the PUTs that reached the customer's side.</summary>
    public int Puts => Proxy.Log.Count(l => l.Request.Method == "PUT");

    public static async Task<LostAnswers> StartAsync()
    {
        string stage = await StagingPeers.NewBucketAsync("stage");
        string customer = await StagingPeers.NewBucketAsync("customer");
        var proxy = MotoFaults.Proxy(request => request.Method == "PUT" ? ProxyAction.LandThenDropResponse : ProxyAction.Forward);
        using var consumer = new StagingConsumer(StagingPeers.Options(stage), BucketLocation.Parse(customer), StagingPeers.ServiceCredentials());
        using SealedBatch batch = await TestBatches.CreateAsync(Objects.UniqueSource("lost"), new DateOnly(2023, 11, 24), "{\"messageId\":\"a\"}");
        string key = (await consumer.StageAsync(batch)).Key;
        return new LostAnswers(stage, customer, proxy, key);
    }

    public ValueTask DisposeAsync() => Proxy.DisposeAsync();
}
