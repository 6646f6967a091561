namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// What the KafkaToS3 program says when a tenant's delivery fails, pointing at the thing to fix (QA-K K4): a bucket
/// deleted mid-run is the customer's doing, not a misspelt tenants file; STS failing for every tenant is one line naming
/// STS, not one "Tenant is failing" line per tenant; a staged batch STS refused is not "refused by the customer's bucket";
/// and STS refusing the role points first at the tenant's "externalId" in the tenants file.
/// </summary>
[CancelAfter(240_000)]
public class KafkaToS3CustomerSideWordsProcessTests
{
    private const int Tenants = 4;

    [Test]
    public async Task KafkaToS3Program_ABucketThatTookObjectsThenIsGone_IsSaidDeletedByTheCustomerNotMisspeltInTheTenantsFile()
    {
        // The line said "Check the bucket name in the tenant's "bucket" in the --tenants file": the operator edits a file
        // whose bucket name took objects minutes before.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: Tenants);
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true);
        bool gone = false;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            gone && TenantPutFaults.IsPutOf(customers.Customer, 0, request) ? ProxyDecision.Response(404, "NoSuchBucket", "The specified bucket does not exist") : ProxyAction.Forward);
        using var program = KafkaToS3Customers.Start([.. customers.Arguments("bucket-gone", untilCaughtUp: false, proxy.ServiceUrl), "--direct-step-aside", "5"]);
        await program.WaitForAsync(lines => lines.Count(l => l.Contains(" Committed ", StringComparison.Ordinal)) >= 8, TimeSpan.FromSeconds(90), "every window committed");

        gone = true;
        await topic.ProduceMoreAsync(40);
        await program.WaitForAsync(lines => lines.Count(l => l.Contains(" Committed ", StringComparison.Ordinal)) >= 16, TimeSpan.FromSeconds(90), "the next windows committed, tenant 0's batches staged");
        await program.StopsCleanlyAsync("TERM");

        string tenant = topic.Sources[0];
        List<string> said = [.. program.Lines.Where(l => l.Contains($"Tenant {tenant}", StringComparison.Ordinal) && l.Contains("NoSuchBucket", StringComparison.Ordinal))];
        Assert.That(said, Is.Not.Empty, program.Output);
        Assert.That(said, Has.All.Contain($"The customer's bucket '{customers.Customer}' does not exist any more (NoSuchBucket), though this worker delivered into it until ")
            .And.All.Contain("the customer may have deleted or renamed it; ask them to create it again"), program.Output);
        Assert.That(said, Has.None.Contain("Check the bucket name"), "the worker's own lines: the file's bucket name took objects in this run");
    }

    [Test]
    public async Task KafkaToS3Program_StsFailingForEveryTenant_SaysSoOnceNamingStsNotOneFailingLinePerTenant()
    {
        // STS answering 503 to every AssumeRole: each of the tenants' circuits opened with its own "Tenant t03 is failing
        // (STS ...)" warning, 40 lines read as 40 customers' problems for one outage of the service's side.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(80, sources: Tenants);
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true);
        ProxyDecision unavailable = new(
            ProxyAction.Respond,
            503,
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>Service is unavailable</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>");
        await using var stsProxy = new FaultProxy(new Uri(SharedPeers.S3.ServiceUrl), _ => unavailable);
        List<string> arguments = [.. customers.Arguments("sts-503", untilCaughtUp: false).Select(a => a == SharedPeers.Sts.ServiceUrl ? stsProxy.ServiceUrl.ToString() : a)];
        using var program = KafkaToS3Customers.Start(arguments);
        await program.WaitForAsync(lines => lines.Count(l => l.Contains(" Committed ", StringComparison.Ordinal)) >= 16, TimeSpan.FromSeconds(120), "every window committed: staged");
        await program.StopsCleanlyAsync("TERM");

        Assert.That(program.Lines.Count(l => l.Contains("STS fails, for tenant ", StringComparison.Ordinal)), Is.EqualTo(1), program.Output);
        Assert.That(program.Output, Does.Contain("and so for every tenant (STS (").And.Contain("this is STS's side, or this service's way to it or its own credentials, not the customer's setup"));
        Assert.That(program.Lines.Where(l => l.Contains(" is failing (", StringComparison.Ordinal)), Is.Empty, "no line per tenant for STS's outage");
    }

    [Test]
    public async Task KafkaToS3Program_StsRefusingTheRoleWithAWrongExternalId_PointsAtTheTenantsExternalIdAndParksAsStsNotTheBucket()
    {
        // The operator's typo in every tenant's "externalId": the lines said to check the role's trust relationship, and
        // the parked staged batches were "refused by the customer's bucket", which never saw a request.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: Tenants);
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true, externalIdOf: _ => "ext-wrong");
        using var program = KafkaToS3Customers.Start([.. customers.Arguments("wrong-external-id", untilCaughtUp: false), "--direct-step-aside", "5"]);
        await program.WaitForAsync(lines => lines.Count(l => l.Contains(" Committed ", StringComparison.Ordinal)) >= 8, TimeSpan.FromSeconds(90), "every window committed: staged");
        await program.WaitForAsync(lines => lines.Any(l => l.Contains("Parked staged batch ", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "a staged batch parked by its copier");
        await program.StopsCleanlyAsync("TERM");

        Assert.That(program.Output, Does.Contain("First check the external id: the tenant's \"externalId\" in the --tenants file 'ext-wrong' may not be the one the role's trust policy requires"));
        string firstCheck = program.Lines.First(l => l.Contains("STS refused to assume role", StringComparison.Ordinal));
        Assert.That(firstCheck.IndexOf("\"externalId\"", StringComparison.Ordinal), Is.LessThan(firstCheck.IndexOf("trust relationship", StringComparison.Ordinal)), "the likelier fix first");
        Assert.That(program.Output, Does.Contain(": STS (assuming the customer's role) refused it (AccessDenied, refusal 1)").And.Not.Contain("the customer's bucket refused it"));
        Assert.That(program.Output, Does.Not.Contain("the customer's bucket refused them"));
    }
}
