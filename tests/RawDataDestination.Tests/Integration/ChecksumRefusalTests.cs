namespace RawDataDestination.Tests.Integration;

/// <summary>
/// A buffer's deliveries when S3 refuses a body as not matching its checksum (<c>BadDigest</c>), against moto through
/// the fault proxy: a spooled file changed on disk after its seal is quarantined at once and never sent again, while
/// the other batches are delivered undisturbed; a body changed on the way (the file, or the batch in memory, still as
/// sealed) is retried and delivered.
/// </summary>
public class ChecksumRefusalTests
{
    private const int Sources = 5;
    private const int EventsPerSource = 40;

    private static bool IsPut(ProxyRequest request) => request.Method == "PUT";

    private static byte[] Event(string id) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"messageId\":\"{id}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\",\"properties\":{{\"text\":\"{new string('x', 40)}\"}}}}");

    /// <summary>The batch's file name: the last segment of a PUT's path, without its query.</summary>
    private static string FileNameOf(ProxyRequest request) => request.Path.Split('?')[0].Split('/')[^1];

    /// <summary>A buffer whose retries are quick and whose retry budget ends a run that retried a damaged batch for it (the bug) in seconds, not minutes.</summary>
    private static BatchBuffer Buffer(S3RoleDestination destination, string? spool, CapturingLogger log) => new(
        new BatchBufferOptions
        {
            SpoolDirectory = spool,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
            RetryBudget = TimeSpan.FromSeconds(10),
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        },
        destination,
        TimeProvider.System,
        new Logger<BatchBuffer>(log));

    private static async Task AppendAllAsync(BatchBuffer buffer, string[] sources)
    {
        foreach (string source in sources)
        {
            for (int i = 0; i < EventsPerSource; i++)
            {
                await buffer.AppendAsync(source, Event($"{source}-{i}"));
            }
        }
    }

    private static IEnumerable<string> IdsOf(string source) => Enumerable.Range(0, EventsPerSource).Select(i => $"{source}-{i}");

    /// <summary>Inverts the bits of a few bytes in the middle of the file: bytes nobody sealed, as a failing disk or a stray write leaves them.</summary>
    private static void Damage(string path)
    {
        using FileStream file = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = file.Length / 2;
        byte[] bytes = new byte[4];
        int read = file.Read(bytes);
        for (int i = 0; i < read; i++)
        {
            bytes[i] = (byte)~bytes[i];
        }

        file.Position = file.Length / 2;
        file.Write(bytes, 0, read);
        file.Flush(flushToDisk: true);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Flush_WhenASpooledFileChangesOnDiskAfterItsSeal_QuarantinesItWithoutRetriesAndDeliversEveryOtherBatchOnce()
    {
        using var spool = new TempDirectory();
        string[] sources = [.. Enumerable.Range(0, Sources).Select(i => Objects.UniqueSource($"on-disk-{i}"))];
        string damaged = sources[2];
        int damagedPuts = 0;
        string? damagedPath = null;

        // The damaged source's first PUT is answered 503 SlowDown, and its file is changed on disk meanwhile: the retry
        // reads the changed bytes and sends them with the checksum recorded at the seal.
        await using FaultProxy proxy = MotoFaults.Proxy(request =>
        {
            if (!IsPut(request) || !request.Path.Contains(damaged, StringComparison.Ordinal) || Interlocked.Increment(ref damagedPuts) > 1)
            {
                return ProxyAction.Forward;
            }

            damagedPath = Directory.GetFiles(Path.Combine(spool.Path, "sealed"), FileNameOf(request), SearchOption.AllDirectories).Single();
            Damage(damagedPath);
            return ProxyAction.SlowDown;
        });
        var log = new CapturingLogger();
        using S3RoleDestination destination = Destinations.Through(proxy);
        DeliveryStatus status;
        await using (BatchBuffer buffer = Buffer(destination, spool.Path, log))
        {
            await AppendAllAsync(buffer, sources);

            await buffer.FlushAsync();

            status = buffer.GetStatus();
        }

        List<ProxyExchange> puts = [.. proxy.Exchanges.Where(e => IsPut(e.Request))];
        List<ProxyExchange> damagedAttempts = [.. puts.Where(e => e.Request.Path.Contains(damaged, StringComparison.Ordinal))];
        Assert.That(damagedAttempts.Select(e => (e.Action, e.AnswerStatus)), Is.EqualTo(new[] { (ProxyAction.SlowDown, 0), (ProxyAction.Forward, 400) }), "refused once for its checksum, never sent again");
        Assert.That(damagedAttempts[1].Answer, Does.Contain("<Code>BadDigest</Code>"));
        Assert.That(status.QuarantinedFiles, Is.EqualTo(1));
        Assert.That((status.DeliveredBatches, status.RefusedBatches, status.FailingBatches, status.SpooledBatches), Is.EqualTo((Sources - 1L, 0, 0, 0)));

        foreach (string source in sources.Where(s => s != damaged))
        {
            Assert.That(puts.Count(e => e.Request.Path.Contains(source, StringComparison.Ordinal)), Is.EqualTo(1), $"{source}: one PUT");
            Assert.That(await Objects.MessageIdsAsync($"segment-logs/{source}/"), Is.EqualTo(IdsOf(source)), $"{source}: delivered once, whole");
        }

        Assert.That(await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{damaged}/"), Is.Empty, "the changed bytes are not stored");
        string name = Path.GetFileName(damagedPath!);
        string[] quarantined = [.. Directory.GetFiles(Path.Combine(spool.Path, "quarantine")).Select(f => Path.GetFileName(f)!)];
        Assert.That(quarantined, Has.Length.EqualTo(2).And.One.EndsWith(name).And.One.EndsWith(name + ".sha256"), "kept with its checksum");
        Assert.That(Directory.EnumerateFiles(Path.Combine(spool.Path, "sealed"), "*", SearchOption.AllDirectories), Is.Empty);
        Assert.That(log.Lines, Has.One.Matches<string>(l => l.StartsWith("Warning: The spool file", StringComparison.Ordinal) && l.Contains(name, StringComparison.Ordinal) && l.Contains("no longer match the SHA-256 recorded", StringComparison.Ordinal) && l.Contains("quarantine", StringComparison.Ordinal)), "said once which file, why, and where it went");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Flush_WhenS3RefusesASoundSpooledBatchWithBadDigest_RetriesItAsAChangeOnTheWayAndDeliversIt()
    {
        using var spool = new TempDirectory();
        await AssertRetriedAndDeliveredAsync(spool.Path);
        Assert.That(Directory.Exists(Path.Combine(spool.Path, "quarantine")) ? Directory.GetFiles(Path.Combine(spool.Path, "quarantine")) : [], Is.Empty, "nothing set aside");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Flush_WhenS3RefusesABatchHeldInMemoryWithBadDigest_RetriesItAndDeliversIt()
    {
        await AssertRetriedAndDeliveredAsync(spool: null);
    }

    /// <summary>The first PUT is refused with S3's BadDigest while the batch's bytes are as sealed: the retry delivers them.</summary>
    private static async Task AssertRetriedAndDeliveredAsync(string? spool)
    {
        await using FaultProxy proxy = MotoFaults.FirstPut(ProxyDecision.Response(400, "BadDigest", "The SHA256 you specified did not match the calculated checksum."));
        string source = Objects.UniqueSource("on-the-way");
        var log = new CapturingLogger();
        using S3RoleDestination destination = Destinations.Through(proxy);
        DeliveryStatus status;
        await using (BatchBuffer buffer = Buffer(destination, spool, log))
        {
            await AppendAllAsync(buffer, [source]);

            await buffer.FlushAsync();

            status = buffer.GetStatus();
        }

        Assert.That(proxy.Exchanges.Where(e => IsPut(e.Request)).Select(e => e.Action), Is.EqualTo(new[] { ProxyAction.Respond, ProxyAction.Forward }), "refused, then retried");
        Assert.That((status.DeliveredBatches, status.QuarantinedFiles), Is.EqualTo((1L, 0)));
        Assert.That(await Objects.MessageIdsAsync($"segment-logs/{source}/"), Is.EqualTo(IdsOf(source)));
        Assert.That(log.Lines, Has.Some.Contains("does not hash to the checksum sent with it").And.None.Contains("busy or unavailable"), "explained as a change on the way");
    }
}
