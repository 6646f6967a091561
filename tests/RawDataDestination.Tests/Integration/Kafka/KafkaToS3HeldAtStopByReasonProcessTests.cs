namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// QA N3: with STS unreachable, the stderr "Held at the stop" line of a window repeated the same reason for every tenant
/// (4,916 characters for 12 tenants), burying the one cause. The tenants that met the same reason are named together,
/// and the reason said once.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3HeldAtStopByReasonProcessTests
{
    [Test]
    public async Task KafkaToS3Program_SigtermWhileStsIsUnreachableForEveryTenant_SaysEachHeldWindowsReasonOnceNamingItsTenants()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(20, sources: 3);
        using var customers = await KafkaToS3Customers.CreateAsync(topic);
        List<string> arguments = customers.Arguments("held-by-reason", untilCaughtUp: false);
        arguments[arguments.IndexOf("--sts-endpoint-url") + 1] = RealAnswers.Refusing().ToString();
        using var program = KafkaToS3Customers.Start(arguments);
        await program.WaitForAsync(
            lines => lines.Any(l => l.Contains($"Held the window of {topic.Name}[", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60),
            "a window held");

        await program.SignalAsync("TERM", TimeSpan.FromSeconds(30));
        TestContext.Out.WriteLine(program.Output);

        Assert.That(program.ExitCode, Is.EqualTo(ExitCodes.Success), program.Output);
        List<string> held = [.. program.Errors.Split('\n').Where(l => l.Contains("Held at the stop: ", StringComparison.Ordinal))];
        Assert.That(held, Is.Not.Empty, program.Errors);
        foreach (string line in held)
        {
            Assert.That(Regex.Match(line, @"tenants ([^:]+): ").Groups[1].Value.Split(", "), Is.EquivalentTo(topic.Sources), "the tenants that met one reason named together\n" + program.Errors);
            Assert.That(line.Split("Could not reach STS").Length - 1, Is.EqualTo(1), "the reason said once, not once per tenant\n" + line);
        }
    }
}
