namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program started by a shell with a standard stream closed (<c>&gt;&amp;-</c>, <c>&lt;&amp;-</c>,
/// <c>2&gt;&amp;-</c>), as a user's script or service unit may start it. The runtime takes a closed descriptor 0, 1 or 2 for
/// a pipe of its own.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3ClosedStreamsProcessTests
{
    private const string OutputClosed = "KafkaToS3: standard output is closed (>&-), where KafkaToS3 writes its log and its last line (and --help); give > FILE, or > /dev/null to discard them.";

    [Test]
    public async Task KafkaToS3Program_HelpWithStandardOutputClosed_ExitsTwoSayingSoInsteadOfCrashing()
    {
        // It aborted with exit 134 and a stack trace ("Access to the path is denied") on writing the usage.
        var (exitCode, _, stderr) = await RunThroughShellAsync(">&-", ["--help"]);

        Assert.That(stderr, Is.EqualTo(OutputClosed + Environment.NewLine));
        Assert.That(exitCode, Is.EqualTo(2), stderr);
    }

    [Test]
    public async Task KafkaToS3Program_RunWithStandardOutputClosed_ExitsTwoBeforeJoiningTheGroupAndCommitsNothing()
    {
        // It ran the whole topic with no log, committed every window, then aborted with exit 134 on its last line: a
        // script saw a crash after the work was done.
        using var customers = await KafkaToS3Customers.ProduceAsync(12);

        var (exitCode, _, stderr) = await RunOnTopicAsync(customers, ">&-", "stdout-closed");

        Assert.That(stderr, Is.EqualTo(OutputClosed + Environment.NewLine));
        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(customers.Topic.CommittedOffsets("stdout-closed"), Has.All.LessThan(0), "refused before joining the group");
        Assert.That(await SharedPeers.S3.ListKeysAsync(customers.Customer, "t00/"), Is.Empty);
    }

    [Test]
    public async Task KafkaToS3Program_BadUsageWithStandardErrorClosed_ExitsTwoAsWithItOpenInsteadOfCrashing()
    {
        // "2>&-": it aborted (exit 134, SIGABRT) on writing its first message to standard error. Closed on purpose, it is
        // discarded as with 2>/dev/null, and the exit code still tells.
        var (exitCode, stdout, stderr) = await RunThroughShellAsync("2>&-", ["--topic", ""]);

        Assert.That(exitCode, Is.EqualTo(2), stdout + stderr);
    }

    [Test]
    public async Task KafkaToS3Program_RunWithStandardOutputOnAFullDisk_ExitsAsTheRunDidWithTheLastLineOnStandardError()
    {
        // QA: stdout on a full disk (here /dev/full: every write ENOSPC); the run delivered and committed everything, then
        // aborted with exit 134 and a stack trace on its last line.
        using var customers = await KafkaToS3Customers.ProduceAsync(12);
        KafkaTopic topic = customers.Topic;

        var (exitCode, _, stderr) = await RunOnTopicAsync(customers, ">/dev/full", "stdout-full");

        Assert.That(exitCode, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Contain("The last line could not be written to standard output").And.Contain("KafkaToS3 stopped: 12 records read").And.Not.Contain("Unhandled exception"), stderr);
        Assert.That(topic.CommittedOffsets("stdout-full"), Is.EqualTo(topic.EndOffsets));
    }

    [Test]
    public async Task KafkaToS3Program_WithStandardInputClosed_RunsToTheEndAsUsual()
    {
        // The worker never reads standard input, so a closed one (the runtime's pipe in its place) changes nothing.
        using var customers = await KafkaToS3Customers.ProduceAsync(12);
        KafkaTopic topic = customers.Topic;

        var (exitCode, stdout, stderr) = await RunOnTopicAsync(customers, "<&-", "stdin-closed");

        Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
        Assert.That(stdout, Does.Contain("KafkaToS3 stopped: 12 records read"));
        Assert.That(topic.CommittedOffsets("stdin-closed"), Is.EqualTo(topic.EndOffsets));
        List<string> ids = await customers.MessageIdsAsync(0);
        Assert.That(ids, Is.EquivalentTo(topic.ExpectedMessageIds), "each event once");
    }

    /// <summary>Runs the program until caught up on the topic of <paramref name="customers"/>, its one tenant writing under <c>t00/</c> in their bucket.</summary>
    private static Task<(int ExitCode, string Stdout, string Stderr)> RunOnTopicAsync(KafkaToS3Customers customers, string redirection, string group) =>
        RunThroughShellAsync(redirection, customers.Arguments(group, untilCaughtUp: true), SharedPeers.ServiceEnvironment());

    /// <summary>Runs the program through <c>sh -c 'exec ... REDIRECTION'</c> (bounded), with the base credentials and <paramref name="environment"/>.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunThroughShellAsync(string redirection, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        foreach (string argument in (string[])["-c", $"exec \"$0\" \"$@\" {redirection}", LocalPeersProgram.DotnetHost, KafkaToS3Program.DllPath, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (KeyValuePair<string, string> variable in RawdataProgram.BaseCredentialsEnvironment.Concat(environment ?? new Dictionary<string, string>()))
        {
            start.Environment[variable.Key] = variable.Value;
        }

        using Process process = Process.Start(start)!;
        return await ChildProcess.WaitToEndAsync(process, TimeSpan.FromMinutes(2));
    }
}
