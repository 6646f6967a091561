namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program run as an operator runs it, for a customer whose role's trust policy was removed (its batches
/// staged, then parked by the copier) and later restored: the customer gets its records once it is fixed, not an hour
/// later on the parked batches' schedule.
/// </summary>
[CancelAfter(240_000)]
public class KafkaToS3FixedTenantProcessTests
{
    private const int Fixed = 0, Healthy = 1;

    [Test]
    public async Task KafkaToS3Program_ATenantWhoseTrustIsRestoredBeforeARestart_GetsItsParkedBatchesFromTheNextRunsFirstPass()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20, sources: 2, sourceOf: i => i == 0 ? Fixed : Healthy);
        await using FixedTenant tenant = await FixedTenant.CreateAsync(topic);
        // First run: the trust policy names someone else; the batch of record 0 is staged, and the copier parks it.
        using (Process first = KafkaToS3Program.Start(tenant.Arguments(), SharedPeers.ServiceEnvironment()))
        {
            var (stdout, stderr, _) = await KafkaToS3Program.TerminateWhenAsync(
                first, lines => lines.Any(l => l.Contains("Parked staged batch", StringComparison.Ordinal)), TimeSpan.FromSeconds(90));
            Assert.That(first.ExitCode, Is.EqualTo(0), stdout + stderr);
        }

        Assert.That(await tenant.ParkedMarkersAsync(), Is.EqualTo(1), "the refused batch is parked");

        // The customer restores the trust policy; the operator restarts the worker.
        await tenant.RestoreTrustAsync();
        using Process second = KafkaToS3Program.Start(tenant.Arguments(), SharedPeers.ServiceEnvironment());
        long[] ends = [.. Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)];
        var (stdout2, stderr2, _) = await KafkaToS3Program.TerminateWhenAsync(
            second,
            lines => lines.Any(l => l.Contains($"Tenant {topic.Sources[Fixed]}: delivered staged batches 1 (events 1) to the customer's bucket", StringComparison.Ordinal))
                && topic.CommittedOffsets("fixed").SequenceEqual(ends),
            TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine(stdout2 + stderr2);

        Assert.That(await tenant.MessageIdsAsync(Fixed), Is.EquivalentTo(topic.ExpectedMessageIdsOf(Fixed)), "the fixed customer's events, once");
        Assert.That(await tenant.MessageIdsAsync(Healthy), Is.EquivalentTo(topic.ExpectedMessageIdsOf(Healthy)), "the healthy customer's events, once");
        Assert.That(await StagingPeers.KeysAsync(tenant.Stage), Is.Empty, "nothing left staged, no marker left behind");
    }

    [Test]
    public async Task KafkaToS3Program_ATenantWhoseTrustIsRestoredWhileItRuns_GetsItsParkedBatchesOnceItsRecordsGoThroughAgain()
    {
        // Record 0 is the fixed customer's only record until it is fixed; records 20 to 39 (one window per partition) come after.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20, sources: 2, sourceOf: i => i == 0 || i >= 20 ? Fixed : Healthy);
        await using FixedTenant tenant = await FixedTenant.CreateAsync(topic);
        using Process worker = KafkaToS3Program.Start(tenant.Arguments(), SharedPeers.ServiceEnvironment());
        string fixedTenant = topic.Sources[Fixed];
        var (stdout, stderr, _) = await KafkaToS3Program.TerminateWhenAsync(
            worker,
            lines =>
            {
                if (lines.Count(l => l.Contains("Parked staged batch", StringComparison.Ordinal)) == 1 && !tenant.Restored)
                {
                    // The customer restores the trust policy and its records flow again: their direct PUTs succeed.
                    tenant.Restored = true;
                    _ = Task.Run(async () =>
                    {
                        await tenant.RestoreTrustAsync();
                        await topic.ProduceMoreAsync(20);
                    });
                }

                return lines.Any(l => l.Contains($"Tenant {fixedTenant}: delivered staged batches 1 (events 1) to the customer's bucket", StringComparison.Ordinal));
            },
            TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine(stdout + stderr);

        // Stopped once the parked batch is delivered: the windows after the fix may still be open (they are not the point here).
        List<string> ids = await tenant.MessageIdsAsync(Fixed);
        Assert.That(ids.Count(id => id == KafkaTopic.MessageId(0)), Is.EqualTo(1), "the parked event, once");
        Assert.That(ids, Is.Unique, "no event twice");
        Assert.That(await StagingPeers.KeysAsync(tenant.Stage), Is.Empty, "nothing left staged, no marker left behind");
    }

    /// <summary>Two tenants on a customer bucket of their own; the first has a role of its own whose trust policy can be removed and restored.</summary>
    private sealed class FixedTenant : IAsyncDisposable
    {
        private const string ExternalId = "fixed-later-4711";
        private readonly KafkaToS3Customers _customers;
        private readonly AwsApi _iam;
        private readonly string _roleName;

        private FixedTenant(KafkaToS3Customers customers, AwsApi iam, string roleName)
        {
            _customers = customers;
            _iam = iam;
            _roleName = roleName;
        }

        public string Stage => _customers.Stage;

        /// <summary>Gets or sets whether the trust policy was restored (set by the test).</summary>
        public bool Restored { get; set; }

        public static async Task<FixedTenant> CreateAsync(KafkaTopic topic)
        {
            string roleName = "Fixed" + Guid.NewGuid().ToString("N")[..8];
            KafkaToS3Customers customers = await KafkaToS3Customers.CreateAsync(topic, withStage: true, configure: async (customer, tenants) =>
            {
                CustomerRole role = await SharedPeers.S3.Account.CreateCustomerRoleAsync(
                    new CustomerRoleSetup { RoleName = roleName, ExternalId = ExternalId, Bucket = customer, Prefixes = ["t00"] }, SharedPeers.Service);
                tenants.Tenants[Fixed].RoleArn = role.RoleArn;
                tenants.Tenants[Fixed].ExternalId = ExternalId;
            });
            var tenant = new FixedTenant(customers, new AwsApi(new Uri(SharedPeers.S3.ServiceUrl), SharedPeers.S3.Account.Administrator), roleName);
            await tenant.TrustAsync("arn:aws:iam::" + AccountSetup.AccountId + ":user/someone-else");
            return tenant;
        }

        public List<string> Arguments() => _customers.Arguments("fixed", untilCaughtUp: false);

        public Task RestoreTrustAsync() => TrustAsync(SharedPeers.Service.Arn);

        public async Task<int> ParkedMarkersAsync() => (await StagingPeers.KeysAsync(Stage)).Count(k => k.EndsWith(".parked.json", StringComparison.Ordinal));

        public Task<List<string>> MessageIdsAsync(int tenant) => _customers.MessageIdsAsync(tenant);

        public ValueTask DisposeAsync()
        {
            _customers.Dispose();
            _iam.Dispose();
            return ValueTask.CompletedTask;
        }

        private Task TrustAsync(string principal) =>
            _iam.IamAsync("UpdateAssumeRolePolicy", ("RoleName", _roleName), ("PolicyDocument", Policies.CustomerTrust(principal, ExternalId)));
    }
}
