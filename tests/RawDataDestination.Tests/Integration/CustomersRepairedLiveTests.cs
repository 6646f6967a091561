namespace RawDataDestination.Tests.Integration;

/// <summary>
/// Customers that break and are repaired on their side while the service runs (no restart, no settings change), on moto
/// with IAM enforced: a role whose permission policy is removed, a bucket deleted, a trust policy changed before the
/// service first assumed the role. Their batches are kept meanwhile and land at the next flush once repaired, each event
/// once; the healthy customers are never held back.
/// </summary>
public class CustomersRepairedLiveTests
{
    private const int Sources = 20;
    private const int EventsEach = 3;

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(300_000)]
    public async Task Flush_WhenBrokenCustomersAreRepairedOnTheirSideWhileItRuns_DeliversTheirKeptBatchesOnceWithoutARestart(bool withSpool)
    {
        string[] healthy = [.. Enumerable.Range(0, 6).Select(i => $"h{i}")];
        string[] names = [.. healthy, "noperm", "nobucket", "untrusted"];
        var customers = new Dictionary<string, (TestCustomer Customer, string RoleName)>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            TestCustomer customer = await TestCustomer.CreateAsync(name, $"{name}-ext");
            customers[name] = (customer, customer.RoleArn.Split('/')[^1]);
        }

        var destinations = customers.ToDictionary(c => c.Key, c =>
        {
            S3RoleDestinationOptions options = Integration.Destinations.Options(c.Value.Customer.Bucket, c.Value.Customer.ExternalId!, SharedPeers.S3.ServiceUrl);
            options.RoleArn = c.Value.Customer.RoleArn;
            return new TenantDestination(c.Key, options);
        });
        using var iam = new AwsApi(new Uri(SharedPeers.S3.ServiceUrl), SharedPeers.S3.Account.Administrator);
        using AmazonS3Client administrator = SharedPeers.S3.CreateClient(SharedPeers.S3.AdministratorCredentials);
        using var spool = withSpool ? new TempDirectory("rawdata-repaired-live-") : null;
        using var router = new DestinationRouter(new CustomerOfSource(destinations), baseCredentials: SharedPeers.ServiceCredentials());
        var options = new BatchBufferOptions
        {
            SpoolDirectory = spool?.Path, ShutdownTimeout = TimeSpan.FromSeconds(2),
            RetryBaseDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromSeconds(1),
        };
        await using var buffer = new BatchBuffer(options, router);

        // Before the run: the service has used every customer but 'untrusted', whose trust policy then names another
        // external id (its first AssumeRole is refused).
        await AppendAsync(buffer, [.. names.Where(n => n != "untrusted")], "before");
        await buffer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await iam.IamAsync("UpdateAssumeRolePolicy", ("RoleName", customers["untrusted"].RoleName), ("PolicyDocument", Policies.CustomerTrust(SharedPeers.Service.Arn, "someone-elses-id")));
        await SharedPeers.S3.Account.DeleteRolePolicyAsync(customers["noperm"].RoleName, "segment-s3-upload");
        string gone = customers["nobucket"].Customer.Bucket;
        foreach (S3Object stored in (await administrator.ListObjectsV2Async(new ListObjectsV2Request { BucketName = gone })).S3Objects ?? [])
        {
            await administrator.DeleteObjectAsync(gone, stored.Key);
        }

        await administrator.DeleteBucketAsync(gone);

        // Broken: the flush gives up on the three at once; the healthy customers' events all land.
        await AppendAsync(buffer, names, "broken");
        Assert.ThrowsAsync<BatchDeliveryException>(async () => await buffer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        long healthyEvents = healthy.Length * Sources * EventsEach * 2L;
        using (var waiting = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (buffer.GetStatus().RefusedBatches < 3 * Sources || buffer.GetStatus().DeliveredEvents < healthyEvents + (2L * Sources * EventsEach))
            {
                await Task.Delay(20, waiting.Token);
            }
        }

        Assert.That(buffer.GetStatus().FailingLanes.Select(l => (l.Key, l.WaitingBatches, l.WaitingEvents)), Is.EquivalentTo(
            new[] { "noperm", "nobucket", "untrusted" }.Select(n => (n, Sources, (long)Sources * EventsEach))), "each broken customer's batches kept, in its own lane");

        // Repaired on the customers' side; the service is not restarted and its settings are the same.
        await iam.IamAsync("UpdateAssumeRolePolicy", ("RoleName", customers["untrusted"].RoleName), ("PolicyDocument", Policies.CustomerTrust(SharedPeers.Service.Arn, "untrusted-ext")));
        await SharedPeers.S3.Account.PutRolePolicyAsync(customers["noperm"].RoleName, "segment-s3-upload", customers["noperm"].Customer.Role.PermissionPolicy);
        await SharedPeers.S3.CreateBucketAsync(gone);
        await buffer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));

        DeliveryStatus status = buffer.GetStatus();
        Assert.That((status.UndeliveredEvents, status.FailingLaneCount), Is.EqualTo((0L, 0)));
        foreach (string name in names)
        {
            List<string> ids = await Objects.MessageIdsAsync("segment-logs/", customers[name].Customer.Bucket);
            string[] runs = name switch { "untrusted" or "nobucket" => ["broken"], _ => ["before", "broken"] }; // the deleted bucket took its 'before' objects with it
            Assert.That(ids, Is.EquivalentTo(runs.SelectMany(run => Ids(name, run))), $"{name}: each event once, in its own bucket");
        }
    }

    private static async Task AppendAsync(BatchBuffer buffer, string[] customers, string run)
    {
        for (int i = 0; i < EventsEach; i++)
        {
            foreach (string customer in customers)
            {
                for (int s = 0; s < Sources; s++)
                {
                    await buffer.AppendAsync($"{customer}.s{s}", Encoding.UTF8.GetBytes($"{{\"messageId\":\"{customer}.s{s}-{run}-{i}\"}}"));
                }
            }
        }
    }

    private static IEnumerable<string> Ids(string customer, string run) =>
        Enumerable.Range(0, Sources).SelectMany(s => Enumerable.Range(0, EventsEach).Select(i => $"{customer}.s{s}-{run}-{i}"));

    /// <summary>A source 'acme.s3' belongs to customer 'acme'.</summary>
    private sealed class CustomerOfSource(Dictionary<string, TenantDestination> destinations) : IDestinationResolver
    {
        public TenantDestination? Resolve(string sourceId) => destinations.GetValueOrDefault(sourceId.Split('.')[0]);
    }
}
