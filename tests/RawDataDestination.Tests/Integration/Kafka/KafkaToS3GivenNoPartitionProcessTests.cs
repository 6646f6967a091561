using Confluent.Kafka;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// QA N4: a run <c>--until-caught-up</c> that joins a group whose other, live members hold every partition is given an
/// empty assignment. That is not being assigned: it said "Caught up on every partition (0): stopping" and exited 0 at
/// once, having read nothing (the group short of the topic's end), where the README promises exit 1 at
/// <c>--assign-timeout</c> naming that the group's other members hold every partition.
/// </summary>
[CancelAfter(600_000)]
public class KafkaToS3GivenNoPartitionProcessTests
{
    /// <summary>Members besides the worker: the range assignor gives a topic's 4 partitions to the 4 members whose ids sort first, and the mock cluster's member ids do not sort by join order, so with 15 holders the worker is given none 3 times in 4.</summary>
    private const int Holders = 15;

    [Test]
    public async Task KafkaToS3Program_UntilCaughtUp_JoiningAGroupWhoseLiveMembersHoldEveryPartition_ExitsOneAtTheAssignTimeoutNotCaughtUp()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20);
        using var customers = await KafkaToS3Customers.CreateAsync(topic);
        for (int attempt = 1; attempt <= 4; attempt++)
        {
            // A fresh group each time: one whose assignor happened to give the worker a partition tests nothing here.
            if (await RunBesideHoldersAsync(topic, customers, $"held-by-others-{attempt}"))
            {
                return;
            }
        }

        Assert.Inconclusive("the assignor gave the worker a partition in each of 4 groups: the situation under test never arose");
    }

    /// <summary>Runs the worker in a group whose live members hold every partition; false when the group gave the worker one after all.</summary>
    private static async Task<bool> RunBesideHoldersAsync(KafkaTopic topic, KafkaToS3Customers customers, string group)
    {
        var holders = new List<IConsumer<Ignore, Ignore>>();
        using var stopHolders = new CancellationTokenSource();
        Task? polling = null;
        try
        {
            for (int i = 0; i < Holders; i++)
            {
                IConsumer<Ignore, Ignore> holder = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
                {
                    BootstrapServers = topic.Cluster.BootstrapServers,
                    GroupId = group,
                    ClientId = $"A-holder-{i}",
                    EnableAutoCommit = false,
                    SessionTimeoutMs = 45000, // a loaded machine must not cost a holder its session (and the worker its partition)
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
                        holder.Consume(TimeSpan.FromMilliseconds(5));
                    }
                }
            });
            using (var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                while (holders.Sum(h => h.Assignment.Count) < topic.Partitions)
                {
                    await Task.Delay(50, bound.Token); // bounded wait for the group to settle, polled by the task above
                }
            }

            using KafkaToS3QaProcess run = KafkaToS3Customers.Start([.. customers.Arguments(group, untilCaughtUp: true), "--assign-timeout", "20"]);
            int exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
            TestContext.Out.WriteLine(run.Output);
            if (run.Stdout.Contains("Assigned ", StringComparison.Ordinal))
            {
                return false;
            }

            Assert.That(run.Stdout, Does.Not.Contain("Caught up on every partition"), "given nothing, it caught up on nothing\n" + run.Output);
            Assert.That(exitCode, Is.EqualTo(1), "a run meant to end did not do its work: exit 1\n" + run.Output);
            // With many members the group may still be settling at the timeout: then the worker was given nothing at all yet,
            // and the line says so; given its empty assignment in time, the line names it.
            Assert.That(run.Errors, Does.Contain($"Stopping: no partition of topic {topic.Name} was assigned to this member of group {group} within 00:00:20 (--assign-timeout).").And.Contain("other members hold"), "stderr says why\n" + run.Output);
            return true;
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
