using System.Reflection;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary><see cref="TenantCopier"/>'s settings for the customer's bucket: the tenant's own, with one attempt per pass; and its pace.</summary>
[CancelAfter(120_000)]
public class KafkaTenantCopierTests
{
    [Test]
    public void OneAttemptPerPass_EveryOtherSetting_IsTheTenants()
    {
        S3RoleDestinationOptions tenant = EverySetting.Changed<S3RoleDestinationOptions>();

        S3RoleDestinationOptions copier = TenantCopier.OneAttemptPerPass(tenant);

        Assert.That(copier.RetryTimeLimit, Is.EqualTo(TimeSpan.Zero), "one attempt per pass");
        Assert.Multiple(() =>
        {
            foreach (PropertyInfo property in EverySetting.Of<S3RoleDestinationOptions>().Where(p => p.Name != nameof(S3RoleDestinationOptions.RetryTimeLimit)))
            {
                Assert.That(property.GetValue(copier), Is.EqualTo(property.GetValue(tenant)), $"{property.Name}: the tenant's, not the default");
            }
        });
    }

    [Test]
    public async Task TenantCopier_ForACustomerWhoseAnswersAreLost_SendsTheStagedBatchOncePerPassAndPassesOncePerPollInterval()
    {
        // QA: about 11 PUTs of one staged batch within a second to a customer whose S3 stores each PUT and loses the answer.
        await using LostAnswers peers = await LostAnswers.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var log = new CapturingLogger();
        StagingOptions staging = peers.Staging;
        staging.PollInterval = TimeSpan.FromSeconds(30);
        var tenant = new TenantDestination("acme", Destinations.Options(bucket: peers.Customer, s3Url: peers.Proxy.ServiceUrl.ToString()));
        using var passes = new SemaphoreSlim(staging.MaxConcurrentCopies);
        using var stopping = new CancellationTokenSource();
        string source = peers.StagedKey.Split('/')[2]; // ~{customer}/segment-logs/{source}/...: staged without an identity, taken for the tenant's own source
        var copier = new TenantCopier(tenant, staging, StagingPeers.ServiceCredentials(), Destinations.BaseCredentials(), passes, time, log, sources: new HashSet<string> { source });

        copier.Wake(stopping.Token);
        await StagedCopierPaceTests.UntilAsync(() => FailedCopies(log) == 1);
        Assert.That(peers.Puts, Is.EqualTo(1), "one attempt per pass: the batch sent once, whatever became of its answer");

        for (int pass = 2; pass <= 3; pass++)
        {
            // The clock moves only until the next pass's PUT arrives, then stands still while that pass fails.
            long before = time.GetTimestamp();
            await StagedCopierPaceTests.UntilAsync(() => peers.Puts >= pass, time);
            Assert.That(time.GetElapsedTime(before), Is.GreaterThanOrEqualTo(staging.PollInterval), "the next pass waits for the poll interval");
            await StagedCopierPaceTests.UntilAsync(() => FailedCopies(log) == pass);
            Assert.That(peers.Puts, Is.EqualTo(pass), $"pass {pass} sends the batch once");
        }

        await stopping.CancelAsync();
        await copier.StoppedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(peers.Puts, Is.EqualTo(3), "no PUT but one per pass");
        Assert.That(await StagingPeers.KeysAsync(peers.Stage), Is.EqualTo(new[] { peers.StagedKey }), "still staged: no answer confirmed the write");
    }

    /// <summary>The copies of staged batches the copier logged as failed (one per batch per pass).</summary>
    private static int FailedCopies(CapturingLogger log) => log.Lines.Count(l => l.Contains("failed; it stays staged for the next pass", StringComparison.Ordinal));
}
