using System.Runtime.CompilerServices;

namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship --stage-bucket</c> and <c>rawdata deliver-staged</c> as a user meets them when something breaks: the
/// customer's side failing during the copier pass, a staging bucket that never answers, options that do not match the
/// ones ship staged with, two copiers at once, kill -9. Each is judged by the buckets' real contents (every message id
/// once, keys in the layout, the stage emptied), the exit code and what stderr says.
/// </summary>
[CancelAfter(240_000)]
public class StagingFaultsTests
{
    private const int Events = 200;

    /// <summary>How long a run may take before the test kills it and fails.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(150);

    public enum CustomerFault
    {
        SlowDown,
        NeverAnswers,
        NoSuchBucket,
        WrongExternalId,
    }

    private static string[] Verb(string verb, string s3Url, string stage, string? stageUrl = null, string externalId = RawdataPeers.ExternalId, string bucket = RawdataPeers.Bucket) =>
    [
        verb, "--region", "us-east-1", "--bucket", bucket, "--role-arn", RawdataPeers.RoleArn, "--external-id", externalId,
        "--endpoint-url", s3Url, "--sts-endpoint-url", RawdataPeers.StsUrl,
        "--stage-bucket", stage, "--stage-endpoint-url", stageUrl ?? RawdataPeers.S3Url,
    ];

    private static string[] Ship(string[] verb, string source, params string[] more) =>
        [.. verb, "--source-id", source, "--max-batch-bytes", "4096", "--max-event-bytes", "1024", "--retry-time-limit", "3s", "--shutdown-timeout", "3s", .. more];

    /// <summary>Runs rawdata to its end (bounded) with <paramref name="stdin"/> as its input.</summary>
    private static async Task<ShipRun> RunAsync(string[] arguments, string stdin = "")
    {
        ShipRun run = ShipRun.Start(arguments);
        await run.WriteAsync(stdin, close: true);
        await run.WaitForExitAsync(Limit);
        return run;
    }

    private static string Context(params ShipRun[] runs) =>
        string.Join("\n", runs.Select(run => $"exit {run.ExitCode}\n{run.Transcript}"));

    /// <summary>Asserts that the customer's bucket holds events 0..count-1 of <paramref name="prefix"/>, each once, under <c>segment-logs/{source}/{day}/{file}.gz</c>.</summary>
    private static async Task AssertDeliveredOnceAsync(string source, int count, string prefix, string context)
    {
        Dictionary<string, string[]> objects = await RawdataPeers.ReadAllAsync(RawdataPeers.Bucket, $"segment-logs/{source}/");
        Assert.That(objects.Keys, Has.All.Match("^segment-logs/" + Regex.Escape(source) + @"/\d+/\d+\.[0-9a-f-]+\.gz$"), context);
        List<string> ids = [.. objects.Values.SelectMany(lines => lines).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("messageId").GetString()!)];
        Assert.That(ids, Is.EquivalentTo(Enumerable.Range(0, count).Select(i => $"{prefix}-{i}")), "every event once\n" + context);
    }

    /// <summary>Stages <paramref name="count"/> events of <paramref name="source"/> in <paramref name="stage"/> while the customer's bucket refuses every write: they stay staged, parked.</summary>
    private static async Task StageWhileRefusedAsync(string stage, string source, int count, string prefix)
    {
        await using var refusing = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyAction.AccessDenied);
        await using ShipRun ship = await RunAsync(Ship(Verb("ship", refusing.ServiceUrl.ToString(), stage), source), ShipRun.Events(count, prefix));
        Assert.That((ship.ExitCode, ship.Count("events staged")), Is.EqualTo((0, (long?)count)), Context(ship));
    }

    [TestCase(CustomerFault.SlowDown, "SlowDown")]
    [TestCase(CustomerFault.NeverAnswers, "did not answer")]
    [TestCase(CustomerFault.NoSuchBucket, "NoSuchBucket")]
    [TestCase(CustomerFault.WrongExternalId, "sts:ExternalId")]
    public async Task ShipWithAStage_WhenTheCustomerFailsDuringTheCopierPass_SaysWhyAndToRunDeliverStagedWhichThenDeliversEachOnce(CustomerFault fault, string why)
    {
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"customer-fails-{Guid.NewGuid():N}";
        var answer = new StrongBox<ProxyDecision>(fault switch
        {
            CustomerFault.SlowDown => ProxyAction.SlowDown,
            CustomerFault.NeverAnswers => ProxyAction.Stall,
            CustomerFault.NoSuchBucket => ProxyDecision.Response(404, "NoSuchBucket", "The specified bucket does not exist"),
            _ => ProxyAction.Forward,
        });
        await using var customer = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => answer.Value!);
        string customerUrl = customer.ServiceUrl.ToString();
        string externalId = fault == CustomerFault.WrongExternalId ? "not-the-external-id" : RawdataPeers.ExternalId;

        await using ShipRun ship = await RunAsync(Ship(Verb("ship", customerUrl, stage, externalId: externalId), source), ShipRun.Events(Events, "fails"));

        Assert.That(ship.ExitCode, Is.Zero, "every event is staged\n" + Context(ship));
        Assert.That((ship.Count("events staged"), ship.Count("events delivered")), Is.EqualTo(((long?)Events, (long?)0)), Context(ship));
        string[] told = [.. ship.Stderr.Split('\n').Where(line => line.Contains("deliver-staged", StringComparison.Ordinal))];
        Assert.That(told, Has.Some.Contain(why), "the user reads why nothing reached the customer, and to run deliver-staged\n" + Context(ship));
        Assert.That(await RawdataPeers.ReadAllAsync(RawdataPeers.Bucket, $"segment-logs/{source}/"), Is.Empty);

        await using ShipRun stillBroken = await RunAsync([.. Verb("deliver-staged", customerUrl, stage, externalId: externalId), "--retry-time-limit", "3s"]);
        Assert.That(stillBroken.ExitCode, Is.EqualTo(1), Context(stillBroken));
        Assert.That(stillBroken.Stderr, Does.Contain(why), "deliver-staged says why too, not only where the reason is kept\n" + Context(stillBroken));

        answer.Value = ProxyAction.Forward;
        if (fault == CustomerFault.WrongExternalId)
        {
            // ship staged them for the wrong external id: a run with the right one is another identity, refused, and told
            // to move them under its own prefix, which it names, when they are this customer's.
            await using ShipRun refused = await RunAsync(Verb("deliver-staged", customerUrl, stage));
            Assert.That(refused.ExitCode, Is.EqualTo(2), Context(refused));
            Match move = Regex.Match(refused.Stderr, @"move those staged objects to this run's prefix, s3://[^/]+/(\S+/segment-logs/),");
            Assert.That(refused.Stderr, Does.Contain("another --external-id").And.Not.Contain(externalId), Context(refused));
            Assert.That(move.Success, Is.True, "names the prefix to move them to\n" + Context(refused));
            string staged = (await RawdataPeers.KeysAsync(stage))[0];
            await RawdataPeers.MoveAsync(stage, staged[..(staged.IndexOf('/', StringComparison.Ordinal) + 1)], move.Groups[1].Value[..^"segment-logs/".Length]);
        }

        await using ShipRun fixedNow = await RunAsync(Verb("deliver-staged", customerUrl, stage));

        Assert.That((fixedNow.ExitCode, fixedNow.Count("events delivered")), Is.EqualTo((0, (long?)Events)), Context(fixedNow));
        await AssertDeliveredOnceAsync(source, Events, "fails", Context(ship, fixedNow));
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.Empty, "batches and markers are gone from the stage");
    }

    [Test]
    public async Task DeliverStaged_WithBatchesPastTheirRetention_DeliversThoseTheCustomerTakesAndNamesTheEventsAndKeysOfThoseItRefuses()
    {
        // QA: ship staged 3,000 events while the customer's S3 did not answer; 8 days later, the customer healthy again,
        // deliver-staged deleted all 11 batches without a PUT, saying only "11 batches were past their retention and
        // were deleted undelivered." Ship's advice to run deliver-staged did not say by when.
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string taken = $"late-taken-{Guid.NewGuid():N}";
        string refused = $"late-refused-{Guid.NewGuid():N}";
        await using (var throttling = new FaultProxy(new Uri(RawdataPeers.S3Url), _ => ProxyAction.SlowDown))
        {
            foreach ((string source, string prefix) in new[] { (taken, "taken"), (refused, "refused") })
            {
                DateTimeOffset started = DateTimeOffset.UtcNow;
                await using ShipRun ship = await RunAsync(Ship(Verb("ship", throttling.ServiceUrl.ToString(), stage), source), ShipRun.Events(Events, prefix));
                Assert.That((ship.ExitCode, ship.Count("events staged")), Is.EqualTo((0, (long?)Events)), Context(ship));
                Match by = Regex.Match(ship.Stderr, @"run 'rawdata deliver-staged' .* within 7 days of staging, by (\d{4}-\d\d-\d\d \d\d:\d\d) UTC");
                Assert.That(by.Success, Is.True, "ship says by when to run deliver-staged\n" + Context(ship));
                DateTime deadline = DateTime.ParseExact(by.Groups[1].Value, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
                Assert.That(deadline, Is.InRange(started.UtcDateTime.AddDays(7).AddMinutes(-1), DateTime.UtcNow.AddDays(7)), Context(ship));
            }
        }

        IReadOnlyList<string> staged = await RawdataPeers.KeysAsync(stage);
        Assert.That(staged, Has.All.EndWith(".gz"), "throttled, not refused: nothing parked");
        int refusedBatches = staged.Count(key => key.Contains($"/{refused}/", StringComparison.Ordinal));
        await RawdataPeers.AgeStagedAsync(stage, TimeSpan.FromDays(8));

        await using var customer = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
            request.Method == "PUT" && request.Path.Contains($"/{refused}/", StringComparison.Ordinal) ? ProxyAction.AccessDenied : ProxyAction.Forward);
        await using ShipRun deliver = await RunAsync(Verb("deliver-staged", customer.ServiceUrl.ToString(), stage));

        string context = Context(deliver);
        Assert.That(deliver.ExitCode, Is.EqualTo(1), context);
        Assert.That((deliver.Count("events delivered"), deliver.Count("batches expired")), Is.EqualTo(((long?)Events, (long?)refusedBatches)), context);
        await AssertDeliveredOnceAsync(taken, Events, "taken", context);
        Assert.That(customer.Log.Count(entry => entry.Request.Method == "PUT" && entry.Request.Path.Contains($"/{refused}/", StringComparison.Ordinal)), Is.EqualTo(refusedBatches), "each refused batch tried once more\n" + context);
        string lost = deliver.Stderr.Split('\n').Single(line => line.Contains("deleted undelivered", StringComparison.Ordinal));
        Assert.That(lost, Does.Contain($"{Events} events lost").And.Contain("AccessDenied").And.Contain("retention of 7 days").And.Contain($"s3://{RawdataPeers.Bucket}/segment-logs/{refused}/"), context);
        Assert.That(lost, Does.Not.Contain(taken), context);
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.Empty, context);
    }

    [Test]
    public async Task ShipAndDeliverStaged_WhenTheCustomerNeverAnswers_StopAfterOneRetryTimeLimitNotOnePerBatch()
    {
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"silent-customer-{Guid.NewGuid():N}";
        await using var silent = new SilentEndpoint();

        // About 40 batches, 4 copied at once: one retry budget each (here the 10 s silence timeout) made ten rounds.
        var took = Stopwatch.StartNew();
        await using ShipRun ship = await RunAsync(Ship(Verb("ship", silent.Url, stage), source), ShipRun.Events(2000, "silent"));
        TimeSpan shipTook = took.Elapsed;
        took.Restart();
        await using ShipRun deliver = await RunAsync([.. Verb("deliver-staged", silent.Url, stage), "--retry-time-limit", "3s"]);
        TimeSpan deliverTook = took.Elapsed;

        Assert.That((ship.ExitCode, ship.Count("events staged")), Is.EqualTo((0, (long?)2000)), Context(ship));
        Assert.That(ship.Stderr, Does.Contain("--retry-time-limit").And.Contain("did not answer").And.Contain("rawdata deliver-staged"), Context(ship));
        Assert.That(deliver.ExitCode, Is.EqualTo(1), Context(deliver));
        Assert.That(deliver.Stderr, Does.Contain("--retry-time-limit 3 s").And.Contain("did not answer"), Context(deliver));
        Assert.That(shipTook, Is.LessThan(TimeSpan.FromSeconds(45)), "ship's pass: one retry budget, not one per round of copies\n" + Context(ship));
        Assert.That(deliverTook, Is.LessThan(TimeSpan.FromSeconds(45)), "deliver-staged: one retry budget, not one per round of copies\n" + Context(deliver));
        IReadOnlyList<string> staged = await RawdataPeers.KeysAsync(stage);
        Assert.That(staged, Has.Count.GreaterThan(8).And.All.EndWith(".gz"), "every batch stays staged, none parked");
    }

    [Test]
    public async Task DeliverStaged_WhenTheStagingBucketNeverAnswers_FailsBlamingTheStagingBucketBeforeOneRequestTimeoutHasPassed()
    {
        await using var silent = new SilentEndpoint();

        var took = Stopwatch.StartNew();
        await using ShipRun run = await RunAsync(Verb("deliver-staged", RawdataPeers.S3Url, "ops-staging/rawdata", silent.Url));
        took.Stop();

        // Each attempt gives up after the silence timeout (10 s) and the SDK retries a few times: well within the request
        // timeout (2 minutes), which alone bounded each attempt before, so that the run took ten minutes.
        Assert.That(took.Elapsed, Is.LessThan(new StagingOptions().RequestTimeout), "a silent staging bucket fails each attempt after seconds, not after the request timeout\n" + Context(run));
        Assert.That(run.ExitCode, Is.EqualTo(1), Context(run));
        Assert.That(run.Stderr, Does.Contain("did not answer for the staging bucket 'ops-staging'").And.Contain("--stage-endpoint-url"), Context(run));
    }

    [Test]
    public async Task DeliverStaged_WhenTheStagingBucketThrottlesTheFirstReadsAndDeletesOfEachBatch_RetriesAndDeliversEachOnceExitingZero()
    {
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"stage-blips-{Guid.NewGuid():N}";
        await StageWhileRefusedAsync(stage, source, Events, "blips");
        int batches = (await RawdataPeers.KeysAsync(stage)).Count(key => key.EndsWith(".gz", StringComparison.Ordinal));
        await using var stagingSide = new FaultProxy(new Uri(RawdataPeers.S3Url), StagingBlips.FirstReadsAndDeletes());

        var took = Stopwatch.StartNew();
        await using ShipRun run = await RunAsync([.. Verb("deliver-staged", RawdataPeers.S3Url, stage, stagingSide.ServiceUrl.ToString()), "--retry-time-limit", "30s"]);
        took.Stop();

        Assert.That((run.ExitCode, run.Count("events delivered"), run.Count("batches failing")), Is.EqualTo((0, (long?)Events, (long?)0)), Context(run));
        Assert.That(took.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "within one --retry-time-limit\n" + Context(run));
        await AssertDeliveredOnceAsync(source, Events, "blips", Context(run));
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.Empty, "batches and markers are gone from the stage");
        Assert.That(stagingSide.Log.Count(e => e.Request.Method == "GET" && e.Action == ProxyAction.SlowDown), Is.GreaterThanOrEqualTo(3 * batches), "the faults happened\n" + Context(run));
    }

    [Test]
    public async Task DeliverStaged_WhenTheStagingBucketKeepsFailingLongerThanTheRetryTimeLimit_GivesUpAtAboutTheLimitNamingTheStagingBucket()
    {
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"stage-down-{Guid.NewGuid():N}";
        await StageWhileRefusedAsync(stage, source, 100, "down");
        IReadOnlyList<string> staged = await RawdataPeers.KeysAsync(stage);
        await using var stagingSide = new FaultProxy(new Uri(RawdataPeers.S3Url), request => StagingBlips.IsObjectRead(request) ? ProxyAction.SlowDown : ProxyAction.Forward);

        var took = Stopwatch.StartNew();
        await using ShipRun run = await RunAsync([.. Verb("deliver-staged", RawdataPeers.S3Url, stage, stagingSide.ServiceUrl.ToString()), "--retry-time-limit", "3s"]);
        took.Stop();

        Assert.That(run.ExitCode, Is.EqualTo(1), Context(run));
        Assert.That(took.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(3)).And.LessThan(TimeSpan.FromSeconds(45)), "gave up after the limit, not at the first error, nor once per batch\n" + Context(run));
        Assert.That(run.Stderr, Does.Contain("--retry-time-limit 3 s").And.Contain($"for the staging bucket '{stage}'").And.Contain("SlowDown"), Context(run));
        Assert.That(await RawdataPeers.ReadAllAsync(RawdataPeers.Bucket, $"segment-logs/{source}/"), Is.Empty);
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.EquivalentTo(staged), "everything stays staged");
    }

    [Test]
    public async Task ShipWithAStage_WhenTheStagingBucketThrottlesReadsAndLosesDeleteAnswers_CountsEveryCopiedBatchDeliveredNotStillStaged()
    {
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"stage-counted-{Guid.NewGuid():N}";
        await using var stagingSide = new FaultProxy(new Uri(RawdataPeers.S3Url), StagingBlips.FirstReadsAndDeletes());

        await using ShipRun ship = await RunAsync(
            [.. Verb("ship", RawdataPeers.S3Url, stage, stagingSide.ServiceUrl.ToString()), "--source-id", source, "--max-batch-bytes", "4096", "--max-event-bytes", "1024", "--retry-time-limit", "30s", "--shutdown-timeout", "3s"],
            ShipRun.Events(Events, "counted"));

        Assert.That((ship.ExitCode, ship.Count("events delivered"), ship.Count("events staged")), Is.EqualTo((0, (long?)Events, (long?)0)), "a batch whose DELETE was answered only at a retry is gone from the stage, and counted so\n" + Context(ship));
        await AssertDeliveredOnceAsync(source, Events, "counted", Context(ship));
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.Empty);
        Assert.That(stagingSide.Log.Count(e => e.Action == ProxyAction.LandThenDropResponse), Is.GreaterThan(0), "the faults happened\n" + Context(ship));
    }

    [Test]
    public async Task DeliverStaged_WhenEveryPutLandsButItsAnswerIsLost_NamesTheBatchesThatMayBeInTheBucketAndPrintsTheCountLines()
    {
        // QA: "events delivered: 0" and no parked/failing lines, while 4 of the 11 batches were in the customer's bucket.
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"answers-lost-{Guid.NewGuid():N}";
        await StageWhileRefusedAsync(stage, source, Events, "lost");
        await using var customer = new FaultProxy(new Uri(RawdataPeers.S3Url), request => request.Method == "PUT" ? ProxyAction.LandThenDropResponse : ProxyAction.Forward);

        await using ShipRun run = await RunAsync([.. Verb("deliver-staged", customer.ServiceUrl.ToString(), stage), "--retry-time-limit", "3s"]);

        string context = Context(run);
        Assert.That((run.ExitCode, run.Count("events delivered"), run.Count("batches parked")), Is.EqualTo((1, (long?)0, (long?)0)), context);
        Assert.That(run.Count("batches failing"), Is.GreaterThanOrEqualTo(1), context);
        MatchCollection named = Regex.Matches(run.Stdout, @"^  may be at s3://" + Regex.Escape(RawdataPeers.Bucket) + @"/(\S+) \((\d+) events?\)$", RegexOptions.Multiline);
        IReadOnlyCollection<string> landed = (await RawdataPeers.ReadAllAsync(RawdataPeers.Bucket, $"segment-logs/{source}/")).Keys;
        Assert.That(landed, Is.Not.Empty, "the PUTs landed\n" + context);
        Assert.That(named.Select(match => match.Groups[1].Value), Is.SupersetOf(landed), "every batch in the bucket is named as one that may be there\n" + context);
        Assert.That(run.Count("may be delivered"), Is.EqualTo(named.Sum(match => long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))), context);
        Assert.That(run.Stderr, Does.Contain("may be in the customer's bucket all the same"), context);
        Assert.That((await RawdataPeers.KeysAsync(stage)).Count(key => key.EndsWith(".gz", StringComparison.Ordinal)), Is.GreaterThan(0), "they stay staged\n" + context);
    }

    [TestCase("AccessDenied", 403, "s3:PutObject")]
    [TestCase("NoSuchBucket", 404, "--stage-bucket")]
    public async Task ShipWithAStage_WhenTheStagingBucketRefusesItsPuts_GivesUpAtOnceAsARefusalNamingTheStageAndWhatToGrant(string code, int status, string fix)
    {
        // QA F4e: a staging bucket answering 403 to the service's PUTs was retried for the whole --retry-time-limit
        // ("0 refused, 2 failing"), though retrying cannot fix it; a refused batch gives up at once.
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"stage-refuses-puts-{Guid.NewGuid():N}";
        await using var stagingSide = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
            request.Method == "PUT" ? ProxyDecision.Response(status, code, "refused by the test") : ProxyAction.Forward);

        var took = Stopwatch.StartNew();
        await using ShipRun ship = await RunAsync(
            [.. Verb("ship", RawdataPeers.S3Url, stage, stagingSide.ServiceUrl.ToString()), "--source-id", source, "--max-batch-bytes", "4096", "--max-event-bytes", "1024", "--retry-time-limit", "90s", "--shutdown-timeout", "3s"],
            ShipRun.Events(Events, "refused-puts"));
        took.Stop();

        string context = Context(ship);
        Assert.That(ship.ExitCode, Is.EqualTo(1), context);
        Assert.That(took.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "gave up at once, not after --retry-time-limit 90s\n" + context);
        Assert.That(ship.Stderr, Does.Contain("refused, at once").And.Contain($"staging bucket '{stage}'").And.Contain(code).And.Contain(fix), context);
        Assert.That(ship.Stderr, Does.Not.Contain("0 refused"), "the status lines count the batch refused, not failing\n" + context);
        Assert.That((ship.Count("events delivered"), ship.Count("events staged")), Is.EqualTo(((long?)0, (long?)0)), context);
        Assert.That(ship.Count("not delivered"), Is.GreaterThan(0), context);
        ship.AssertCountsAddUp();
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.Empty, "nothing was staged");
        Assert.That(await RawdataPeers.ReadAllAsync(RawdataPeers.Bucket, $"segment-logs/{source}/"), Is.Empty, "nor delivered");
    }

    [Test]
    public async Task DeliverStaged_WhenTheStagingBucketRefusesToReadABatch_StopsAtOnceSayingRetryingCannotFixItNotThatTheLimitWasSpent()
    {
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"stage-refuses-{Guid.NewGuid():N}";
        await StageWhileRefusedAsync(stage, source, 100, "refused");
        await using var stagingSide = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
            StagingBlips.IsObjectRead(request) && request.Path.Split('?')[0].EndsWith(".gz", StringComparison.Ordinal) ? ProxyAction.AccessDenied : ProxyAction.Forward);

        await using ShipRun run = await RunAsync([.. Verb("deliver-staged", RawdataPeers.S3Url, stage, stagingSide.ServiceUrl.ToString()), "--retry-time-limit", "5m"]);

        Assert.That(run.ExitCode, Is.EqualTo(1), Context(run));
        Assert.That(run.Stderr, Does.Contain("could not copy for a reason retrying cannot fix").And.Contain($"staging bucket '{stage}'").And.Not.Contain("within --retry-time-limit"), "no retry budget was spent: the staging bucket refused\n" + Context(run));
    }

    [TestCase("--bucket", "another-customer", "s3://rawdata-customer")]
    [TestCase("--bucket", RawdataPeers.Bucket + "/team", "s3://rawdata-customer")]
    [TestCase("--stage-bucket", "{stage}/rawdata", "ship used")]
    public async Task DeliverStaged_WithOptionsOtherThanShipUsed_SaysNothingIsStagedForThemAndWhatIs(string option, string value, string named)
    {
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"mismatch-{Guid.NewGuid():N}";
        await StageWhileRefusedAsync(stage, source, 100, "mismatch");
        string[] arguments = Verb("deliver-staged", RawdataPeers.S3Url, stage);
        arguments[Array.IndexOf(arguments, option) + 1] = value.Replace("{stage}", stage, StringComparison.Ordinal);
        IReadOnlyList<string> staged = await RawdataPeers.KeysAsync(stage);

        await using ShipRun wrong = await RunAsync(arguments);

        Assert.That(wrong.ExitCode, Is.Zero, "nothing is staged for these options: nothing is left undelivered\n" + Context(wrong));
        Assert.That(wrong.Stderr, Does.Contain("Nothing is staged").And.Contain(named).And.Contain(option), "names what is wrong and what to check\n" + Context(wrong));
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.EqualTo(staged), "the staged batches and their markers are untouched");
    }

    [TestCase("--role-arn", "--external-id")]
    [TestCase("--expected-bucket-owner")]
    [TestCase("--region")]
    public async Task DeliverStaged_ForAnotherCustomersBucketOfTheSameName_RefusesNamingWhatDiffersAndTheRightRunGetsThem(params string[] changed)
    {
        // The staged path named only the customer's bucket: batches ship staged for customer A (bucket 'rawdata-customer',
        // role A) were delivered by deliver-staged run for customer B (a bucket of the same name, role B), exit 0.
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"another-customer-{Guid.NewGuid():N}";
        await StageWhileRefusedAsync(stage, source, 100, "customer-a");
        IReadOnlyList<string> staged = await RawdataPeers.KeysAsync(stage);

        var others = new Dictionary<string, (string Value, string Named)>
        {
            ["--role-arn"] = (RawdataPeers.OtherRoleArn, $"--role-arn '{RawdataPeers.RoleArn}' (this run: '{RawdataPeers.OtherRoleArn}')"),
            ["--external-id"] = (RawdataPeers.OtherExternalId, "another --external-id"),
            ["--expected-bucket-owner"] = ("210987654321", "--expected-bucket-owner 'none' (this run: '210987654321')"),
            ["--region"] = ("cn-north-1", "the partition of --region 'aws' (this run: 'aws-cn')"),
        };
        string[] customerB = [.. Verb("deliver-staged", RawdataPeers.S3Url, stage), "--stage-region", "us-east-1"]; // the operator's stage stays where it is
        foreach (string option in changed)
        {
            customerB = Array.IndexOf(customerB, option) is >= 0 and int at ? [.. customerB[..(at + 1)], others[option].Value, .. customerB[(at + 2)..]] : [.. customerB, option, others[option].Value];
        }

        // A region of another partition comes with a role of that partition: a role and a region of two are refused first (QA-J J5c).
        customerB = changed.Contains("--region") ? [.. customerB.Select(argument => argument == RawdataPeers.RoleArn ? RawdataPeers.RoleArn.Replace("arn:aws:", "arn:aws-cn:", StringComparison.Ordinal) : argument)] : customerB;

        await using (ShipRun wrong = await RunAsync([.. customerB, "--retry-time-limit", "3s"]))
        {
            string context = Context(wrong);
            Assert.That(wrong.ExitCode, Is.EqualTo(2), context);
            Assert.That(wrong.Stderr, Does.Contain($"staged for --bucket '{RawdataPeers.Bucket}' with "), context);
            foreach (string option in changed)
            {
                Assert.That(wrong.Stderr, Does.Contain(others[option].Named), "names what differs\n" + context);
            }

            Assert.That(wrong.Stderr, Does.Contain("Run deliver-staged with the values ship used"), "says what to run\n" + context);
            Assert.That(wrong.Stderr, Does.Not.Contain(RawdataPeers.ExternalId).And.Not.Contain(RawdataPeers.OtherExternalId), "external ids are not repeated\n" + context);
        }

        await AssertUntouchedThenDeliveredOnceAsync(stage, source, staged, "nothing reached customer B's bucket", Verb("deliver-staged", RawdataPeers.S3Url, stage), "customer-a");
    }

    [Test]
    public async Task DeliverStaged_ForAnotherIdentitysBatchesBehindMoreThanAPageOfOtherKeys_StillRefusesNamingThem()
    {
        // The refusal looked at the first 1000 keys under '~bucket~' only: behind more of another identity's keys for
        // another path prefix of the bucket (which it rightly leaves out), it found none, said nothing was staged, exit 0.
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"behind-a-page-{Guid.NewGuid():N}";
        await StageWhileRefusedAsync(stage, source, 100, "behind");
        string folder = (await RawdataPeers.KeysAsync(stage))[0].Split('/')[0]; // ~bucket~tag, ship's identity
        await RawdataPeers.PutEmptyAsync(stage, Enumerable.Range(0, 1001).Select(i => $"~{RawdataPeers.Bucket}~0/team/segment-logs/filler/1700784000000/{1700784000001 + i}.01a239ff-095b-765c-86ac-40313dda4f2f.gz"));

        await using ShipRun other = await RunAsync([.. Verb("deliver-staged", RawdataPeers.S3Url, stage, externalId: RawdataPeers.OtherExternalId), "--retry-time-limit", "3s"]);

        string context = Context(other);
        Assert.That(other.ExitCode, Is.EqualTo(2), context);
        Assert.That(other.Stderr, Does.Contain($"staged for --bucket '{RawdataPeers.Bucket}' with another --external-id (under s3://{stage}/{folder}/segment-logs/)"), context);
        Assert.That(other.Stderr, Does.Not.Contain("or more").And.Not.Contain("/team/"), "counted in full; the other path prefix's batches are not this run's concern\n" + context);
    }

    [Test]
    public async Task DeliverStaged_OverBatchesStagedWithoutAnIdentity_RefusesNamingWithoutIdentityWhichThenDeliversThemOnce()
    {
        // What the rawdata before staged identities left (and what KafkaToS3 stages): batches at ~{bucket}/..., with no
        // record of whose bucket of that name they are for. They still deliver, once the user says they are this customer's.
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"untagged-{Guid.NewGuid():N}";
        await StageWhileRefusedAsync(stage, source, 100, "untagged");
        string first = (await RawdataPeers.KeysAsync(stage))[0];
        Assert.That(first, Does.StartWith($"~{RawdataPeers.Bucket}~"), "ship stages under its identity's prefix");
        await RawdataPeers.MoveAsStagedWithoutIdentityAsync(stage, first[..(first.IndexOf('/', StringComparison.Ordinal) + 1)], $"~{RawdataPeers.Bucket}/");
        IReadOnlyList<string> staged = await RawdataPeers.KeysAsync(stage);
        Assert.That(staged, Is.Not.Empty.And.All.StartWith($"~{RawdataPeers.Bucket}/segment-logs/{source}/"));

        await using (ShipRun refused = await RunAsync(Verb("deliver-staged", RawdataPeers.S3Url, stage)))
        {
            string context = Context(refused);
            Assert.That(refused.ExitCode, Is.EqualTo(2), context);
            Assert.That(refused.Stderr, Does.Contain($"staged for --bucket '{RawdataPeers.Bucket}' without a record of whose bucket of that name they are for").And.Contain("run deliver-staged again with --without-identity"), context);
        }

        await AssertUntouchedThenDeliveredOnceAsync(stage, source, staged, "nothing sent before the user says whose they are", [.. Verb("deliver-staged", RawdataPeers.S3Url, stage), "--without-identity"], "untagged");
    }

    /// <summary>
    /// After a refused deliver-staged: nothing of <paramref name="source"/> in the customer's bucket and the stage as it
    /// was (<paramref name="staged"/>); then <paramref name="deliver"/> delivers its 100 events once and empties the stage.
    /// </summary>
    private static async Task AssertUntouchedThenDeliveredOnceAsync(string stage, string source, IReadOnlyList<string> staged, string nothingSent, string[] deliver, string prefix)
    {
        Assert.That(await RawdataPeers.ReadAllAsync(RawdataPeers.Bucket, $"segment-logs/{source}/"), Is.Empty, nothingSent);
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.EqualTo(staged), "the staged batches and their markers are untouched");

        await using ShipRun delivered = await RunAsync(deliver);
        Assert.That((delivered.ExitCode, delivered.Count("events delivered")), Is.EqualTo((0, (long?)100)), Context(delivered));
        await AssertDeliveredOnceAsync(source, 100, prefix, Context(delivered));
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.Empty, "batches and markers are gone from the stage");
    }

    [Test]
    public async Task DeliverStaged_GivenTheStagingBucketWithoutThePrefixShipUsed_NamesThePrefixTheBatchesAreStagedUnderNotAnEmptyStage()
    {
        // ship staged with --stage-bucket STAGE/st; deliver-staged --stage-bucket STAGE said nothing was staged "for any
        // other bucket under s3://STAGE/" while the batches were there, one prefix deeper.
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"deeper-{Guid.NewGuid():N}";
        await StageWhileRefusedAsync($"{stage}/st", source, 100, "deeper");

        await using ShipRun wrong = await RunAsync(Verb("deliver-staged", RawdataPeers.S3Url, stage));

        string context = Context(wrong);
        Assert.That(wrong.Stderr, Does.Contain("Nothing is staged").And.Not.Contain("nor for any other bucket"), context);
        Assert.That(wrong.Stderr, Does.Contain($"The staging bucket holds batches staged under another stage prefix, as ship stages them with --stage-bucket '{stage}/st' (s3://{stage}/st/): run deliver-staged with that --stage-bucket"), context);

        await using ShipRun right = await RunAsync(Verb("deliver-staged", RawdataPeers.S3Url, $"{stage}/st"));
        Assert.That(right.ExitCode, Is.Zero, Context(right));
        await AssertDeliveredOnceAsync(source, 100, "deeper", Context(right));
    }

    [Test]
    public async Task DeliverStaged_TwoRunsAtOnceOnOneStage_WriteEachEventOnceAndEmptyTheStage()
    {
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"two-copiers-{Guid.NewGuid():N}";
        await StageWhileRefusedAsync(stage, source, 2000, "two");

        Task<ShipRun> first = RunAsync(Verb("deliver-staged", RawdataPeers.S3Url, stage));
        Task<ShipRun> second = RunAsync(Verb("deliver-staged", RawdataPeers.S3Url, stage));
        await using ShipRun one = await first;
        await using ShipRun other = await second;

        Assert.That((one.ExitCode, other.ExitCode), Is.EqualTo((0, 0)), Context(one, other));
        await AssertDeliveredOnceAsync(source, 2000, "two", Context(one, other));
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.Empty);
    }

    [Test]
    public async Task DeliverStaged_KilledMidPassWithPutsLandedAndHanging_TheNextRunDeliversEachEventOnce()
    {
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"killed-{Guid.NewGuid():N}";
        await StageWhileRefusedAsync(stage, source, 1000, "killed");

        // Three PUTs land and are answered, the rest hang: kill -9 leaves delivered batches, and hanging ones, staged.
        int puts = 0;
        var hanging = new StrongBox<bool>(true);
        await using var customer = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
            hanging.Value && request.Method == "PUT" && Interlocked.Increment(ref puts) > 3 ? ProxyAction.Stall : ProxyAction.Forward);
        await using (ShipRun run = ShipRun.Start(Verb("deliver-staged", customer.ServiceUrl.ToString(), stage)))
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (Volatile.Read(ref puts) < 6)
            {
                await Task.Delay(20, deadline.Token);
            }

            run.Signal("KILL");
            await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        hanging.Value = false;
        await using ShipRun again = await RunAsync(Verb("deliver-staged", customer.ServiceUrl.ToString(), stage));

        Assert.That(again.ExitCode, Is.Zero, Context(again));
        await AssertDeliveredOnceAsync(source, 1000, "killed", Context(again));
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.Empty);
    }

    [Test]
    public async Task ShipWithAStageAndASpool_KilledAfterAcknowledging_TheNextRunOverTheSpoolDeliversEachEventOnce()
    {
        string stage = await RawdataPeers.NewBucketAsync("stage");
        string source = $"spool-stage-{Guid.NewGuid():N}";
        using var spool = new TempDirectory("rawdata-stage-spool-");
        await using (ShipRun run = ShipRun.Start(Ship(Verb("ship", RawdataPeers.S3Url, stage), source, "--spool-dir", spool.Path, "--progress")))
        {
            await run.WriteAsync(ShipRun.Events(1000, "spooled"));
            await run.WaitForLineAsync(line => line == "acknowledged 1000", TimeSpan.FromSeconds(60), "every line acknowledged (journaled)");
            run.Signal("KILL");
            await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        await using ShipRun again = await RunAsync(Ship(Verb("ship", RawdataPeers.S3Url, stage), source, "--spool-dir", spool.Path));

        Assert.That(again.ExitCode, Is.Zero, Context(again));
        await AssertDeliveredOnceAsync(source, 1000, "spooled", Context(again));
        Assert.That(await RawdataPeers.KeysAsync(stage), Is.Empty);
    }
}
