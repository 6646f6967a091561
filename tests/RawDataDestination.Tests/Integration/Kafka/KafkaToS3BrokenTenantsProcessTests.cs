namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program run as a user runs it, against several customers of which some are broken (a bucket that does
/// not exist, a refused role, an endpoint that never answers): stopped with SIGTERM mid-run, then run again.
/// </summary>
[CancelAfter(240_000)]
public class KafkaToS3BrokenTenantsProcessTests
{
    private const int MissingBucket = 0, RefusedRole = 1, Silent = 2, Tenants = 6;

    [TestCase(true)]
    [TestCase(false)]
    public async Task KafkaToS3Program_SigtermWhileATenantNeverAnswers_StopsWithinItsTimeoutsAndARestartDeliversTheHealthyOnce(bool withStage)
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(120, sources: Tenants);
        // Without a stage, a customer refused for good holds every partition that carries it, so only the silent one is broken there.
        int[] refused = withStage ? [MissingBucket, RefusedRole] : [];
        using var customers = await KafkaToS3Customers.CreateAsync(
            topic,
            withStage,
            bucketOf: k => k == MissingBucket && withStage ? $"missing-{Guid.NewGuid():N}" : null,
            externalIdOf: k => k == RefusedRole && withStage ? "not-the-external-id" : null);
        await using var faults = TenantPutFaults.Start(customers.Customer, (Silent, ProxyAction.Stall));

        // First run: stopped with SIGTERM once it has committed something, while the silent tenant's PUTs hang.
        using (Process first = KafkaToS3Program.Start(customers.Arguments("broken", untilCaughtUp: false, faults.ServiceUrl), SharedPeers.ServiceEnvironment()))
        {
            // Real time after the first commit (or held window): the silent tenant's attempt is under way.
            var (stdout1, stderr1, stopping) = await KafkaToS3Program.TerminateWhenAsync(
                first,
                lines => lines.Any(line => line.Contains(" Committed ", StringComparison.Ordinal) || line.Contains("Held the window", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(90),
                settle: TimeSpan.FromSeconds(2));
            TestContext.Out.WriteLine($"first run stopped {stopping.TotalSeconds:0.0} s after SIGTERM, exit {first.ExitCode}");
            TestContext.Out.WriteLine(stdout1);
            TestContext.Out.WriteLine(stderr1);
            Assert.That(stopping, Is.LessThan(TimeSpan.FromSeconds(25)), "SIGTERM: the delivery under way ends within the connect and response timeouts");
            Assert.That(first.ExitCode, Is.EqualTo(0), stdout1);
        }

        // Second run, the silent customer answering again: to the end.
        faults.Heal();
        var (exitCode, stdout, stderr2) = await customers.RunToEndAsync("broken", faults.ServiceUrl);
        TestContext.Out.WriteLine(stdout + stderr2);
        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr2);
        Assert.That(topic.CommittedOffsets("broken"), Is.EqualTo(Enumerable.Range(0, topic.Partitions).Select(topic.EndOffset)), "every window committed");

        foreach (int k in Enumerable.Range(0, Tenants).Except(refused))
        {
            List<string> ids = await customers.MessageIdsAsync(k);
            if (withStage && k == Silent)
            {
                // Its staged batches count as its objects, each at its key: a batch the second run's copier delivered but
                // whose staged copy it had not deleted when the run ended (it does not wait for a pass under way) is one
                // object, and its staged copy lands on the same key again at the next pass.
                HashSet<string> delivered = [.. await SharedPeers.S3.ListKeysAsync(customers.Customer)];
                string bucketFolder = $"~{customers.Customer}"; // then '/', or '~' and the tenant's identity tag and '/'
                foreach (string staged in await StagingPeers.KeysAsync(customers.Stage))
                {
                    bool stagedForIt = staged.StartsWith(bucketFolder + "/", StringComparison.Ordinal) || staged.StartsWith(bucketFolder + "~", StringComparison.Ordinal);
                    if (staged.EndsWith(".gz", StringComparison.Ordinal) && !(stagedForIt && delivered.Contains(staged[(staged.IndexOf('/', StringComparison.Ordinal) + 1)..])))
                    {
                        ids.AddRange(Objects.MessageIds(Support.Gzip.Lines(await SharedPeers.S3.GetObjectBytesAsync(customers.Stage, staged))));
                    }
                }

                ids = ids.Where(id => topic.ExpectedMessageIdsOf(Silent).Contains(id)).ToList();
            }

            Assert.That(ids, Is.EquivalentTo(topic.ExpectedMessageIdsOf(k)), $"tenant {k}: each event once");
        }
    }
}
