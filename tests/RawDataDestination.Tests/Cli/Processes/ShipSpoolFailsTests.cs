namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> whose spool fails under it while S3 is healthy (a full disk, or here, the folder a new journal
/// needs taken by a file): the message names the spool, not S3, and the counts still add up. And a spool given to a
/// run for another customer, which must not deliver what it holds there.
/// </summary>
[CancelAfter(120_000)]
public class ShipSpoolFailsTests
{
    /// <summary>2023-11-24 and 2023-11-25 at 00:00 UTC, in Unix milliseconds: the spool's day folders.</summary>
    private const string FirstDay = "1700784000000";
    private const string SecondDay = "1700870400000";

    [TestCase(1_100, 2, 1024)]
    [TestCase(1_500, 1, 256)]
    public async Task Ship_BackfillOfMoreDaysThanTheOpenFileLimitWithASpool_DeliversEveryEventOnce(int days, int perDay, int maxOpenFiles)
    {
        // One or two events a day over many UTC days, shuffled, under ulimit -n 1024 (a common default) or 256 (macOS's): each
        // open batch holds its journal open, so ship may not keep one open per day, and a batch being sealed may hold no
        // file past its seal. Before, the journals ran out of files ("Too many open files"), the run stopped and its
        // summary counted events "unaccounted".
        string source = $"backfill-{Guid.NewGuid():N}";
        var random = new Random(20261203);
        string[] lines = [.. Enumerable.Range(0, days * perDay)
            .Select(i => $"{{\"type\":\"track\",\"messageId\":\"day-{i}\",\"receivedAt\":\"{DateTimeOffset.UnixEpoch.AddDays(19_000 + (i / perDay)):yyyy-MM-dd}T10:00:00.000Z\"}}")
            .OrderBy(_ => random.Next())];
        using var folder = new TempDirectory("rawdata-backfill-");
        string input = Path.Combine(folder.Path, "events.ndjson");
        await File.WriteAllLinesAsync(input, lines);

        await using ShipRun run = ShipRun.StartReading(input, RawdataPeers.Ship(source, "--spool-dir", Path.Combine(folder.Path, "spool")), maxOpenFiles);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(100));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(0), context);
        Assert.That(run.Stderr, Does.Not.Contain("Too many open files"), context);
        Assert.That(run.Count("events delivered"), Is.EqualTo(days * perDay), context);
        run.AssertCountsAddUp();
        List<string> delivered = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(delivered, Is.EquivalentTo(Enumerable.Range(0, days * perDay).Select(i => $"day-{i}")), "every event once");
    }

    [Test]
    public async Task Ship_SpoolWriteFailsMidRun_BlamesTheSpoolNotTheConnectionToS3()
    {
        using var spool = new OneSpool("fails");
        await using ShipRun run = ShipRun.Start(spool.Ship(RawdataPeers.S3Url));
        await run.WriteAsync("{\"type\":\"track\",\"messageId\":\"first\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}\n");
        await spool.WaitForJournalAsync(run);

        // The next day's journal folder cannot be made: a file stands where it goes (as a full disk, the write fails).
        await spool.PlantAsync("journal", SecondDay, "not a folder");
        await run.WriteAsync("{\"type\":\"track\",\"messageId\":\"second\",\"receivedAt\":\"2023-11-25T10:00:00.000Z\"}\n", close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(1), context);
        string last = run.Stderr.TrimEnd().Split('\n')[^1];
        Assert.That(last, Does.Not.Contain("connection").And.Not.Contain("customer's bucket"), "S3 answered every request: the spool failed\n" + context);
        Assert.That(last, Does.Contain($"--spool-dir '{spool.Folder}'").And.Contain(SecondDay).And.Contain("run ship again"), "names the spool, the file and what to do\n" + context);
        run.AssertCountsAddUp();
    }

    [Test]
    public async Task Ship_SealedBatchTheSpoolCouldNotSaveAndS3Refusing_CountsItAsSpooledAndTheNextRunDeliversIt()
    {
        using var spool = new OneSpool("unsaved");
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
        await using (ShipRun first = ShipRun.Start(spool.Ship(refusing, "--retry-time-limit", "2s", "--shutdown-timeout", "2s")))
        {
            await first.WriteAsync(ShipRun.Events(5, "unsaved"));
            await spool.WaitForJournalAsync(first);

            // The sealed batch cannot be saved (a file stands where its folder goes): it stays in memory, its journal on disk.
            await spool.PlantAsync("sealed", FirstDay, "not a folder");
            await first.WriteAsync(string.Empty, close: true);
            await first.WaitForExitAsync(TimeSpan.FromSeconds(90));

            string context = first.Transcript;
            Assert.That(first.ExitCode, Is.EqualTo(1), context);
            Assert.That((first.Count("events spooled"), first.Count("not delivered")), Is.EqualTo(((long?)5, (long?)0)), "the journal keeps the 5 events: the next run delivers them\n" + context);
            first.AssertCountsAddUp();
        }

        File.Delete(Path.Combine(spool.Folder, "sealed", spool.Source, FirstDay));

        await using ShipRun next = await spool.ShipToTheEndAsync();

        Assert.That((next.ExitCode, next.Count("events delivered")), Is.EqualTo((0, (long?)5)), next.Transcript);
        Assert.That(await RawdataPeers.KeysAsync(RawdataPeers.Bucket), Has.Exactly(1).Contain($"segment-logs/{spool.Source}/"), "delivered once");
    }

    [TestCase("another-customer-bucket")]
    [TestCase(RawdataPeers.Bucket + "/segment-logs")]
    public async Task Ship_OverASpoolHoldingAnotherBucketsBatches_RefusesBeforeSendingAnyAndTheRightBucketGetsThem(string otherBucket)
    {
        // A spool keeps batches, not where they go: the run after a stopped one for customer A, given customer B's
        // --bucket and role, delivered A's events into B's bucket, exit 0 and not a word (or, for another path prefix,
        // under segment-logs/segment-logs/).
        using var spool = new OneSpool("owner");
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
        await using (ShipRun first = ShipRun.Start(spool.Ship(refusing, "--retry-time-limit", "2s", "--shutdown-timeout", "2s")))
        {
            await first.WriteAsync(ShipRun.Events(5, "owner"), close: true);
            await first.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That((first.ExitCode, first.Count("events spooled")), Is.EqualTo((1, (long?)5)), first.Transcript);
        }

        string[] other = spool.Ship(RawdataPeers.S3Url);
        other[Array.IndexOf(other, "--bucket") + 1] = otherBucket + "/"; // a trailing slash: the same bucket as without
        await using (ShipRun elsewhere = ShipRun.Start(other))
        {
            await elsewhere.WriteAsync(string.Empty, close: true);
            await elsewhere.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That(elsewhere.ExitCode, Is.EqualTo(2), elsewhere.Transcript);
            Assert.That(elsewhere.Stderr, Does.Contain($"--spool-dir '{spool.Folder}' holds 1 batch not yet delivered that an earlier run made for --bucket '{RawdataPeers.Bucket}'").And.Contain($"this run names --bucket '{otherBucket}'"), elsewhere.Transcript);
        }

        Assert.That(await RawdataPeers.KeysAsync(RawdataPeers.Bucket), Has.None.Contain($"segment-logs/{spool.Source}/"), "nothing sent by the refused run");
        await using ShipRun right = await spool.ShipToTheEndAsync();
        Assert.That((right.ExitCode, right.Count("events delivered")), Is.EqualTo((0, (long?)5)), right.Transcript);
        Assert.That(await RawdataPeers.MessageIdsAsync(spool.Source), Has.Count.EqualTo(5).And.Unique);
    }

    [TestCase("--role-arn", "--external-id")]
    [TestCase("--external-id")]
    [TestCase("--expected-bucket-owner")]
    [TestCase("--region")]
    public async Task Ship_OverASpoolHoldingBatchesForAnotherCustomersBucketOfTheSameName_RefusesNamingWhatDiffersAndTheRightRunGetsThem(params string[] changed)
    {
        // QA-E F-high-2: the spool's record held only the bucket and prefix. A run for customer B, whose bucket has the same
        // name (another store, partition, account), with B's role and external id, delivered customer A's spooled events
        // into B's bucket, exit 0.
        using var spool = new OneSpool("customer");
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
        await using (ShipRun first = ShipRun.Start(spool.Ship(refusing, "--retry-time-limit", "2s", "--shutdown-timeout", "2s")))
        {
            await first.WriteAsync(ShipRun.Events(5, "customer"), close: true);
            await first.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That((first.ExitCode, first.Count("events spooled")), Is.EqualTo((1, (long?)5)), first.Transcript);
        }

        var others = new Dictionary<string, (string Value, string Named)>
        {
            ["--role-arn"] = (RawdataPeers.OtherRoleArn, $"--role-arn '{RawdataPeers.RoleArn}' (this run: '{RawdataPeers.OtherRoleArn}')"),
            ["--external-id"] = (RawdataPeers.OtherExternalId, "another --external-id"),
            ["--expected-bucket-owner"] = ("210987654321", "--expected-bucket-owner 'none' (this run: '210987654321')"),
            ["--region"] = ("cn-north-1", "the partition of --region 'aws' (this run: 'aws-cn')"),
        };
        string[] other = spool.Ship(RawdataPeers.S3Url);
        foreach (string option in changed)
        {
            other = Array.IndexOf(other, option) is >= 0 and int at ? [.. other[..(at + 1)], others[option].Value, .. other[(at + 2)..]] : [.. other, option, others[option].Value];
        }

        // A region of another partition comes with a role of that partition: a role and a region of two are refused first (QA-J J5c).
        other = changed.Contains("--region") ? [.. other.Select(argument => argument == RawdataPeers.RoleArn ? RawdataPeers.RoleArn.Replace("arn:aws:", "arn:aws-cn:", StringComparison.Ordinal) : argument)] : other;

        await using (ShipRun elsewhere = ShipRun.Start(other))
        {
            await elsewhere.WriteAsync(string.Empty, close: true);
            await elsewhere.WaitForExitAsync(TimeSpan.FromSeconds(90));
            string context = elsewhere.Transcript;
            Assert.That(elsewhere.ExitCode, Is.EqualTo(2), context);
            Assert.That(elsewhere.Stderr, Does.Contain($"--spool-dir '{spool.Folder}' holds 1 batch not yet delivered that an earlier run made for --bucket '{RawdataPeers.Bucket}' with "), context);
            foreach (string option in changed)
            {
                Assert.That(elsewhere.Stderr, Does.Contain(others[option].Named), "names what differs\n" + context);
            }

            Assert.That(elsewhere.Stderr, Does.Not.Contain(RawdataPeers.ExternalId).And.Not.Contain(RawdataPeers.OtherExternalId), "external ids are not repeated\n" + context);
            Assert.That(elsewhere.Stderr, Does.Contain("undelivered in this one"), "another spool leaves these events behind, and says so\n" + context);
        }

        Assert.That(await RawdataPeers.KeysAsync(RawdataPeers.Bucket), Has.None.Contain($"segment-logs/{spool.Source}/"), "nothing sent by the refused run");
        Assert.That(File.ReadAllText(Path.Combine(spool.Folder, "rawdata-destination")), Does.Not.Contain(RawdataPeers.ExternalId), "the external id is kept as a digest only");
        await using ShipRun right = await spool.ShipToTheEndAsync();
        Assert.That((right.ExitCode, right.Count("events delivered")), Is.EqualTo((0, (long?)5)), right.Transcript);
        Assert.That(await RawdataPeers.MessageIdsAsync(spool.Source), Has.Count.EqualTo(5).And.Unique);
    }

    [Test]
    public async Task Ship_OverASpoolWhoseDestinationRecordIsRandomBytes_NamesTheRecordDamagedWithoutEchoingItAndFollowingTheAdviceDelivers()
    {
        // QA J6: random bytes in rawdata-destination were read as another customer's bucket: "run ship with --bucket
        // '<the bytes>'", control characters and all, written to the terminal twice.
        using var spool = new OneSpool("destination-garbage");
        await spool.PlantSealedBatchAsync(ShipRun.Events(7, "held"));

        string record = Path.Combine(spool.Folder, "rawdata-destination");
        byte[] garbage = new byte[154];
        new Random(7).NextBytes(garbage);
        garbage[0] = (byte)'8';
        garbage[1] = 0x1B; // ESC: a terminal takes what follows as a command
        await File.WriteAllBytesAsync(record, garbage);

        await using (ShipRun refused = await spool.ShipToTheEndAsync())
        {
            string context = refused.Transcript;
            Assert.That(refused.ExitCode, Is.EqualTo(2), context);
            Assert.That(refused.Stderr, Does.Contain($"'{record}', is not one rawdata writes whole").And.Contain($"delete '{record}' and run again").And.Not.Contain("Run ship with --bucket"), context);
            Assert.That(refused.Stdout + refused.Stderr, Has.None.Matches<char>(c => (char.IsControl(c) && c is not '\n' and not '\r') || c == '\uFFFD'), "no byte of the record echoed\n" + context);
        }

        Assert.That(await RawdataPeers.MessageIdsAsync(spool.Source), Is.Empty, "nothing sent by the refused run");
        File.Delete(record);
        await using ShipRun right = await spool.ShipToTheEndAsync();
        Assert.That((right.ExitCode, right.Count("events delivered")), Is.EqualTo((0, (long?)7)), right.Transcript);
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(record), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "QA J5: the record is private, as every spool file");
        }
    }

    [TestCase("", "it is empty")]
    [TestCase(" \n\n", "it is empty")]
    [TestCase("cust-buck", "it ends inside a line: it was cut short")]
    public async Task Ship_OverASpoolHoldingABatchWhoseDestinationRecordIsEmptyOrCut_IsRefusedAsDamagedAndSendsNothingToThisRunsBucket(string record, string why)
    {
        // QA-M M1: an emptied record (what a power cut after the rename can leave) was taken as "no record", and a run for
        // another customer delivered every batch the spool held into its own bucket, exit 0, not a word. A record cut
        // inside its first line was read as a bucket nobody named.
        using var spool = new OneSpool("destination-empty");
        await spool.PlantSealedBatchAsync(ShipRun.Events(7, "held"));
        string path = Path.Combine(spool.Folder, "rawdata-destination");
        await File.WriteAllTextAsync(path, record);

        await using (ShipRun refused = await spool.ShipToTheEndAsync())
        {
            string context = refused.Transcript;
            Assert.That(refused.ExitCode, Is.EqualTo(2), context);
            Assert.That(refused.Stderr, Does.Contain($"'{path}', is not one rawdata writes whole ({why})").And.Contain("the 1 batch the spool holds"), context);
        }

        Assert.That(await RawdataPeers.MessageIdsAsync(spool.Source), Is.Empty, "nothing sent by the refused run");
        File.Delete(path); // the advice, for a spool whose batches are this run's
        await using ShipRun right = await spool.ShipToTheEndAsync();
        Assert.That((right.ExitCode, right.Count("events delivered")), Is.EqualTo((0, (long?)7)), right.Transcript);
        Assert.That(await File.ReadAllTextAsync(path), Does.EndWith("\n"), "written whole again");
    }

    [Test]
    public async Task Ship_TheSameFileForAnotherCustomersBucketOfTheSameNameOverTheSameSpool_ReadsItForThatCustomerAndEachKeepsItsPlace()
    {
        // QA-E F-low-4, the other direction: the place records were named by file, source and bucket only. After the file
        // was shipped to customer A, the same command for customer B (its role and external id, a bucket of the same name)
        // said "read to its end: nothing new to read", and B got nothing, exit 0.
        using var spool = new OneSpool("places");
        string input = await spool.WriteInputBesideAsync(ShipRun.Events(5, "places"));
        string[] customerA = [.. spool.Ship(RawdataPeers.S3Url), "--input", input];
        string[] customerB = [.. customerA];
        customerB[Array.IndexOf(customerB, "--role-arn") + 1] = RawdataPeers.OtherRoleArn;
        customerB[Array.IndexOf(customerB, "--external-id") + 1] = RawdataPeers.OtherExternalId;

        foreach ((string[] command, long delivered, string who) in new[] { (customerA, 5L, "A"), (customerB, 5L, "B"), (customerA, 0L, "A again"), (customerB, 0L, "B again") })
        {
            await using ShipRun run = ShipRun.Start(command);
            await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That((run.ExitCode, run.Count("events delivered")), Is.EqualTo((0, (long?)delivered)), $"customer {who}\n{run.Transcript}");
            Assert.That(run.Stderr.Contains("nothing new to read", StringComparison.Ordinal), Is.EqualTo(delivered == 0), $"customer {who}\n{run.Transcript}");
        }

        Assert.That(await RawdataPeers.MessageIdsAsync(spool.Source), Has.Count.EqualTo(10), "each customer's run delivered the file once");
    }

    [Test]
    public async Task Ship_OverASpoolWhoseRecordAnEarlierVersionWroteWithTheBucketOnly_DeliversWhatItHoldsReadsOnAndRecordsTheWholeDestination()
    {
        // Spools left by the version before: a destination record of one line (the bucket), place records named by file,
        // source and bucket. The first run after the upgrade takes both as its own (as that version did), then records its
        // whole destination: a run for another customer's bucket of the same name is refused from then on.
        using var spool = new OneSpool("upgrade");
        string input = await spool.WriteInputBesideAsync(ShipRun.Events(5, "upgrade"));
        string[] command = [.. spool.Ship(RawdataPeers.S3Url), "--input", input];
        await using (ShipRun first = ShipRun.Start(command))
        {
            await first.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That((first.ExitCode, first.Count("events delivered")), Is.EqualTo((0, (long?)5)), first.Transcript);
        }

        // What the earlier version left: its record of the bucket alone, and its place record named without the rest.
        string inputs = Path.Combine(spool.Folder, "rawdata-inputs");
        string record = Directory.GetFiles(inputs).Single();
        string full = Path.GetFullPath(input);
        string older = Path.Combine(inputs, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{full}\n{spool.Source}\n{RawdataPeers.Bucket}")))[..32] + ".ndjson");
        File.Move(record, older);
        await File.WriteAllTextAsync(Path.Combine(spool.Folder, "rawdata-destination"), RawdataPeers.Bucket + "\n");

        await using (ShipRun upgraded = ShipRun.Start(command))
        {
            await upgraded.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.That((upgraded.ExitCode, upgraded.Count("events delivered")), Is.EqualTo((0, (long?)0)), "read on from the earlier version's place: nothing twice\n" + upgraded.Transcript);
            Assert.That(upgraded.Stderr, Does.Contain("nothing new to read"), upgraded.Transcript);
        }

        Assert.That(File.ReadAllLines(Path.Combine(spool.Folder, "rawdata-destination")), Does.Contain($"role-arn {RawdataPeers.RoleArn}"), "the whole destination recorded");
        Assert.That(await RawdataPeers.MessageIdsAsync(spool.Source), Has.Count.EqualTo(5).And.Unique);
    }

    [Test]
    public async Task Ship_WhenASealedFileChangesOnDiskBeforeItsUpload_QuarantinesItSaysWhichAndDeliversEveryOtherBatchOnce()
    {
        // Five days of events, one batch each. The first PUT is answered 503 SlowDown and its batch's file is changed on
        // disk meanwhile (bytes nobody sealed, as a failing disk leaves them): its retry gets S3's BadDigest. Before, that
        // was "S3 is busy", retried for the whole --retry-time-limit while the other batches waited; only the next run
        // quarantined the file.
        using var spool = new OneSpool("changed");
        const int Days = 5, PerDay = 30;
        string events = string.Concat(Enumerable.Range(0, Days).SelectMany(day => Enumerable.Range(0, PerDay).Select(i =>
            $"{{\"type\":\"track\",\"messageId\":\"d{day}-{i}\",\"receivedAt\":\"2023-11-{24 + day}T10:00:00.000Z\"}}\n")));
        int puts = 0;
        string? changed = null;
        await using var s3 = new FaultProxy(new Uri(RawdataPeers.S3Url), request =>
        {
            if (request.Method != "PUT" || Interlocked.Increment(ref puts) > 1)
            {
                return ProxyAction.Forward;
            }

            string name = request.Path.Split('?')[0].Split('/')[^1];
            changed = Directory.GetFiles(Path.Combine(spool.Folder, "sealed"), name, SearchOption.AllDirectories).Single();
            byte[] bytes = File.ReadAllBytes(changed);
            bytes[bytes.Length / 2] ^= 0xFF;
            File.WriteAllBytes(changed, bytes);
            return ProxyAction.SlowDown;
        });

        await using ShipRun run = ShipRun.Start(spool.Ship(s3.ServiceUrl.ToString().TrimEnd('/'), "--retry-time-limit", "20s"));
        await run.WriteAsync(events, close: true);
        TimeSpan took = await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        string context = run.Transcript;
        Assert.That(run.ExitCode, Is.EqualTo(1), context);
        Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(15)), "not retried for the retry time limit\n" + context);
        Assert.That((run.Count("events delivered"), run.Count("events set aside"), run.Count("events spooled")), Is.EqualTo(((long?)((Days - 1) * PerDay), (long?)PerDay, (long?)0)), context);
        run.AssertCountsAddUp();
        string name = Path.GetFileName(changed!);
        Assert.That(run.Stderr, Does.Contain(name).And.Contain("no longer match the SHA-256 recorded").And.Contain(Path.Combine(spool.Folder, "quarantine")), "the warning names the file, why, and where it went\n" + context);
        Assert.That(run.Stderr.TrimEnd().Split('\n')[^1], Does.StartWith("Not all delivered: 1 file of the spool").And.Contain("changed on disk"), context);
        Assert.That(Directory.GetFiles(Path.Combine(spool.Folder, "quarantine")).Select(Path.GetFileName), Has.One.EndsWith(name).And.One.EndsWith(name + ".sha256"), context);
        List<string> delivered = await RawdataPeers.MessageIdsAsync(spool.Source);
        Assert.That(delivered, Has.Count.EqualTo((Days - 1) * PerDay).And.Unique, "every other batch once");
        Assert.That(s3.Log.Count(l => l.Request.Method == "PUT"), Is.EqualTo(Days + 1), "one PUT per batch, and the changed one's refused retry: nothing retried after");
    }

    [Test]
    public async Task Ship_EarlierJournalItCannotSealAtStart_DeliversItInTheSameRunOnceItCanBeSealed()
    {
        using var spool = new OneSpool("journal");

        // What a killed run leaves: the journal of an open batch. Its sealed file cannot be made at start (a file stands
        // where its folder goes; as with a full disk). Recovery then sets that file aside, and the flush tries the journal
        // again: it was left for the next run.
        await spool.PlantAsync("journal", Path.Combine(FirstDay, $"{Guid.CreateVersion7()}.ndjson"), ShipRun.Events(4, "journaled"));
        await spool.PlantAsync("sealed", FirstDay, "not a folder");

        await using (ShipRun first = await spool.ShipToTheEndAsync())
        {
            string context = first.Transcript;
            Assert.That(first.Stderr, Does.Contain("could not be sealed now"), context);
            Assert.That(first.Count("events delivered"), Is.EqualTo(4), "sealed and delivered in this run\n" + context);
            Assert.That(first.ExitCode, Is.EqualTo(1), "the file set aside is said\n" + context);
        }

        await using ShipRun next = await spool.ShipToTheEndAsync();

        Assert.That((next.ExitCode, next.Count("events delivered")), Is.EqualTo((0, (long?)0)), "nothing twice\n" + next.Transcript);
    }

    [Test]
    public async Task Ship_DamagedFileInTheSpoolThatCannotBeMoved_ExitsOneNamingItAndLeavesNoCopyInQuarantine()
    {
        // QA: a damaged sealed file made immutable was skipped, the summary said nothing was left undelivered, the exit
        // was 0, and the failed move left a full copy in quarantine (a second one at every run).
        Spool.Undeletable.RequireImmutable("the file");

        using var spool = new OneSpool("immovable");
        string damaged = await spool.PlantAsync("sealed", Path.Combine(FirstDay, $"1700800000000.{Guid.CreateVersion7()}.gz"), "garbage");
        using (Spool.Undeletable.Make(damaged))
        {
            await using ShipRun run = await spool.ShipToTheEndAsync(ShipRun.Events(3, "beside-immovable"));
            string context = run.Transcript;
            Assert.That((run.ExitCode, run.Count("events delivered")), Is.EqualTo((1, (long?)3)), context);
            Assert.That(run.Stderr.TrimEnd().Split('\n')[^1], Does.StartWith("Not all delivered: 1 file of the spool could not be read by this user, or could not be trusted and not set aside").And.Contain($"'{damaged}'").And.Contain("chattr -i"), context);
            Assert.That(File.Exists(damaged), Is.True, context);
            Assert.That(Directory.Exists(Path.Combine(spool.Folder, "quarantine")) ? Directory.GetFiles(Path.Combine(spool.Folder, "quarantine")) : [], Is.Empty, "no copy of it set aside beside it\n" + context);
        }

        // Made movable, as the line says: the next run sets it aside.
        await using ShipRun next = await spool.ShipToTheEndAsync();
        Assert.That((next.ExitCode, next.Count("quarantined")), Is.EqualTo((1, (long?)1)), next.Transcript);
        Assert.That(Directory.GetFiles(Path.Combine(spool.Folder, "quarantine")), Has.Length.EqualTo(1), next.Transcript);
    }

    [Test]
    public async Task Ship_DamagedFileInTheSpool_ExitsOneSayingWhereItIsAndWhatToDoAndTheRunAfterExitsZero()
    {
        using var spool = new OneSpool("damaged");
        await spool.PlantAsync("sealed", Path.Combine(FirstDay, "1700800000000.not-a-batch.gz"), "garbage");

        await using (ShipRun run = await spool.ShipToTheEndAsync(ShipRun.Events(3, "beside-damage")))
        {
            string context = run.Transcript;
            Assert.That((run.ExitCode, run.Count("events delivered")), Is.EqualTo((1, (long?)3)), "the other events are delivered, but not everything the spool held: a script must notice\n" + context);
            Assert.That(run.Stderr, Does.Contain("1700800000000.not-a-batch.gz"), "the warning names the file\n" + context);
            Assert.That(run.Count("quarantined"), Is.EqualTo(1), "the summary says a file was set aside, not delivered\n" + context);
            Assert.That(run.Stdout, Does.Contain($"'{Path.Combine(spool.Folder, "quarantine")}'").And.Contain("shipped again"), "where it is and what to do\n" + context);
            Assert.That(run.Stderr.TrimEnd().Split('\n')[^1], Does.Contain($"'{Path.Combine(spool.Folder, "quarantine")}'").And.Contain("rawdata ship"), "the last line says where and what to do\n" + context);
            run.AssertCountsAddUp();
        }

        // The file stays in quarantine for a person; the next run has nothing new to say about it.
        await using ShipRun next = await spool.ShipToTheEndAsync(ShipRun.Events(2, "after-damage"));

        Assert.That((next.ExitCode, next.Count("events delivered")), Is.EqualTo((0, (long?)2)), next.Transcript);
        Assert.That(Directory.GetFiles(Path.Combine(spool.Folder, "quarantine")), Has.Length.EqualTo(1), "kept, never deleted");
    }

    [Test]
    public async Task Ship_AJournalWithADamagedLine_ItsWarningNamesTheCommandThatShipsItsSoundLinesUnderItsOwnSourceId()
    {
        // What an earlier run over the spool left for another source, of upper-case letters (its folder is encoded:
        // ~s~p~o~o~l-...): a journal, one of whose lines the disk damaged. The whole journal is quarantined.
        using var spool = new OneSpool("advice");
        string other = $"Spool-Q-{Guid.NewGuid():N}";
        string journal = Path.Combine(spool.Folder, "journal", SpoolPaths.EncodeSourceId(other), FirstDay, $"{Guid.CreateVersion7()}.ndjson");
        Directory.CreateDirectory(Path.GetDirectoryName(journal)!);
        await File.WriteAllTextAsync(journal, "{\"type\":\"tr\u0000ck\", damaged\n" + ShipRun.Events(3, "quarantined"));

        string advice;
        await using (ShipRun run = await spool.ShipToTheEndAsync())
        {
            Assert.That(run.ExitCode, Is.EqualTo(1), run.Transcript);
            advice = run.Stderr.Split('\n').Single(line => line.Contains(Path.GetFileName(journal), StringComparison.Ordinal));
        }

        // Followed literally: the file named, piped into ship with the source id named (and the run's other options).
        Match command = Regex.Match(advice, @"run cat '(?<file>[^']+)' \| rawdata ship --source-id '(?<source>[^']+)' with this run's other options");
        Assert.That((command.Success, command.Groups["source"].Value), Is.EqualTo((true, other)), advice);
        await using ShipRun again = ShipRun.Start(RawdataPeers.Command("ship", RawdataPeers.S3Url, more: ["--source-id", command.Groups["source"].Value, "--spool-dir", spool.Folder]));
        await again.WriteAsync(await File.ReadAllTextAsync(command.Groups["file"].Value), close: true);
        await again.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.That((again.Count("events delivered"), again.Count("events rejected")), Is.EqualTo(((long?)3, (long?)1)), "the sound lines delivered, the damaged one rejected\n" + again.Transcript);
        Assert.That(await RawdataPeers.MessageIdsAsync(other), Is.EquivalentTo(new[] { "quarantined-0", "quarantined-1", "quarantined-2" }), "under the journal's own source id");
    }

    [Test]
    public async Task Ship_ASealedBatchDamagedOnDisk_ItsWarningSaysToTestItWithGunzipFirstWhichFailsOnIt()
    {
        // The advice was "gunzip -c FILE | rawdata ship ... to ship those that are sound (a damaged one is rejected, by
        // its number)": gunzip writes what it decompresses past the damage before its CRC error, the pipe hides the
        // error, and three {} events it made up were delivered.
        using var spool = new OneSpool("damaged-gzip");
        string batch = await spool.PlantSealedBatchAsync(ShipRun.Events(200, "damaged"), damaged => damaged[damaged.Length / 2] ^= 0xFF);

        string advice;
        await using (ShipRun run = await spool.ShipToTheEndAsync())
        {
            Assert.That(run.ExitCode, Is.EqualTo(1), run.Transcript);
            advice = run.Stderr.Split('\n').Single(line => line.Contains(Path.GetFileName(batch), StringComparison.Ordinal) && line.Contains("gunzip", StringComparison.Ordinal));
        }

        Assert.That(advice, Does.Not.Contain("a damaged one is rejected"), advice);
        Match test = Regex.Match(advice, @"Test the file first: gunzip -t '(?<file>[^']+)'\. If that passes, its lines are as they were sealed: run gunzip -c '\k<file>' \| rawdata ship --source-id '(?<source>[^']+)'");
        Assert.That((test.Success, test.Groups["source"].Value), Is.EqualTo((true, spool.Source)), advice);
        Assert.That(advice, Does.Contain("If it fails, the file is damaged").And.Contain("Ship those events again from their source instead"), advice);
        using var gunzip = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("gunzip", ["-t", test.Groups["file"].Value]) { RedirectStandardError = true })!;
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await gunzip.WaitForExitAsync(bound.Token);
        Assert.That(gunzip.ExitCode, Is.Not.EqualTo(0), "the test the advice names tells this file is damaged");
    }

    [Test]
    public async Task Ship_ACopyOfASealedBatchUnderAnotherName_IsNamedACopyNotToShipAndTheBatchIsDeliveredOnce()
    {
        // QA J1: "cp BATCH.gz copy-of-batch.gz" in a sealed day folder was quarantined with "test it with gunzip -t; if
        // that passes, ship it": gunzip -t passes on a copy, and following the advice delivered the batch twice. A file
        // the spool did not name is no batch it wrote; one with a held batch's bytes is that batch's copy.
        using var spool = new OneSpool("copy");
        string batch = await spool.PlantSealedBatchAsync(ShipRun.Events(200, "copied"));

        string copy = Path.Combine(Path.GetDirectoryName(batch)!, "copy-of-batch.gz");
        File.Copy(batch, copy);
        string backup = await spool.PlantAsync("sealed", Path.Combine(FirstDay, "x.gz.bak"), "\u001f\u008b");

        string[] lines;
        await using (ShipRun run = await spool.ShipToTheEndAsync())
        {
            Assert.That(run.ExitCode, Is.EqualTo(1), run.Transcript);
            lines = run.Stderr.Split('\n');
        }

        string copyAdvice = lines.Single(line => line.Contains(Path.GetFileName(copy), StringComparison.Ordinal));
        Assert.That(copyAdvice, Does.Contain($"is a copy of the batch '{batch}'").And.Contain("do not ship it").And.Not.Contain("gunzip -c"), copyAdvice);
        string backupAdvice = lines.Single(line => line.Contains(Path.GetFileName(backup), StringComparison.Ordinal));
        Assert.That(backupAdvice, Does.Contain("is not one the spool gives a sealed batch").And.Contain("Do not ship it unless you know its events were not delivered").And.Not.Contain("gunzip -c"), backupAdvice);
        Assert.That(await RawdataPeers.MessageIdsAsync(spool.Source), Has.Count.EqualTo(200).And.Unique, "the batch delivered once, under its own name");
    }

    [Test]
    public async Task Ship_WhenTheRecordOfHowFarItReadCannotBeWritten_StopsAndTheNextRunSendsEveryLineOnce()
    {
        // The records of how far the input was read sit on a disk of their own, too small for them: a full disk, where the
        // journal still had room. A round of the journal written without its record is read again by the next run and
        // sent twice (20,000 lines: past the first records); ship refuses the round instead, and stops as for any failed
        // write to the spool.
        const int Lines = 20_000;
        using var folder = new TempDirectory("rawdata-records-full-");
        string source = $"records-{Guid.NewGuid():N}";
        string input = Path.Combine(folder.Path, "events.ndjson");
        await File.WriteAllTextAsync(input, ShipRun.Events(Lines, "record"));
        string spool = Path.Combine(folder.Path, "spool");
        await using SmallDisk? records = await SmallDisk.TryMountAsync(Path.Combine(spool, "rawdata-inputs"), 4096);
        if (records is null)
        {
            Assert.Ignore("needs Linux and root, to mount a small disk (tmpfs) for the records");
        }

        string[] ship = RawdataPeers.Command("ship", RawdataPeers.S3Url, more: ["--source-id", source, "--input", input, "--spool-dir", spool]);
        await using (ShipRun first = ShipRun.Start(ship))
        {
            await first.WriteAsync(string.Empty, close: true);
            await first.WaitForExitAsync(TimeSpan.FromSeconds(90));

            string context = first.Transcript;
            Assert.That(first.ExitCode, Is.EqualTo(1), context);
            Assert.That(first.Stderr.TrimEnd().Split('\n')[^1], Does.Contain("No space left on device").And.Contain($"--spool-dir '{spool}'").And.Contain("run ship again"), context);
            first.AssertCountsAddUp();
        }

        await records!.ResizeAsync(1 << 20);
        await using ShipRun next = ShipRun.Start(ship);
        await next.WriteAsync(string.Empty, close: true);
        await next.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.That(next.ExitCode, Is.EqualTo(0), next.Transcript);
        List<string> delivered = await RawdataPeers.MessageIdsAsync(source);
        Assert.That(delivered, Is.Unique, "nothing twice\n" + next.Transcript);
        Assert.That(delivered, Is.EquivalentTo(Enumerable.Range(0, Lines).Select(i => $"record-{i}")), "every line");
    }

    [Test]
    public async Task Ship_AfterTheSpoolRenamedALinkInPlaceOfItsTmp_TheSameCommandRunsAgainAndSendsEveryLineOnce()
    {
        // tmp/ replaced by a link between runs: the spool renamed it to tmp.untrusted-{id} itself, said it was "moved to
        // '.../quarantine'" (there was none), and every later run was refused (exit 2: "holds an entry that no spool
        // writes"), advising a new directory, where --input was read from line 1 again: every line shipped twice.
        using var spool = new OneSpool("renamed");
        using var elsewhere = new TempDirectory("rawdata-elsewhere-");
        string input = Path.Combine(elsewhere.Path, "events.ndjson");
        await File.WriteAllTextAsync(input, ShipRun.Events(300, "renamed"));
        string refusing = RealAnswers.Refusing().ToString().TrimEnd('/');
        await using (ShipRun down = await ShipInputAsync(spool.Ship(refusing, "--input", input, "--retry-time-limit", "2s", "--shutdown-timeout", "2s")))
        {
            Assert.That((down.ExitCode, down.Count("events spooled")), Is.EqualTo((1, (long?)300)), down.Transcript);
        }

        string tmp = Path.Combine(spool.Folder, "tmp");
        Directory.Delete(tmp, recursive: true);
        Directory.CreateSymbolicLink(tmp, elsewhere.Path);
        string[] ship = spool.Ship(RawdataPeers.S3Url, "--input", input);
        await using (ShipRun renaming = await ShipInputAsync(ship))
        {
            string context = renaming.Transcript;
            string renamed = Directory.EnumerateFileSystemEntries(spool.Folder, "tmp.untrusted-*").Single();
            Assert.That((renaming.ExitCode, renaming.Count("events delivered"), renaming.Count("quarantined")), Is.EqualTo((1, (long?)300, (long?)1)), context);
            Assert.That(renaming.Stderr, Does.Contain($"renamed to {renamed}"), "the warning names the new name\n" + context);
            Assert.That(renaming.Stdout, Does.Contain($"renamed to '{{name}}.untrusted-{{id}}' in '{spool.Folder}'"), "the summary says it may be renamed beside, not only moved to quarantine/\n" + context);
            Assert.That(Directory.Exists(Path.Combine(spool.Folder, "quarantine")), Is.False, "nothing was moved there\n" + context);
        }

        await File.AppendAllTextAsync(input, ShipRun.Events(300, "renamed").Replace("renamed-", "renamed-added-", StringComparison.Ordinal));
        await using (ShipRun again = await ShipInputAsync(ship))
        {
            Assert.That((again.ExitCode, again.Count("events read"), again.Count("events delivered")), Is.EqualTo((0, (long?)300, (long?)300)), "the same command again: the spool's own rename refuses nothing\n" + again.Transcript);
        }

        Assert.That(await RawdataPeers.MessageIdsAsync(spool.Source), Is.EquivalentTo(Ids("renamed").Concat(Ids("renamed-added"))), "every line once");
        Assert.That(Directory.EnumerateFileSystemEntries(spool.Folder, "tmp.untrusted-*").Count(), Is.EqualTo(1), "kept, never deleted");

        static IEnumerable<string> Ids(string prefix) => Enumerable.Range(0, 300).Select(i => $"{prefix}-{i}");
    }

    [Test]
    public async Task Ship_OverASpoolWithAStrayEntryBesideItsOwn_SaysToMoveItOutAndRunTheSameCommandNotToGiveANewDirectory()
    {
        // Given beside a spool's own entries, the advice was "Give a new or empty directory": the spool's events stayed
        // behind, and --input was read from line 1 again.
        using var spool = new OneSpool("stray");
        await using (ShipRun first = await spool.ShipToTheEndAsync(ShipRun.Events(3, "stray")))
        {
            Assert.That(first.ExitCode, Is.EqualTo(0), first.Transcript);
        }

        await File.WriteAllTextAsync(Path.Combine(spool.Folder, "notes.txt"), "mine");
        await using (ShipRun refused = await spool.ShipToTheEndAsync(ShipRun.Events(2, "after-stray")))
        {
            string context = refused.Transcript;
            Assert.That(refused.ExitCode, Is.EqualTo(2), context);
            Assert.That(refused.Stderr, Does.Contain($"--spool-dir '{spool.Folder}' holds an entry that no spool writes ('notes.txt') beside a spool's own")
                .And.Contain($"Move that entry out of '{spool.Folder}' and run the same command again"), context);
            Assert.That(refused.Stderr, Does.Not.Contain("Give a new or empty directory"), "a new directory strands the spool's events\n" + context);
        }

        File.Delete(Path.Combine(spool.Folder, "notes.txt")); // moved out, as the message says
        await using ShipRun moved = await spool.ShipToTheEndAsync(ShipRun.Events(2, "after-stray"));
        Assert.That((moved.ExitCode, moved.Count("events delivered")), Is.EqualTo((0, (long?)2)), moved.Transcript);
        Assert.That(await RawdataPeers.MessageIdsAsync(spool.Source), Is.EquivalentTo(new[] { "stray-0", "stray-1", "stray-2", "after-stray-0", "after-stray-1" }));
    }

    /// <summary>Runs <paramref name="command"/> (one with <c>--input FILE</c>) to its end (bounded), its standard input closed at once.</summary>
    private static async Task<ShipRun> ShipInputAsync(string[] command)
    {
        ShipRun run = ShipRun.Start(command);
        await run.WriteAsync(string.Empty, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
        return run;
    }

    /// <summary>One test's spool folder and source id: the files it plants in the spool, and ship run over it.</summary>
    private sealed class OneSpool(string name) : IDisposable
    {
        private readonly TempDirectory _folder = new($"rawdata-spool-{name}-");
        private string? _input;

        public string Source { get; } = $"spool-{name}-{Guid.NewGuid():N}";

        public string Folder => _folder.Path;

        /// <summary>
        /// Writes <paramref name="content"/> at <paramref name="relative"/> under the source's folder of
        /// <paramref name="area"/> (<c>journal</c>, <c>sealed</c>), making the folders it needs: what a test finds there.
        /// </summary>
        public async Task<string> PlantAsync(string area, string relative, string content)
        {
            string path = Path.Combine(Folder, area, Source, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, content);
            return path;
        }

        /// <summary>
        /// Plants a batch of <see cref="FirstDay"/> in <c>sealed</c>, named as the spool names one, holding
        /// <paramref name="events"/> gzipped, with its bytes changed by <paramref name="damage"/> when given; returns its path.
        /// </summary>
        public async Task<string> PlantSealedBatchAsync(string events, Action<byte[]>? damage = null)
        {
            string batch = await PlantAsync("sealed", Path.Combine(FirstDay, $"1700800000000.{Guid.CreateVersion7()}.gz"), string.Empty);
            using var bytes = new MemoryStream();
            await using (var gzip = new System.IO.Compression.GZipStream(bytes, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            {
                await gzip.WriteAsync(Encoding.UTF8.GetBytes(events));
            }

            byte[] written = bytes.ToArray();
            damage?.Invoke(written);
            await File.WriteAllBytesAsync(batch, written);
            return batch;
        }

        /// <summary>Writes <paramref name="events"/> to an input file beside the spool's folder (deleted with it); returns its path.</summary>
        public async Task<string> WriteInputBesideAsync(string events)
        {
            _input = Path.Combine(Folder, "..", $"{Path.GetFileName(Folder)}-events.ndjson");
            await File.WriteAllTextAsync(_input, events);
            return _input;
        }

        /// <summary>The command: ship to <paramref name="s3Url"/> over this spool, with <paramref name="more"/> options.</summary>
        public string[] Ship(string s3Url, params string[] more) => RawdataPeers.Command("ship", s3Url, more: ["--source-id", Source, "--spool-dir", Folder, .. more]);

        /// <summary>
        /// Runs ship over the spool to its end, with <paramref name="input"/> on its standard input; with none, it is what a
        /// user does to deliver what a spool keeps.
        /// </summary>
        public async Task<ShipRun> ShipToTheEndAsync(string input = "")
        {
            ShipRun run = ShipRun.Start(Ship(RawdataPeers.S3Url));
            await run.WriteAsync(input, close: true);
            await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
            return run;
        }

        /// <summary>Waits (at most 30 s) until the first event's journal is on disk: its batch (of <see cref="FirstDay"/>) is open.</summary>
        public async Task WaitForJournalAsync(ShipRun run)
        {
            string folder = Path.Combine(Folder, "journal", Source, FirstDay);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!(Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.ndjson").Any()))
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(30))
                {
                    Assert.Fail($"no journal in {folder} within 30 s.\n{run.Transcript}");
                }

                await Task.Delay(50);
            }
        }

        public void Dispose()
        {
            if (_input is not null)
            {
                File.Delete(_input);
            }

            _folder.Dispose();
        }
    }
}
