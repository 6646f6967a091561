namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program run until stopped, without a stage, over two customers of which one never answers (its PUTs
/// stalled by the fault proxy, on partitions 0 and 1): those partitions' windows are held while the others commit to
/// their ends, and SIGTERM then drops the held windows uncommitted. An operator stopping the service reads on stderr which
/// partitions were left from which offset, for which tenant and why, and that the next run delivers them.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3StopWhileHeldProcessTests
{
    private const int Healthy = 0, Silent = 1;

    [Test]
    public async Task KafkaToS3Program_SigtermWhileACustomersPutsStallWithoutAStage_ExitsZeroNamingEachHeldPartitionItsTenantAndCauseOnStderr()
    {
        // Stderr had only the signal's acknowledgement: the held windows dropped uncommitted were info lines on stdout.
        // Then they were error lines (fail:) on stderr, in a run that exits 0; they are warnings there now.
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(40, sources: 2, sourceOf: KafkaTopic.OnPartitions0And1(Silent, Healthy));
        using var customers = await KafkaToS3Customers.CreateAsync(topic);
        await using var faults = TenantPutFaults.Start(customers.Customer, (Silent, ProxyAction.Stall));
        using var program = KafkaToS3Customers.Start(customers.Arguments("stopped-while-held", untilCaughtUp: false, faults.ServiceUrl));
        await program.WaitForAsync(
            lines => new[] { 0, 1 }.All(p => lines.Any(l => l.Contains($"Held the window of {topic.Name}[{p}]", StringComparison.Ordinal)))
                && new[] { 2, 3 }.All(p => lines.Any(l => l.Contains($"Committed {topic.Name}[{p}] at {topic.EndOffset(p)} ", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(60),
            "partitions 0 and 1 held while 2 and 3 are committed to their ends");

        TimeSpan stopping = await program.SignalAsync("TERM", TimeSpan.FromSeconds(30));
        TestContext.Out.WriteLine($"stopped {stopping.TotalSeconds:0.0} s after SIGTERM, exit {program.ExitCode}\n{program.Output}");

        Assert.That(program.ExitCode, Is.EqualTo(ExitCodes.Success), "a worker run until stopped gives nothing up: exit 0, as the README says\n" + program.Output);
        List<string> errors = [.. program.Errors.Split('\n').Where(l => l.Trim().Length > 0)];
        foreach (int partition in new[] { 0, 1 })
        {
            Assert.That(
                errors,
                Has.One.Contain($"Held at the stop: {topic.Name}[{partition}], nothing committed from offset 0 on; tenant {topic.Sources[Silent]}: ")
                    .And.Contain("no answer").And.Contain("read again and delivered by the next run: nothing is lost"),
                program.Errors);
        }

        Assert.That(errors.Where(l => l.Contains("Held at the stop: ", StringComparison.Ordinal)), Has.None.Contain("..").And.None.Contain(".;"), "each reason is a clause of the line, without its own full stop\n" + program.Errors);
        Assert.That(errors.Where(l => l.Contains("Held at the stop: ", StringComparison.Ordinal)), Has.All.StartWith("warn: RawDataDestination.KafkaToS3.KafkaToS3Worker[20] Held at the stop: "), "a warning: nothing failed, the exit code is 0\n" + program.Errors);
        Assert.That(errors, Has.None.StartWith("fail:"), "no error line in a run that exits 0\n" + program.Errors);
        Assert.That(errors, Has.None.Contain($"{topic.Name}[2]").And.None.Contain($"{topic.Name}[3]").And.None.Contain($"tenant {topic.Sources[Healthy]}"), "only the held partitions and their tenant are named");
        Assert.That(program.Lines.Last(), Does.StartWith("KafkaToS3 stopped: ").And.EndWith("; 2 held windows left uncommitted, read again by the next run"), "the summary line last on stdout, counting the held windows");
        Assert.That(topic.CommittedOffsets("stopped-while-held"), Is.EqualTo(topic.OnlyPartitions2And3Committed), "nothing of the held partitions committed; the healthy ones to their ends");
        IEnumerable<string> ofPartitions2And3 = topic.MessageIdsOnPartitions2And3(Healthy);
        Assert.That(await customers.MessageIdsAsync(Healthy), Is.Unique.And.SupersetOf(ofPartitions2And3), "the healthy customer's events of partitions 2 and 3, once");
    }
}
