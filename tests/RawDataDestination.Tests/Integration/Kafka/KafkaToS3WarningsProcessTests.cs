namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program's warnings about a customer, as an operator reads them: they say what happened and name the
/// tenants file's fields, not the library's properties nor exception types.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3WarningsProcessTests
{
    private const int AclsDisabled = 0, Throttled = 1;

    [Test]
    public async Task KafkaToS3Program_ACustomerWithACLsDisabledAndAThrottledOne_WarnsInTheTenantsFilesWordsAndSaysWhatHappened()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(24, sources: 2);
        using var customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true);
        string customer = customers.Customer;
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
            TenantPutFaults.IsPutOf(customer, AclsDisabled, request) && request.Headers.ContainsKey("x-amz-acl")
                ? ProxyDecision.Response(400, "AccessControlListNotSupported", "The bucket does not allow ACLs")
            : TenantPutFaults.IsPutOf(customer, Throttled, request) ? ProxyAction.SlowDown
            : ProxyAction.Forward);

        var (exitCode, stdout, stderr) = await customers.RunToEndAsync("warnings", proxy.ServiceUrl);
        TestContext.Out.WriteLine(stdout + "\n--- stderr ---\n" + stderr);

        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        string acl = stdout.Split('\n').Single(l => l.Contains("AccessControlListNotSupported", StringComparison.Ordinal));
        Assert.That(acl, Does.Contain("without the bucket-owner-full-control ACL").And.Contain("To stop this warning, write \"acl\":\"none\" in the tenant's entry of the --tenants file;"), "the tenants file's field and value (it said 'Set Acl to None', the library's property)");
        Assert.That(acl, Does.Not.Contain("Acl to"));

        string failing = stdout.Split('\n').Single(l => l.Contains($"Tenant {topic.Sources[Throttled]} is failing", StringComparison.Ordinal));
        Assert.That(failing, Does.Contain("503").And.Contain("SlowDown").And.Contain($"bucket '{customer}'"), "what S3 answered, for which bucket");
        Assert.That(failing, Does.Not.Contain("Exception"), "what happened, not an exception's type name");
        // The throttled customer's staged batches fail their copies (a warning with the exception): one short line each.
        Assert.That(stdout.Split('\n').Where(l => l.StartsWith("warn:", StringComparison.Ordinal) && l.Contains("   at ", StringComparison.Ordinal)), Is.Empty, "a warning ends with the exception's type and message, no stack frame");
        Assert.That(await customers.MessageIdsAsync(AclsDisabled), Is.EquivalentTo(topic.ExpectedMessageIdsOf(AclsDisabled)), "delivered without the ACL, each once");
    }
}
