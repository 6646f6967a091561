namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>A tenant's circuit breaker on a fake clock: what its log lines claim about the customer.</summary>
public class KafkaTenantBreakersTests
{
    [TestCase(false, true)]
    [TestCase(true, false)]
    public async Task ExecuteAsync_AHalfOpenProbe_SaysTheTenantRecoveredOnlyWhenTheCustomerAnswered(bool probeCancelledByTheStop, bool saysRecovered)
    {
        // A probe cancelled by the worker's stop closed the circuit as a success: "Tenant t4 recovered" was logged after
        // the worker's last line, for a customer that never answered.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var log = new CapturingLogger();
        var options = new KafkaToS3Options { DirectRetries = 0 };
        await using var breakers = new TenantBreakers(options, time, log, staging: true);
        for (int i = 0; i < TenantBreakers.MinimumThroughput; i++)
        {
            Assert.ThrowsAsync<TimeoutException>(() => breakers.ExecuteAsync("t4", _ => throw new TimeoutException("no answer"), CancellationToken.None));
        }

        Assert.That(log.Lines, Has.Some.Contains("Tenant t4 is failing"), "the circuit opened");
        time.Advance(options.TenantBreakDuration + TimeSpan.FromSeconds(1));

        using var stop = new CancellationTokenSource();
        if (probeCancelledByTheStop)
        {
            // The stop comes while the probe waits for the customer.
            Assert.ThrowsAsync<OperationCanceledException>(() => breakers.ExecuteAsync("t4", async token => { await stop.CancelAsync(); token.ThrowIfCancellationRequested(); }, stop.Token));
        }
        else
        {
            await breakers.ExecuteAsync("t4", _ => Task.CompletedTask, stop.Token);
        }

        Assert.That(log.Lines.Any(line => line.Contains("Tenant t4 recovered", StringComparison.Ordinal)), Is.EqualTo(saysRecovered), string.Join('\n', log.Lines));
    }
}
