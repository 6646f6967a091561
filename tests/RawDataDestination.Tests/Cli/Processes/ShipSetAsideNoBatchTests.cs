namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// What the spool sets aside that held no batch (a folder where a sealed batch was, whose lines the records read again;
/// a folder in place of <c>spool.lock</c>; a stray file among the sealed batches): every event read is delivered once,
/// and the last line says so, that nothing set aside was a batch, where it went, and that a person should look at it
/// (exit 1, the README's rule for what a run sets aside). It said "Not all delivered" and how to ship their lines again
/// (QA-J J5e).
/// </summary>
[CancelAfter(180_000)]
public class ShipSetAsideNoBatchTests
{
    public enum Damage
    {
        /// <summary>A sealed batch's <c>.gz</c> replaced by a folder: its lines are read again from the file (the records).</summary>
        FolderForASealedBatch,

        /// <summary><c>spool.lock</c> replaced by a folder: renamed beside it.</summary>
        FolderForTheLock,

        /// <summary>A file the spool never names so among the sealed batches: quarantined.</summary>
        StrayFile,
    }

    [Test]
    public async Task Ship_WhenWhatTheSpoolSetAsideHeldNoBatch_SaysEveryEventReadWasDeliveredAndNothingOfItWasABatch([Values] Damage damage)
    {
        using var folder = new TempDirectory("rawdata-nobatch-");
        string source = $"nobatch-{Guid.NewGuid():N}";
        string input = Path.Combine(folder.Path, "events.ndjson");
        string spool = Path.Combine(folder.Path, "spool");
        await File.WriteAllTextAsync(input, ShipRun.Events(5, "noBatch"));
        string[] Ship(string s3, string retryTimeLimit) => RawdataPeers.Command("ship", s3, RawdataPeers.StsUrl, ["--source-id", source, "--input", input, "--spool-dir", spool, "--retry-time-limit", retryTimeLimit, "--shutdown-timeout", "2s"]);

        // A first run S3 refuses for a while: every event stays in the spool.
        await using (var slow = new FaultProxy(new Uri(RawdataPeers.S3Url), request => request.Method == "PUT" ? ProxyAction.SlowDown : ProxyAction.Forward))
        {
            var (first, _, firstErrors) = await Run(Ship(slow.ServiceUrl.ToString(), "1s"));
            Assert.That(first, Is.EqualTo(1), firstErrors);
        }

        string sealedFolder = Path.Combine(spool, "sealed");
        switch (damage)
        {
            case Damage.FolderForASealedBatch:
                string batch = Directory.EnumerateFiles(sealedFolder, "*.gz", SearchOption.AllDirectories).First();
                File.Delete(batch);
                File.Delete(batch + ".sha256");
                Directory.CreateDirectory(batch);
                await File.WriteAllTextAsync(Path.Combine(batch, "inner"), "inner\n");
                break;
            case Damage.FolderForTheLock:
                File.Delete(Path.Combine(spool, "spool.lock"));
                Directory.CreateDirectory(Path.Combine(spool, "spool.lock"));
                break;
            default:
                string day = Path.GetDirectoryName(Directory.EnumerateFiles(sealedFolder, "*.gz", SearchOption.AllDirectories).First())!;
                await File.WriteAllTextAsync(Path.Combine(day, "notes.txt"), "a note someone left\n");
                break;
        }

        var (code, stdout, stderr) = await Run(Ship(RawdataPeers.S3Url, "60s")); // time enough for a loaded machine's STS
        string last = stderr.TrimEnd().Split('\n')[^1];

        Assert.That(await RawdataPeers.MessageIdsAsync(source), Is.EquivalentTo(Enumerable.Range(0, 5).Select(i => $"noBatch-{i}")), stderr);
        Assert.That(code, Is.EqualTo(1), $"the README's rule: what a run sets aside is for a person to look at\n{stderr}");
        Assert.That(last, Does.StartWith("Every event read was delivered; 1 entry of the spool was set aside"), stderr);
        Assert.That(last, Does.Contain("nothing of it was a batch"));
        Assert.That(stderr, Does.Not.Contain("Not all delivered"));
        Assert.That(stderr, Does.Not.Contain("gunzip"), "nothing set aside holds lines to ship again");
        Assert.That(stdout, Does.Contain("quarantined:      1 entry of the spool that held no batch"), stdout);
    }

    /// <summary>Runs <c>rawdata</c> with this service's credentials to its end (bounded), <paramref name="stdin"/> as its input.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> Run(string[] arguments, string stdin = "")
    {
        using Process process = RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials);
        return await RawdataProgram.RunToEndAsync(process, stdin);
    }
}
