using System.Buffers;
using RawDataDestination.Cli;

namespace RawDataDestination.Tests.Cli;

/// <summary>
/// rawdata's round records (<see cref="JournalRound"/>): after a run was killed, the next passes over exactly the lines
/// past the last place record that the journals hold whole, so none is sent twice and none is lost: a round cut short
/// counts up to its last whole line, a round cut back off the journal not at all, and a journal gone (its batch sealed)
/// with all its rounds.
/// </summary>
public class JournalRoundTests
{
    [Test]
    public void AddTakenPast_AfterAKillMidRound_AddsTheWholeLinesOfTheJournalAndNoOther()
    {
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        spool.Round([4, 5, 6], whole: 1, torn: true); // killed while line 5 was being written

        Assert.That(spool.TakenPast(placeLine: 0), Is.EquivalentTo(new long[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void AddTakenPast_ARoundCutBackAndWrittenOverByTheNext_CountsOnlyTheNext()
    {
        using var spool = new OneJournal();
        spool.Round([1, 2], whole: 0);
        spool.Round([3, 4], whole: 2, at: 0); // written where the first was: that one's write failed and was cut back

        Assert.That(spool.TakenPast(placeLine: 0), Is.EquivalentTo(new long[] { 3, 4 }));
    }

    [Test]
    public void AddTakenPast_AJournalGone_CountsEveryLineOfItsRounds()
    {
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        spool.Seal();

        Assert.That(spool.TakenPast(placeLine: 0), Is.EquivalentTo(new long[] { 1, 2, 3 }));
    }

    [Test]
    public void AddTakenPast_AJournalGoneWithItsBatch_CountsNoneOfItsLines()
    {
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        File.Delete(spool.Journal); // deleted by a hand, and no sealed file of its batch: its lines are in no batch

        Assert.That(spool.TakenPast(placeLine: 0), Is.Empty);
    }

    [Test]
    public void AddTakenPast_AJournalRenamedWithItsBatchsSealTime_CountsTheWholeLinesItHolds()
    {
        // Its batch was sealed where the spool could not keep the sealed file (a full disk), delivered from memory, and
        // the kill came before the journal's deletion: the journal is there, under the name that carries the seal time.
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        spool.Round([4, 5], whole: 1, torn: true);
        spool.RenameWithSealTime();

        Assert.That(spool.TakenPast(placeLine: 0), Is.EquivalentTo(new long[] { 1, 2, 3, 4 }), "read from the renamed journal, as from the one recorded");
        Assert.That(spool.NotHeld(), Is.EqualTo(new long[] { 5 }), "only the line the kill cut, as under its recorded name: the journal holds its rounds under its new name");
        Assert.That(JournalRound.InSpool(spool.Root, spool.Rounds[0].Journal), Is.True, "its batch is still in the spool, to be delivered");
    }

    [Test]
    public void AddTakenPast_LinesAtOrBeforeThePlace_AreNotAdded()
    {
        using var spool = new OneJournal();
        spool.Round([1, 2, 3, 7, 8], whole: 5);

        Assert.That(spool.TakenPast(placeLine: 2), Is.EquivalentTo(new long[] { 3, 7, 8 }));
    }

    [TestCase(0, TestName = "NotHeld_AJournalEmptiedBetweenRuns_GivesEveryLineOfItsRounds")]
    [TestCase(1, TestName = "NotHeld_AJournalCutShortBetweenRuns_GivesTheLinesPastItsLastWholeOne")]
    public void NotHeld_AJournalCutShortBetweenRuns_GivesTheLinesItNoLongerHolds(int keptLines)
    {
        using var spool = new OneJournal();
        spool.Round([1, 2], whole: 2);
        spool.Round([3, 4, 6], whole: 3);
        spool.CutAfterLines(keptLines);

        Assert.That(spool.NotHeld(), Is.EqualTo(new long[] { 1, 2, 3, 4, 6 }.Skip(keptLines)));
    }

    [Test]
    public void NotHeld_AJournalHoldingItsRoundsOrGone_GivesNone()
    {
        using var spool = new OneJournal();
        spool.Round([1, 2], whole: 2);
        Assert.That(spool.NotHeld(), Is.Empty, "held whole");

        spool.Seal();
        Assert.That(spool.NotHeld(), Is.Empty, "sealed");
    }

    [TestCase("sealed", TestName = "NotHeld_AJournalSealedAndItsSealedFileDeleted_GivesEveryLineOfItsRoundsAsGone")]
    [TestCase("journal", TestName = "NotHeld_AJournalDeletedBetweenRuns_GivesEveryLineOfItsRoundsAsGone")]
    public void NotHeld_AJournalGoneWithItsBatch_GivesEveryLineOfItsRoundsAsGone(string deleted)
    {
        using var spool = new OneJournal();
        spool.Round([1, 2], whole: 2);
        spool.Round([3, 5], whole: 2);
        if (deleted == "sealed")
        {
            File.Delete(spool.Seal()); // its checksum file left, as a hand that deletes the .gz leaves it
        }
        else
        {
            File.Delete(spool.Journal);
        }

        Assert.That(JournalRound.NotHeld(spool.Root, spool.Rounds, new HashSet<string>()).Select(journal => (journal.Lines.ToArray(), journal.Gone)), Is.EqualTo(new[] { (new long[] { 1, 2, 3, 5 }, true) }));
    }

    [TestCase("delivered", TestName = "NotHeld_AJournalGoneWhoseBatchRawdataRecordedDelivered_GivesNone")]
    [TestCase("marker", TestName = "NotHeld_AJournalGoneWhoseBatchTheSpoolMarkedDelivered_GivesNone")]
    [TestCase("quarantine", TestName = "NotHeld_AJournalGoneWhoseBatchIsInQuarantine_GivesNone")]
    public void NotHeld_AJournalGoneWhoseBatchIsDeliveredOrQuarantined_GivesNone(string where)
    {
        using var spool = new OneJournal();
        spool.Round([1, 2], whole: 2);
        File.Delete(spool.Journal);
        var delivered = new HashSet<string>();
        switch (where)
        {
            case "delivered":
                delivered.Add("batch");
                break;
            case "marker":
                Directory.CreateDirectory(Path.Combine(spool.Root, "delivered", "source", "1700000000000"));
                File.WriteAllText(Path.Combine(spool.Root, "delivered", "source", "1700000000000", "batch.delivered"), "1700000000001.batch.gz");
                break;
            default:
                Directory.CreateDirectory(Path.Combine(spool.Root, "quarantine"));
                File.WriteAllBytes(Path.Combine(spool.Root, "quarantine", "20261207T070612Z-8cc2f5c8-sealed_source_1700000000000_1700000000001.batch.gz"), [1]);
                break;
        }

        Assert.That(JournalRound.NotHeld(spool.Root, spool.Rounds, delivered), Is.Empty, "its lines are delivered, or its warning names the quarantined file");
    }

    [Test]
    public void NotHeld_ARoundCutBackAndWrittenOverByTheNext_GivesNoneOfItsLines()
    {
        using var spool = new OneJournal();
        spool.Round([1, 2], whole: 0);
        spool.Round([1, 2], whole: 2, at: 0); // its write failed, was cut back, and the lines were written again

        Assert.That(spool.NotHeld(), Is.Empty);
    }

    [TestCase("deleted")]
    [TestCase("repeated")]
    [TestCase("changed in place")]
    public void SetAside_AJournalWhoseWholeRoundChanged_GoesToQuarantineAndEveryLineOfItIsReadAgain(string change)
    {
        // Counting newlines cannot see these: a deleted line made the last round look cut short (its last, intact, line
        // read again: twice) while the deleted one passed for held (lost); a line changed in place counts as before.
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        spool.Round([4, 5, 6], whole: 3);
        spool.ChangeLine(index: 1, change);

        IReadOnlyDictionary<string, SetAsideBatch> setAside = SetAsideBatches.Apply(spool.Root, spool.Rounds, new HashSet<string>(), DateTimeOffset.UnixEpoch);

        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(spool.Journal), Is.False, "left in journal/, the recovery would seal and deliver it as it is");
            Assert.That(setAside.Values.Single().Target, Does.StartWith(Path.Combine(spool.Root, SpoolPaths.QuarantineFolder)));
            Assert.That(File.Exists(setAside.Values.Single().Target), Is.True, "kept for a person to look at");
            Assert.That(spool.NotHeld(), Is.EquivalentTo(new long[] { 1, 2, 3, 4, 5, 6 }), "every line it was written with is read again");
            Assert.That(spool.TakenPast(placeLine: 0), Is.Empty);
        });
    }

    [TestCase(true, TestName = "SetAside_ASealedFileThatNoLongerHashesToItsRecordedChecksum_GoesToQuarantineAndEveryLineOfItIsReadAgain")]
    [TestCase(false, TestName = "SetAside_ASealedFileThatStillHashesToItsRecordedChecksum_IsLeftForTheRecovery")]
    public void SetAside_ASealedFile_GoesToQuarantineOnlyWhenItChangedSinceItsSeal(bool changed)
    {
        // A damaged sealed file was quarantined by the recovery, its lines in no batch and never read again (QA: 992
        // events never delivered, with an exit 0 on the next run).
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        string sealedFile = spool.Seal();
        using (FileStream file = File.OpenRead(sealedFile))
        {
            File.WriteAllText(sealedFile + ".sha256", changed ? BatchManifest.ChecksumOf(new MemoryStream([1, 2, 3])) : BatchManifest.ChecksumOf(file));
        }

        IReadOnlyDictionary<string, SetAsideBatch> setAside = SetAsideBatches.Apply(spool.Root, spool.Rounds, new HashSet<string>(), DateTimeOffset.UnixEpoch);

        Assert.Multiple(() =>
        {
            Assert.That((File.Exists(sealedFile), File.Exists(sealedFile + ".sha256")), Is.EqualTo((!changed, !changed)), "moved with its checksum file");
            Assert.That(setAside.Values.Select(batch => (batch.Was, File.Exists(batch.Target), File.Exists(batch.Target + ".sha256"))), Is.EqualTo(changed ? new[] { (sealedFile, true, true) } : []));
            Assert.That(spool.NotHeld(), Is.EquivalentTo(changed ? new long[] { 1, 2, 3 } : []), "read again only when set aside");
        });
    }

    [TestCase(5, true, TestName = "SetAside_ASealedFileWithNoChecksumThatHoldsMoreLinesThanItsRoundsWrote_GoesToQuarantineAndEveryLineOfItIsReadAgain")]
    [TestCase(2, true, TestName = "SetAside_ASealedFileWithNoChecksumThatHoldsFewerLinesThanItsRoundsWrote_GoesToQuarantineAndEveryLineOfItIsReadAgain")]
    [TestCase(3, false, TestName = "SetAside_ASealedFileWithNoChecksumThatHoldsTheLinesItsRoundsWrote_IsLeftForTheRecovery")]
    public void SetAside_ASealedFileWithNoChecksum_GoesToQuarantineOnlyWhenItHoldsAnotherNumberOfLines(int lines, bool setAside)
    {
        // QA-J J7: another batch's sealed file copied over this one's, and its checksum file gone (a restore of the wrong
        // file from a backup that skipped them): it was delivered as it was, under this batch's key, exit 0: this batch's
        // events lost, the other's delivered twice.
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        string sealedFile = spool.Seal();
        File.WriteAllBytes(sealedFile, Gzip.Compress(string.Concat(Enumerable.Range(0, lines).Select(i => $"{{\"n\":{i}}}\n"))));
        File.Delete(sealedFile + ".sha256");

        IReadOnlyDictionary<string, SetAsideBatch> result = SetAsideBatches.Apply(spool.Root, spool.Rounds, new HashSet<string>(), DateTimeOffset.UnixEpoch);

        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(sealedFile), Is.EqualTo(!setAside), "left in sealed/, the recovery delivers it as it is");
            Assert.That(result.Values.Select(batch => (batch.Was, File.Exists(batch.Target), lines > 3 ? batch.Why.Contains($"holds {lines} line", StringComparison.Ordinal) && batch.Why.Contains("where 3 were written", StringComparison.Ordinal) : batch.Why.Contains("not a whole gzip file holding the 3 lines its rounds wrote", StringComparison.Ordinal))), Is.EqualTo(setAside ? new[] { (sealedFile, true, true) } : []));
            Assert.That(spool.NotHeld(), Is.EquivalentTo(setAside ? new long[] { 1, 2, 3 } : []), "read again only when set aside");
        });
    }

    [Test]
    public void SetAside_AJournalAKillLeftBeforeItsLastRound_IsLeftForTheRecovery()
    {
        // Killed between the round's record and its write: the journal ends where the round starts, and holds all the rest.
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        spool.Round([4, 5, 6], whole: 0);

        Assert.Multiple(() =>
        {
            Assert.That(SetAsideBatches.Apply(spool.Root, spool.Rounds, new HashSet<string>(), DateTimeOffset.UnixEpoch), Is.Empty);
            Assert.That(File.Exists(spool.Journal), Is.True);
            Assert.That(spool.TakenPast(placeLine: 0), Is.EquivalentTo(new long[] { 1, 2, 3 }));
        });
    }

    [TestCase("a kill cut its last round", "its last round ends cut short")]
    [TestCase("a line deleted near its end", "its last round ends cut short")]
    [TestCase("the last line's text cleared", "its last round ends cut short")]
    [TestCase("a line added", "bytes past the last round")]
    [TestCase("a blank line added", "bytes past the last round")]
    [TestCase("the last line repeated", "bytes past the last round")]
    [TestCase("cut before its last round", "it ends before rounds ship wrote")]
    public void SetAside_AJournalWhoseEndNoLongerSaysWhichLinesItHolds_GoesToQuarantineAndEveryLineOfItIsReadAgain(string change, string why)
    {
        // QA-M M2: the digests checked only rounds the file still held whole, and nothing past the last round: a line
        // deleted near the end lost it and delivered the last, intact, line twice (its round looked cut by a kill); a line
        // added or repeated at the end was delivered. A kill can only cut the last round, so any other end is a change;
        // a last round cut short can't say which of its lines it holds, whether a kill or a hand cut it.
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        spool.Round([4, 5, 6], whole: change == "a kill cut its last round" ? 1 : 3, torn: change == "a kill cut its last round");
        switch (change)
        {
            case "a line deleted near its end":
                spool.ChangeLine(index: 4, "deleted");
                break;
            case "the last line's text cleared":
                File.WriteAllBytes(spool.Journal, [.. File.ReadAllBytes(spool.Journal).SkipLast(1).Reverse().SkipWhile(b => b != (byte)'\n').Reverse(), (byte)'\n']);
                break;
            case "a line added":
                File.AppendAllText(spool.Journal, "{\"messageId\":\"foreign\",\"receivedAt\":\"2023-11-14T22:13:20Z\"}\n");
                break;
            case "a blank line added":
                File.AppendAllText(spool.Journal, "\n");
                break;
            case "the last line repeated":
                spool.ChangeLine(index: 5, "repeated");
                break;
            case "cut before its last round":
                spool.CutAfterLines(2);
                break;
        }

        IReadOnlyDictionary<string, SetAsideBatch> setAside = SetAsideBatches.Apply(spool.Root, spool.Rounds, new HashSet<string>(), DateTimeOffset.UnixEpoch);

        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(spool.Journal), Is.False, "left in journal/, the recovery would seal and deliver it as it is");
            Assert.That(setAside.Values.Single().Why, Does.Contain(why));
            Assert.That(spool.NotHeld(), Is.EquivalentTo(new long[] { 1, 2, 3, 4, 5, 6 }), "every line it was written with is read again, once");
            Assert.That(spool.TakenPast(placeLine: 0), Is.Empty, "none of its lines counts as held");
        });
    }

    [Test]
    public void SetAside_AChangedJournalWhoseBatchWasDelivered_IsLeftForTheRecovery()
    {
        // A leftover journal of a batch recorded delivered: its lines are in the bucket, none is read again.
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        spool.ChangeLine(index: 0, "deleted");

        Assert.Multiple(() =>
        {
            Assert.That(SetAsideBatches.Apply(spool.Root, spool.Rounds, new HashSet<string> { "batch" }, DateTimeOffset.UnixEpoch), Is.Empty);
            Assert.That(File.Exists(spool.Journal), Is.True);
        });
    }

    [Test]
    public void Record_ReadBack_GivesTheRoundWithItsLineNumbersInOrder()
    {
        byte[] record = Record("journal/s/1/b.ndjson", 40, 300, [5, 6, 7, 9, 12, 13]);

        JournalRound? read = JournalRound.TryRead(record.AsSpan(0, record.Length - 1));

        Assert.That(read, Is.Not.Null);
        Assert.That((read!.Journal, read.Start, read.Length, read.Lines), Is.EqualTo(("journal/s/1/b.ndjson", 40L, 300L, (IReadOnlyList<long>)[5, 6, 7, 9, 12, 13])).Using<(string, long, long, IReadOnlyList<long>)>((a, b) => a.Item1 == b.Item1 && a.Item2 == b.Item2 && a.Item3 == b.Item3 && a.Item4.SequenceEqual(b.Item4)));
        Assert.That(Encoding.UTF8.GetString(record), Does.Contain("[[5,3],[9,1],[12,2]]"), "consecutive numbers as runs");
    }

    [Test]
    public void TryRead_APlaceRecordOrACutLine_IsNotARound()
    {
        byte[] record = Record("journal/s/1/b.ndjson", 0, 10, [1]);

        Assert.That(JournalRound.TryRead("{\"line\":3,\"offset\":30}"u8), Is.Null);
        Assert.That(JournalRound.TryRead(record.AsSpan(0, record.Length / 2)), Is.Null);
    }

    /// <summary>A round's record as rawdata writes it: one JSON line, ending in <c>\n</c>.</summary>
    private static byte[] Record(string journal, long start, long length, ReadOnlySpan<long> lines, string? sum = null)
    {
        var json = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(json))
        {
            JournalRound.Write(writer, journal, start, length, sum, lines);
        }

        json.Write("\n"u8);
        return json.WrittenSpan.ToArray();
    }

    /// <summary>A spool folder with one journal, and the round records of a run that was killed, as the journal's flusher left them.</summary>
    [Test]
    public void AsHeld_ARoundNeverWrittenThenTheJournalSealedAndTheRunKilled_TheNextRunDoesNotCountItsLinesHeld()
    {
        // QA-M M7: run 2 found the last round's lines lost (killed between the round's record and its write), moved its
        // reading back to read them again, carried the rounds into its fresh record, and its recovery sealed the journal.
        // Killed (kill -9) before its reading got back to those lines, run 3 found the journal gone and its batch sealed,
        // and counted every line of the carried rounds held: lost. The carried rounds are the journal's as it holds them.
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        spool.Round([4, 5], whole: 0); // recorded, never written
        IReadOnlyList<JournalRound> carried = JournalRound.AsHeld(spool.Root, spool.Rounds);
        spool.Seal(); // run 2's recovery; then run 2 is killed

        var taken = new HashSet<long>();
        JournalRound.AddTakenPast(spool.Root, carried, new HashSet<string>(), placeLine: 0, taken);
        Assert.That(taken, Is.EquivalentTo(new long[] { 1, 2, 3 }), "lines 4 and 5 are read again by run 3");
    }

    [Test]
    public void AsHeld_ARoundHeldOnlyInPart_IsCutToItsWholeLinesAndStillMatchesTheJournal()
    {
        using var spool = new OneJournal();
        spool.Round([1, 2], whole: 2);
        spool.Round([3, 4, 5], whole: 1, torn: true);
        byte[] bytes = File.ReadAllBytes(spool.Journal);
        File.WriteAllBytes(spool.Journal, bytes[..(Array.LastIndexOf(bytes, (byte)'\n') + 1)]); // the torn part gone

        IReadOnlyList<JournalRound> carried = JournalRound.AsHeld(spool.Root, spool.Rounds);

        Assert.That(carried.Select(round => round.Lines.ToArray()), Is.EqualTo(new[] { new long[] { 1, 2 }, [3] }));
        Assert.That(JournalRound.Changed(spool.Journal, [.. carried]), Is.Null, "the carried rounds are what the journal holds, byte for byte");
        spool.Seal();
        var taken = new HashSet<long>();
        JournalRound.AddTakenPast(spool.Root, carried, new HashSet<string>(), placeLine: 0, taken);
        Assert.That(taken, Is.EquivalentTo(new long[] { 1, 2, 3 }));
    }

    [TestCase("whole", false)]
    [TestCase("cut", true)]
    [TestCase("short", true)]
    public void SetAside_ASealedFileWithoutItsChecksumFile_IsJudgedByItsGzipAndTheLinesItsRoundsWrote(string state, bool setAsideExpected)
    {
        // QA-M M5: a damaged sealed .gz whose .sha256 was gone was left to the recovery, which quarantined it: its lines
        // were never read again from --input, though the round records named them.
        using var spool = new OneJournal();
        spool.Round([1, 2, 3], whole: 3);
        string lines = File.ReadAllText(spool.Journal);
        string sealedFile = spool.Seal();
        File.Delete(sealedFile + ".sha256");
        using (var bytes = new MemoryStream())
        {
            using (var gzip = new System.IO.Compression.GZipStream(bytes, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(Encoding.UTF8.GetBytes(state == "short" ? string.Concat(lines.Split('\n').Take(2).Select(line => line + "\n")) : lines));
            }

            byte[] gz = bytes.ToArray();
            File.WriteAllBytes(sealedFile, state == "cut" ? gz[..(gz.Length / 2)] : gz);
        }

        IReadOnlyDictionary<string, SetAsideBatch> setAside = SetAsideBatches.Apply(spool.Root, spool.Rounds, new HashSet<string>(), DateTimeOffset.UnixEpoch);

        Assert.Multiple(() =>
        {
            Assert.That(setAside.Values.Select(batch => batch.Was), Is.EqualTo(setAsideExpected ? new[] { sealedFile } : []));
            Assert.That(setAside.Values.Select(batch => batch.Why), Has.All.Contain("SHA-256 recorded at its seal is gone"));
            Assert.That(spool.NotHeld(), Is.EquivalentTo(setAsideExpected ? new long[] { 1, 2, 3 } : []), "read again only when set aside");
        });
    }

    private sealed class OneJournal : IDisposable
    {
        private const string Relative = "journal/source/1700000000000/batch.ndjson";
        private readonly TempDirectory _spool = new("rawdata-rounds-");
        private readonly List<JournalRound> _rounds = [];

        public OneJournal()
        {
            Journal = Path.Combine(_spool.Path, Relative);
            Directory.CreateDirectory(Path.GetDirectoryName(Journal)!);
            File.WriteAllBytes(Journal, []);
        }

        public string Journal { get; }

        /// <summary>
        /// Records a round of <paramref name="marks"/> at the journal's end (or <paramref name="at"/>), then writes the first
        /// <paramref name="whole"/> of its lines whole, and half of the next when <paramref name="torn"/>.
        /// </summary>
        public void Round(long[] marks, int whole, bool torn = false, long? at = null)
        {
            byte[][] lines = [.. marks.Select(mark => Encoding.UTF8.GetBytes($"{{\"messageId\":\"m-{mark}\",\"receivedAt\":\"2023-11-14T22:13:20Z\"}}\n"))];
            long start = at ?? new FileInfo(Journal).Length;
            byte[] record = Record(Relative, start, lines.Sum(line => line.Length), marks, JournalRound.SumOf([.. lines.SelectMany(line => line)]));
            _rounds.Add(JournalRound.TryRead(record.AsSpan(0, record.Length - 1))!);
            using var journal = new FileStream(Journal, FileMode.Open, FileAccess.Write);
            journal.SetLength(start);
            journal.Position = start;
            foreach (byte[] line in lines.Take(whole))
            {
                journal.Write(line);
            }

            if (torn)
            {
                journal.Write(lines[whole].AsSpan(0, lines[whole].Length / 2));
            }
        }

        /// <summary>Renames the journal as the spool does when it keeps it past its batch's seal: <c>{sealed-at}.{batch id}.ndjson</c>, in its folder.</summary>
        public void RenameWithSealTime() =>
            File.Move(Journal, Path.Combine(Path.GetDirectoryName(Journal)!, SpoolPaths.SealedJournalName(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_001), "batch")));

        /// <summary>Deletes, repeats or changes (in place, keeping its length) the journal's line at <paramref name="index"/>, as a hand between runs may.</summary>
        public void ChangeLine(int index, string change)
        {
            byte[] bytes = File.ReadAllBytes(Journal);
            var lines = new List<byte[]>();
            for (int start = 0, end; start < bytes.Length; start = end + 1)
            {
                end = Array.IndexOf(bytes, (byte)'\n', start);
                lines.Add(bytes[start..end]);
            }

            JournalLineEdits.Apply(lines, index, change, line =>
            {
                byte[] copy = [.. line];
                copy[copy.AsSpan().IndexOf("m-"u8) + 2] = (byte)'9';
                return copy;
            });

            File.WriteAllBytes(Journal, [.. lines.SelectMany(line => line.Append((byte)'\n'))]);
        }

        /// <summary>Cuts the journal short after its first <paramref name="lines"/> lines, as a hand or a restore between runs may.</summary>
        public void CutAfterLines(int lines)
        {
            byte[] bytes = File.ReadAllBytes(Journal);
            int end = 0;
            for (int i = 0; i < lines; i++)
            {
                end = bytes.AsSpan(end).IndexOf((byte)'\n') + end + 1;
            }

            using var journal = new FileStream(Journal, FileMode.Open, FileAccess.Write);
            journal.SetLength(end);
        }

        /// <summary>Gets the spool's folder.</summary>
        public string Root => _spool.Path;

        /// <summary>Gets the round records written so far.</summary>
        public IReadOnlyList<JournalRound> Rounds => _rounds;

        public long[] NotHeld() => [.. JournalRound.NotHeld(_spool.Path, _rounds, new HashSet<string>()).SelectMany(journal => journal.Lines)];

        public HashSet<long> TakenPast(long placeLine)
        {
            var taken = new HashSet<long>();
            JournalRound.AddTakenPast(_spool.Path, _rounds, new HashSet<string>(), placeLine, taken);
            return taken;
        }

        /// <summary>Seals the journal as the spool does: its lines go to a sealed file of its batch (with its checksum), and it is deleted; returns the sealed file's path.</summary>
        public string Seal()
        {
            string folder = Path.Combine(_spool.Path, "sealed", "source", "1700000000000");
            Directory.CreateDirectory(folder);
            string sealedFile = Path.Combine(folder, "1700000000001.batch.gz");
            File.WriteAllBytes(sealedFile, [0x1f, 0x8b]);
            File.WriteAllText(sealedFile + ".sha256", "x");
            File.Delete(Journal);
            return sealedFile;
        }

        public void Dispose() => _spool.Dispose();
    }
}
