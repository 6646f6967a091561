namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// <c>rawdata ship</c> over a spool whose records say an earlier run read part of a file and did not read it to its end,
/// resumed the other natural ways: the same file through a pipe, or with another <c>--source-id</c> (a typo). Each read
/// the file from line 1 without a word, and every line the earlier run read came twice (QA-M M4). A pipe gets a note
/// before anything is read, naming the file, the line it was read to and what to give instead (an empty pipe, or one
/// of other events, is the common case, so it is not refused); another source id for that file is refused, exit 2.
/// </summary>
[CancelAfter(240_000)]
public class ShipUnfinishedFileTests
{
    [Test]
    public async Task Ship_AFileReadPartWayThenThroughAPipeOrUnderAnotherSourceId_IsNamedBeforeReadingAndTheSameCommandReadsOnOnce()
    {
        using var folder = new TempDirectory("rawdata-unfinished-");
        string spool = Path.Combine(folder.Path, "spool");
        string input = Path.Combine(folder.Path, "events.ndjson");
        string source = $"unfinished-{Guid.NewGuid():N}";
        string typo = source + "-typo";
        await File.WriteAllTextAsync(input, ShipRun.Events(300, "first"));
        await using (ShipRun first = await RunAsync(RawdataPeers.Ship(source, "--input", input, "--spool-dir", spool)))
        {
            Assert.That(first.ExitCode, Is.EqualTo(0), first.Transcript);
        }

        await File.AppendAllTextAsync(input, ShipRun.Events(200, "later")); // not read to its end: as after a kill -9

        await using (ShipRun piped = await RunAsync(RawdataPeers.Ship(source, "--spool-dir", spool)))
        {
            // An empty pipe (a script delivering what the spool holds) goes on; the note says what a pipe of that file would do.
            Assert.That(piped.ExitCode, Is.EqualTo(0), piped.Transcript);
            Assert.That(piped.Stderr, Does.Contain($"read --input '{input}' for --source-id '{source}' up to line 300").And.Contain($"run the command with --input '{input}' instead").And.Contain("--from-start"), piped.Transcript);
        }

        await using (ShipRun mistyped = await RunAsync(RawdataPeers.Ship(typo, "--input", input, "--spool-dir", spool)))
        {
            Assert.That(mistyped.ExitCode, Is.EqualTo(2), mistyped.Transcript);
            Assert.That(mistyped.Stderr, Does.Contain($"for --source-id '{source}' up to line 300").And.Contain($"run the same command with --source-id '{source}'"), mistyped.Transcript);
        }

        Assert.That(await RawdataPeers.MessageIdsAsync(typo), Is.Empty, "nothing sent under the mistyped source id");
        await using (ShipRun again = await RunAsync(RawdataPeers.Ship(source, "--input", input, "--spool-dir", spool)))
        {
            Assert.That(again.ExitCode, Is.EqualTo(0), again.Transcript);
        }

        Assert.That(await RawdataPeers.MessageIdsAsync(source), Has.Count.EqualTo(500).And.Unique, "every line of the file once");
    }

    private static async Task<ShipRun> RunAsync(string[] command, string standardInput = "")
    {
        ShipRun run = ShipRun.Start(command);
        await run.WriteAsync(standardInput, close: true);
        await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
        return run;
    }
}
