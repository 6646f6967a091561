using Confluent.Kafka;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// QA N4: a run <c>--until-caught-up</c> that joins a group whose other, live members hold every partition is given an
/// empty assignment. That is not being assigned: it said "Caught up on every partition (0): stopping" and exited 0 at
/// once, having read nothing (the group short of the topic's end), where the README promises exit 1 at
/// <c>--assign-timeout</c> naming that the group's other members hold every partition.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3GivenNoPartitionProcessTests
{
    [Test]
    public async Task KafkaToS3Program_UntilCaughtUp_JoiningAGroupWhoseLiveMembersHoldEveryPartition_ExitsOneAtTheAssignTimeoutNotCaughtUp()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20);
        const string group = "held-by-others";
        using var customers = await KafkaToS3Customers.CreateAsync(topic);

        // One live member per partition, each given one: the range assignor gives the worker, joining as the fifth
        // member (its member id sorts after theirs), none.
        var holders = new List<IConsumer<Ignore, Ignore>>();
        using var stopHolders = new CancellationTokenSource();
        Task? polling = null;
        try
        {
            for (int i = 0; i < topic.Partitions; i++)
            {
                IConsumer<Ignore, Ignore> holder = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
                {
                    BootstrapServers = topic.Cluster.BootstrapServers,
                    GroupId = group,
                    ClientId = $"A-holder-{i}",
                    EnableAutoCommit = false,
                    SessionTimeoutMs = 6000,
                    HeartbeatIntervalMs = 100,
                    PartitionAssignmentStrategy = PartitionAssignmentStrategy.Range,
                }).Build();
                holder.Subscribe(topic.Name);
                holders.Add(holder);
            }

            // The members keep polling (a rebalance waits for each of them to join again), reading nothing they commit.
            polling = Task.Run(() =>
            {
                while (!stopHolders.IsCancellationRequested)
                {
                    foreach (IConsumer<Ignore, Ignore> holder in holders)
                    {
                        holder.Consume(TimeSpan.FromMilliseconds(20));
                    }
                }
            });
            using (var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                while (holders.Sum(h => h.Assignment.Count) < topic.Partitions || holders.Any(h => h.Assignment.Count == 0))
                {
                    await Task.Delay(50, bound.Token); // bounded wait for the group to settle, polled by the task above
                }
            }

            using KafkaToS3QaProcess run = KafkaToS3Customers.Start([.. customers.Arguments(group, untilCaughtUp: true), "--assign-timeout", "8"]);
            int exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
            TestContext.Out.WriteLine(run.Output);

            Assert.That(run.Stdout, Does.Not.Contain("Caught up on every partition"), "given nothing, it caught up on nothing\n" + run.Output);
            Assert.That(exitCode, Is.EqualTo(1), "a run meant to end did not do its work: exit 1\n" + run.Output);
            Assert.That(run.Errors, Does.Contain($"Stopping: no partition of topic {topic.Name} was assigned to this member of group {group} within 00:00:08 (--assign-timeout). The group gave this worker an empty assignment: its other members hold every partition of the topic"), "stderr says why\n" + run.Output);
            Assert.That(holders.Sum(h => h.Assignment.Count), Is.EqualTo(topic.Partitions), "the other members held every partition throughout");
        }
        finally
        {
            stopHolders.Cancel();
            if (polling is not null)
            {
                await polling.WaitAsync(TimeSpan.FromSeconds(30));
            }

            foreach (IConsumer<Ignore, Ignore> holder in holders)
            {
                holder.Close();
                holder.Dispose();
            }
        }
    }
}
