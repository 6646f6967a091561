using CsCheck;
using RawDataDestination.Cli;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// rawdata's resume rule (<see cref="SettledInput"/>, what <c>InputCheckpoint</c> records) over random inputs and random
/// stops: runs that each stop at a random line, with a random window of appends in flight whose lines are taken,
/// refused or interrupted in any mix, each run reading on from the last one's place and passing over the lines it took
/// past a gap, then one run to the end. Every good line is taken exactly once over all the runs, and no bad one.
/// </summary>
public class ResumeProperties
{
    private enum InFlight
    {
        Ended,
        Interrupted,
    }

    private static readonly Gen<Case> Cases =
        Gen.Select(
            Gen.Bool.Array[1, 40],
            Gen.Select(Gen.Int[0, 40], Gen.Enum<InFlight>().Array[0, 8]).Array[0, 5],
            (bad, stops) => new Case(bad, stops));

    [Test]
    public void Runs_StoppedAnywhereThenResumed_TakeEveryGoodLineExactlyOnceAndNoBadOne() =>
        Cases.Sample(Check, iter: 5_000);

    private static void Check(Case test)
    {
        int lines = test.Bad.Length;
        int[] taken = new int[lines + 1];
        InputPosition from = InputPosition.Start;
        IReadOnlyCollection<long> skip = [];
        foreach ((int cleanLines, InFlight[] window) in test.Stops)
        {
            (from, skip) = Run(test.Bad, from, skip, cleanLines, window, taken);
        }

        Run(test.Bad, from, skip, int.MaxValue, [], taken);

        for (int line = 1; line <= lines; line++)
        {
            Assert.That(taken[line], Is.EqualTo(test.Bad[line - 1] ? 0 : 1), $"line {line} ({(test.Bad[line - 1] ? "bad" : "good")}), {test}");
        }
    }

    /// <summary>
    /// One run from <paramref name="from"/>: <paramref name="cleanLines"/> lines settle, then the window's lines end as
    /// it says (a good line ended is taken, a bad one refused; an interrupted one is neither), then it stops; with no
    /// stop before the end, it reaches the end. Returns what the run's last record holds.
    /// </summary>
    private static (InputPosition From, IReadOnlyCollection<long> Skip) Run(bool[] bad, InputPosition from, IReadOnlyCollection<long> skip, int cleanLines, InFlight[] window, int[] taken)
    {
        var settled = new SettledInput(from, skip);
        int read = 0;
        for (long line = from.Line + 1; line <= bad.Length; line++)
        {
            var place = new InputPosition(line, line * 10);
            if (skip.Contains(line))
            {
                settled.Taken(place); // in the spool already: passed over
                continue;
            }

            if (read >= cleanLines + window.Length)
            {
                return (settled.Position, [.. settled.TakenPast]); // stopped: the lines after were not read
            }

            bool interrupted = read >= cleanLines && window[read - cleanLines] == InFlight.Interrupted;
            read++;
            if (interrupted)
            {
                settled.NotTaken();
            }
            else if (bad[line - 1])
            {
                settled.Refused(place);
            }
            else
            {
                taken[line]++;
                settled.Taken(place);
            }
        }

        settled.ReachedEnd(new InputPosition(bad.Length, bad.Length * 10L));
        return (settled.Position, [.. settled.TakenPast]);
    }

    private sealed record Case(bool[] Bad, (int CleanLines, InFlight[] Window)[] Stops)
    {
        public override string ToString() =>
            $"bad lines [{string.Join(",", Bad.Select((b, i) => b ? i + 1 : 0).Where(i => i > 0))}] of {Bad.Length}, stops [{string.Join("; ", Stops.Select(s => $"{s.CleanLines} then {string.Join(",", s.Window)}"))}]";
    }
}
