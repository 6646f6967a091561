using Confluent.Kafka;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// QA N2: the "Lost" line of a worker the group expelled (paused past its session timeout) ended with the text for a run
/// given no partition at all ("Kafka reported no error, so the topic may not exist or the group's other members hold all
/// its partitions"): untrue for a worker that was reading the partition a moment before. It names Kafka's last error, or
/// nothing.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3LostLineProcessTests
{
    [Test]
    public async Task KafkaToS3Program_PausedPastItsSessionTimeout_SaysItLostThePartitionWithoutTheNoAssignmentText()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20);
        const string group = "lost-line";
        using var customers = await KafkaToS3Customers.CreateAsync(topic);
        string kafkaConfig = KafkaToS3Program.WriteShortSessionConfig();
        try
        {
            using KafkaToS3QaProcess worker = KafkaToS3Customers.Start([.. customers.Arguments(group, untilCaughtUp: false), "--kafka-config", kafkaConfig]);
            await worker.WaitForAsync(lines => lines.Count(l => l.Contains("Committed ", StringComparison.Ordinal)) >= topic.Partitions, TimeSpan.FromSeconds(90), "every partition's window committed");
            worker.Send("STOP");

            // Another member joins: the group gives it the partitions once the paused worker's session has ended.
            using (IConsumer<Ignore, Ignore> other = topic.JoinUntilAssigned(group))
            {
                worker.Send("CONT");
                await worker.WaitForAsync(lines => lines.Any(l => l.Contains("Lost ", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the loss said");
                worker.Send("TERM");
                int exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));
                TestContext.Out.WriteLine(worker.Output);
                Assert.That(exitCode, Is.EqualTo(0), worker.Output);
                other.Close();
            }

            List<string> lost = [.. worker.Lines.Where(l => l.Contains("Lost ", StringComparison.Ordinal))];
            Assert.That(lost, Is.Not.Empty);
            Assert.That(lost, Has.All.Contain("the group took it from this worker, which it no longer counts as a member"), worker.Output);
            Assert.That(lost, Has.None.Contain("the topic may not exist").And.None.Contain("other members hold all its partitions"), "the no-assignment text is not a cause of a loss\n" + worker.Output);
        }
        finally
        {
            File.Delete(kafkaConfig);
        }
    }
}
