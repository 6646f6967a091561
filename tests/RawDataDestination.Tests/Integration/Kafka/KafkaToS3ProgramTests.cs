using System.Diagnostics;
using RawDataDestination.Tests.Support;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>The KafkaToS3 program's command line, exit codes and signals, run as a child process against the mock cluster.</summary>
[CancelAfter(180_000)]
public class KafkaToS3ProgramTests
{
    [Test]
    public async Task KafkaToS3Program_WithBadUsage_ExitsTwoNamingEveryProblem()
    {
        string dll = BuiltPrograms.Find(Path.Combine("samples", "KafkaToS3"), "KafkaToS3.dll");
        using Process process = RawdataProgram.StartDll(dll,
        [
            "--bootstrap-servers", "127.0.0.1:9", "--group-id", "g", "--region", "us-east-1", "--bucket", "b",
            "--role-arn", SharedPeers.RoleArn, "--external-id", "x", "--max-batch-records", "0", "--endpoint-url", "s3://nope", "--follow",
        ]);
        var (exitCode, _, stderr) = await RawdataProgram.RunToEndAsync(process, stdin: "");

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("Missing required option --topic."));
        Assert.That(stderr, Does.Contain("--max-batch-records is '0'; give a whole number greater than 0"));
        Assert.That(stderr, Does.Contain("--endpoint-url is 's3://nope'; give an absolute http:// or https:// URL"));
        Assert.That(stderr, Does.Contain("Unknown argument '--follow'."));
        Assert.That(stderr, Does.Contain("Usage: KafkaToS3 --bootstrap-servers HOSTS --topic T --group-id G"));
    }

    [Test]
    public async Task KafkaToS3Program_WhenTheRoleRefusesItsExternalId_ExitsOneAndCommitsNothing()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(12);

        var (exitCode, stdout, stderr) = await KafkaToS3WorkerTests.RunProgramAsync(topic, "refused", SharedPeers.Bucket, externalId: "not-the-external-id");

        Assert.That(exitCode, Is.EqualTo(1), stdout + stderr);
        Assert.That(stdout + stderr, Does.Contain("Not delivered").And.Contain("Its offsets are not committed"));
        Assert.That(topic.CommittedOffsets("refused"), Has.All.LessThan(0), "nothing committed: the next run delivers it all");
        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{topic.Source}/"), Is.Empty);
    }

    [Test]
    public async Task KafkaToS3Program_OnSigterm_DropsItsOpenBatchesUncommittedAndExitsZero()
    {
        using KafkaTopic topic = await KafkaTopic.ProduceAsync(42);
        string dll = BuiltPrograms.Find(Path.Combine("samples", "KafkaToS3"), "KafkaToS3.dll");
        using Process process = RawdataProgram.StartDll(dll,
        [
            "--bootstrap-servers", topic.Cluster.BootstrapServers, "--topic", topic.Name, "--group-id", "stopped",
            "--region", "us-east-1", "--bucket", SharedPeers.Bucket, "--role-arn", SharedPeers.RoleArn, "--external-id", SharedPeers.ExternalId,
            "--endpoint-url", SharedPeers.S3.ServiceUrl, "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl, "--max-batch-records", "5",
        ]);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var allFullWindowsCommitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int commits = 0;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                output.Enqueue(line);
                if (line.Contains(" Committed ", StringComparison.Ordinal) && Interlocked.Increment(ref commits) == 8)
                {
                    allFullWindowsCommitted.TrySetResult();
                }
            }
        };
        process.BeginOutputReadLine();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Close();
        try
        {
            // Partitions 0 and 1 hold 11 records: after the 8 full windows, each keeps a window open with offset 10.
            await allFullWindowsCommitted.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        string stdout = string.Join("\n", output);
        Assert.That(process.ExitCode, Is.EqualTo(0), stdout + await stderr);
        Assert.That(stdout, Does.Contain("KafkaToS3 stopped: 42 records read, 2 refused, 8 objects uploaded, 8 offsets committed"));
        Assert.That(stdout, Does.Contain("Dropped the open batch of " + topic.Name + "[0] from offset 10 (1 records, shutdown)"));
        Assert.That(topic.CommittedOffsets("stopped"), Is.EqualTo(new long[] { 10, 10, 10, 10 }));
    }
}
