using CsCheck;
using RawDataDestination.Cli;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// rawdata's round rule (<see cref="JournalRound.AddTakenPast"/>) over random journals as a killed run leaves them:
/// rounds of random lines (with gaps: refused lines never reach the journal) that were written, or failed and were cut
/// back (their record taken out again, or left and written over by the next round), then a kill at any byte of a last
/// round, or a clean end after which the journal may be sealed (deleted). The lines it says the spool holds past a random
/// place are exactly those the journal holds whole (or held when it was sealed): none passed over that is not there,
/// none read again that is.
/// </summary>
public class JournalRoundProperties
{
    private enum Outcome
    {
        Written,
        FailedAndRecordRemoved,
        FailedAndOverwritten,
    }

    private static readonly Gen<Case> Cases =
        Gen.Select(
            Gen.Select(Gen.Int[1, 5], Gen.Int[0, 2], Gen.Enum<Outcome>()).Array[0, 8],
            Gen.Int[1, 5],
            Gen.Double[0, 1],
            Gen.Bool,
            Gen.Bool,
            Gen.Int[0, 40],
            (rounds, lastLines, cut, killed, seal, place) => new Case(rounds, lastLines, cut, killed, seal, place));

    [Test]
    public void AddTakenPast_AnyJournalAKillLeaves_IsExactlyTheLinesTheJournalHoldsPastThePlace() =>
        Cases.Sample(Check, iter: 3_000);

    private static void Check(Case test)
    {
        using var spool = new TempDirectory("rawdata-round-props-");
        const string Relative = "journal/source/1700000000000/batch.ndjson";
        string path = Path.Combine(spool.Path, Relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var journal = new MemoryStream();
        var records = new List<JournalRound>();
        var held = new HashSet<long>();
        long next = 1;

        foreach ((int count, int gap, Outcome outcome) in test.Rounds)
        {
            (long[] lines, byte[] bytes) = Round(ref next, count, gap);
            var round = new JournalRound(Relative, journal.Length, bytes.Length, JournalRound.SumOf(bytes), lines);
            switch (outcome)
            {
                case Outcome.Written:
                    records.Add(round);
                    journal.Write(bytes);
                    held.UnionWith(lines);
                    break;
                case Outcome.FailedAndRecordRemoved:
                    break; // recorded, then taken out of the record file; the journal cut back to where it was
                case Outcome.FailedAndOverwritten:
                    records.Add(round); // the record stays, and the journal's next round is written at its place
                    (long[] again, byte[] againBytes) = Round(ref next, count, 0);
                    records.Add(round with { Length = againBytes.Length, Sum = JournalRound.SumOf(againBytes), Lines = again });
                    journal.Write(againBytes);
                    held.UnionWith(again);
                    break;
            }
        }

        // The last round: recorded, then written whole, or cut by the kill at any byte.
        (long[] last, byte[] lastBytes) = Round(ref next, test.LastLines, 0);
        records.Add(new JournalRound(Relative, journal.Length, lastBytes.Length, JournalRound.SumOf(lastBytes), last));
        int written = test.Killed ? (int)(test.Cut * lastBytes.Length) : lastBytes.Length;
        journal.Write(lastBytes.AsSpan(0, written));
        held.UnionWith(last.Take(lastBytes.AsSpan(0, written).Count((byte)'\n')));
        if (!test.Killed && test.Sealed)
        {
            // Sealed after its last round was written: the journal is deleted, its lines are in the batch's sealed file.
            string sealedFolder = Path.Combine(spool.Path, "sealed", "source", "1700000000000");
            Directory.CreateDirectory(sealedFolder);
            File.WriteAllBytes(Path.Combine(sealedFolder, "1700000000001.batch.gz"), [0x1f, 0x8b]);
        }
        else
        {
            File.WriteAllBytes(path, journal.ToArray());
        }

        var taken = new HashSet<long>();
        JournalRound.AddTakenPast(spool.Path, records, new HashSet<string>(), test.Place, taken);

        Assert.That(taken, Is.EquivalentTo(held.Where(line => line > test.Place)), test.ToString());
    }

    /// <summary>A round of <paramref name="count"/> lines numbered from <paramref name="next"/> after <paramref name="gap"/> refused ones, of different lengths.</summary>
    private static (long[] Lines, byte[] Bytes) Round(ref long next, int count, int gap)
    {
        long first = next + gap;
        long[] lines = [.. Enumerable.Range(0, count).Select(i => first + i)];
        next = first + count;
        byte[] bytes = Encoding.UTF8.GetBytes(string.Concat(lines.Select(line => $"{{\"messageId\":\"m-{line}\",\"pad\":\"{new string('x', (int)(line % 7))}\"}}\n")));
        return (lines, bytes);
    }

    private sealed record Case((int Count, int Gap, Outcome Outcome)[] Rounds, int LastLines, double Cut, bool Killed, bool Sealed, int Place)
    {
        public override string ToString() =>
            $"rounds [{string.Join("; ", Rounds.Select(r => $"{r.Count} lines after {r.Gap} refused, {r.Outcome}"))}], last round of {LastLines} {(Killed ? $"cut at {Cut:P0}" : Sealed ? "written, journal sealed" : "written")}, place line {Place}";
    }
}
