using System.Diagnostics;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program's start-up probe of its staging bucket, run as a process over moto (IAM enforced) and the
/// librdkafka mock cluster: a stage that does not exist, or that the service's own credentials may not list or write,
/// ends the start with exit 2, naming the bucket, what S3 said and what to grant, before anything is read or committed;
/// it used to show only as copier warnings until the first customer's refusal stopped the worker (exit 1). A stage that
/// never answers, or answers only 503 SlowDown, holds the start a few seconds at most: the worker starts and delivers to its customers as before.
/// A start killed during its probe leaves its empty probe object only until the next start, which probes the same key.
/// </summary>
[CancelAfter(180_000)]
public class KafkaToS3StageProbeProcessTests
{
    private const int Tenants = 2;

    /// <summary>A refused probe ends the run within this, joining of the group included: it is at the start.</summary>
    private static readonly TimeSpan RefusedWithin = TimeSpan.FromSeconds(30);

    [Test]
    public async Task KafkaToS3Program_AStageBucketThatDoesNotExist_ExitsTwoAtStartNamingTheBucketAndTheFlag()
    {
        using var customers = await KafkaToS3Customers.ProduceAsync(20, sources: Tenants);
        // A stage bucket that does not exist, though the service's policy names it (deleted, or never made). S3 answers
        // NoSuchBucket; moto, with its IAM rules, answers a bucket the policy does not name with AccessDenied first.
        string missing = $"stage-{Guid.NewGuid():N}";
        await SharedPeers.S3.Account.PutUserPolicyAsync(SharedPeers.Service, "staging-" + missing, Policies.ServiceStaging(missing, string.Empty));

        var (exitCode, elapsed, run) = await RunAsync(customers, "probe-missing", missing, new Uri(SharedPeers.S3.ServiceUrl));
        using KafkaToS3QaProcess process = run;

        Assert.That(exitCode, Is.EqualTo(ExitCodes.BadUsage), run.Output);
        Assert.That(elapsed, Is.LessThan(RefusedWithin), run.Output);
        Assert.That(run.Errors, Does.Contain($"The staging bucket '{missing}' refused the start-up probe's ListObjectsV2")
            .And.Contain("NoSuchBucket").And.Contain("Check --stage-bucket").And.Contain("then start the worker again"), run.Output);
        await NothingDeliveredOrCommittedAsync(customers, "probe-missing", run);
    }

    [Test]
    public async Task KafkaToS3Program_AStageTheServiceMayNotList_ExitsTwoAtStartNamingListBucket()
    {
        using var customers = await KafkaToS3Customers.ProduceAsync(20, sources: Tenants);
        string stage = $"stage-{Guid.NewGuid():N}";
        await SharedPeers.S3.CreateBucketAsync(stage); // the operator's bucket, with nothing granted to the service

        var (exitCode, elapsed, run) = await RunAsync(customers, "probe-no-list", stage, new Uri(SharedPeers.S3.ServiceUrl));
        using KafkaToS3QaProcess process = run;

        Assert.That(exitCode, Is.EqualTo(ExitCodes.BadUsage), run.Output);
        Assert.That(elapsed, Is.LessThan(RefusedWithin), run.Output);
        Assert.That(run.Errors, Does.Contain($"The staging bucket '{stage}' refused the start-up probe's ListObjectsV2")
            .And.Contain($"s3:ListBucket on arn:aws:s3:::{stage}").And.Contain("AccessDenied")
            .And.Contain("A bucket of another account (a name mistyped in --stage-bucket) is refused the same way"), run.Output);
        await NothingDeliveredOrCommittedAsync(customers, "probe-no-list", run);
    }

    [Test]
    public async Task KafkaToS3Program_AStageTheServiceMayListButNotWrite_ExitsTwoAtStartNamingPutObject()
    {
        using var customers = await KafkaToS3Customers.ProduceAsync(20, sources: Tenants);
        string stage = $"stage-{Guid.NewGuid():N}";
        await SharedPeers.S3.CreateBucketAsync(stage);

        // A policy that names the bucket, not its objects: s3:ListBucket works, s3:PutObject is refused.
        await SharedPeers.S3.Account.PutUserPolicyAsync(SharedPeers.Service, "list-only-" + stage, $$"""
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::{{stage}}"}]}
            """);

        var (exitCode, elapsed, run) = await RunAsync(customers, "probe-no-write", stage, new Uri(SharedPeers.S3.ServiceUrl));
        using KafkaToS3QaProcess process = run;

        Assert.That(exitCode, Is.EqualTo(ExitCodes.BadUsage), run.Output);
        Assert.That(elapsed, Is.LessThan(RefusedWithin), run.Output);
        Assert.That(run.Errors, Does.Contain($"The staging bucket '{stage}' refused the start-up probe's PutObject of an empty probe object")
            .And.Contain("(s3:PutObject)").And.Contain("AccessDenied").And.Contain($"s3:PutObject, s3:GetObject and s3:DeleteObject on arn:aws:s3:::{stage}/*"), run.Output);
        Assert.That(await StagingPeers.KeysAsync(stage), Is.Empty, "the probe left nothing in the stage");
        await NothingDeliveredOrCommittedAsync(customers, "probe-no-write", run);
    }

    [Test]
    public async Task KafkaToS3Program_AStageThatNeverAnswers_WarnsOnceAndDeliversToTheCustomersAsBefore()
    {
        using var customers = await KafkaToS3Customers.ProduceAsync(20, sources: Tenants);
        await using var silent = new SilentEndpoint();

        var (exitCode, elapsed, run) = await RunAsync(customers, "probe-silent", "ops-stage", new Uri(silent.Url), TimeSpan.FromSeconds(120));
        using KafkaToS3QaProcess process = run;

        Assert.That(exitCode, Is.EqualTo(ExitCodes.Success), run.Output);
        Assert.That(silent.BytesReceived, Is.GreaterThan(0), "the probe did call the stage");
        Assert.That(run.Count("The staging bucket 'ops-stage' could not be probed at start (ListObjectsV2 of prefix '~' (s3:ListBucket)): it did not answer within 3 s. The worker starts as it would without the probe"), Is.EqualTo(1), run.Output);
        Assert.That(run.Errors, Does.Not.Contain("start-up probe"), run.Output);
        await DeliveredAsBeforeAsync(customers, "probe-silent", run, elapsed);
    }

    [Test]
    public async Task KafkaToS3Program_AStageThatAnswersEveryCallWithSlowDown_WarnsOnceAndDeliversToTheCustomersAsBefore()
    {
        using var customers = await KafkaToS3Customers.ProduceAsync(20, sources: Tenants);
        string stage = await StagingPeers.NewBucketAsync("stage");
        await using FaultProxy busy = MotoFaults.Proxy(_ => ProxyAction.SlowDown); // busy: 503 SlowDown, retried by the SDK

        var (exitCode, elapsed, run) = await RunAsync(customers, "probe-busy", stage, busy.ServiceUrl, TimeSpan.FromSeconds(120));
        using KafkaToS3QaProcess process = run;

        Assert.That(exitCode, Is.EqualTo(ExitCodes.Success), run.Output);
        Assert.That(run.Count($"The staging bucket '{stage}' could not be probed at start (ListObjectsV2 of prefix '~' (s3:ListBucket)): "), Is.EqualTo(1), run.Output);
        await DeliveredAsBeforeAsync(customers, "probe-busy", run, elapsed);
    }

    [Test]
    public async Task KafkaToS3Program_AWorkerKilledDuringItsProbe_LeavesAProbeObjectTheNextStartRemoves()
    {
        using var customers = await KafkaToS3Customers.ProduceAsync(20, sources: Tenants);
        string stage = await StagingPeers.NewBucketAsync("stage");

        // The first start is killed (SIGKILL) with its probe object written and its DeleteObject not yet answered: the
        // proxy holds that call until the kill, and the stage never sees it.
        var deleteArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        await using (FaultProxy holdsTheDelete = MotoFaults.Proxy(request =>
        {
            if (request.Method == "DELETE" && request.Path.Contains("/~/start-probe", StringComparison.Ordinal))
            {
                deleteArrived.TrySetResult();
                return new ProxyDecision(ProxyAction.Forward) { Gate = never.Task };
            }

            return ProxyAction.Forward;
        }))
        {
            using var killed = KafkaToS3Customers.Start(
                [.. customers.Arguments("probe-killed", untilCaughtUp: true), .. KafkaToS3Program.StageArguments(stage, holdsTheDelete.ServiceUrl.ToString())]);
            await deleteArrived.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await killed.SignalAsync("KILL", TimeSpan.FromSeconds(30));
            TestContext.Out.WriteLine($"killed during its probe\n{killed.Output}");
        }

        IReadOnlyList<string> left = await StagingPeers.KeysAsync(stage);
        Assert.That(left, Has.Count.EqualTo(1).And.All.StartWith("~/start-probe"), "the killed start's probe object is left");

        var (exitCode, _, run) = await RunAsync(customers, "probe-after-kill", stage, new Uri(SharedPeers.S3.ServiceUrl));
        using KafkaToS3QaProcess process = run;

        Assert.That(exitCode, Is.EqualTo(ExitCodes.Success), run.Output);
        Assert.That(await StagingPeers.KeysAsync(stage), Is.Empty, $"the next start's probe removed {left[0]}: nothing is left in the stage for good");
    }

    /// <summary>Runs the program until caught up with <paramref name="stage"/> at <paramref name="stageUrl"/>, bounded.</summary>
    private static async Task<(int ExitCode, TimeSpan Elapsed, KafkaToS3QaProcess Run)> RunAsync(
        KafkaToS3Customers customers, string group, string stage, Uri stageUrl, TimeSpan? bound = null)
    {
        var clock = Stopwatch.StartNew();
        var run = KafkaToS3Customers.Start(
            [.. customers.Arguments(group, untilCaughtUp: true), .. KafkaToS3Program.StageArguments(stage, stageUrl.ToString())]);
        int exitCode = await run.WaitForExitAsync(bound ?? TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine($"exit {exitCode} after {clock.Elapsed.TotalSeconds:0.0} s\n{run.Output}");
        return (exitCode, clock.Elapsed, run);
    }

    /// <summary>
    /// What a start whose stage could not be probed does as it did without the probe: every partition of
    /// <paramref name="group"/> committed, each tenant's records in its folder once, and all of it within a minute.
    /// </summary>
    private static async Task DeliveredAsBeforeAsync(KafkaToS3Customers customers, string group, KafkaToS3QaProcess run, TimeSpan elapsed)
    {
        Assert.That(customers.EveryPartitionCommitted(group), Is.True, run.Output);
        await customers.EachTenantHasItsRecordsOnceAsync(k => $"tenant {k}: each of its records once");

        // The probe held the start at most its bound, and the end's count of a silent stage its own 5 s.
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), run.Output);
    }

    private static async Task NothingDeliveredOrCommittedAsync(KafkaToS3Customers customers, string group, KafkaToS3QaProcess run)
    {
        Assert.That(customers.Topic.CommittedOffsets(group), Has.All.LessThan(0), "nothing committed\n" + run.Output);
        Assert.That(await SharedPeers.S3.ListKeysAsync(customers.Customer), Is.Empty, "no customer's bucket written\n" + run.Output);
        Assert.That(run.Stdout, Does.Not.Contain("KafkaToS3 stopped:"), "the run never started");
    }
}
