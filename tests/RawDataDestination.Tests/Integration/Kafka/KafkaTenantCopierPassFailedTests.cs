namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// QA N3: with the staging bucket unreachable, the copier's warning that a pass failed gave a bare
/// <c>HttpRequestException: Connection refused</c>, naming neither the staging bucket nor its flag, as the write's line does.
/// </summary>
[CancelAfter(60_000)]
public class KafkaTenantCopierPassFailedTests
{
    [Test]
    public async Task TenantCopier_WhenTheStagingBucketRefusesConnections_SaysThePassFailedNamingTheStagingBucketItsEndpointAndTheFlag()
    {
        Uri nobody = RealAnswers.Refusing();
        var log = new CapturingLogger();
        StagingOptions staging = StagingPeers.Options("ops-stage", nobody.ToString());
        var tenant = new TenantDestination("acme", Destinations.Options(bucket: "acme-logs"));
        using var passes = new SemaphoreSlim(staging.MaxConcurrentCopies);
        using var stopping = new CancellationTokenSource();
        var copier = new TenantCopier(tenant, staging, StagingPeers.ServiceCredentials(), Destinations.BaseCredentials(), passes, TimeProvider.System, log, sources: new HashSet<string> { "src-acme" });

        copier.Wake(stopping.Token);
        await StagedCopierPaceTests.UntilAsync(() => log.Lines.Any(l => l.Contains("a pass over the staging prefix", StringComparison.Ordinal)));
        await stopping.CancelAsync();
        await copier.StoppedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        string line = log.Lines.First(l => l.Contains("a pass over the staging prefix", StringComparison.Ordinal));
        Assert.That(line, Does.Contain($"failed: could not reach the staging bucket 'ops-stage' (S3 at {nobody}").And.Contain("(--stage-endpoint-url); the next one tries again"), line);
    }
}
