using RawDataDestination.Cli;

namespace RawDataDestination.Tests.Cli;

/// <summary>
/// rawdata's <see cref="SettledInput"/>, the place a resumed <c>ship</c> reads on from: never past a line the buffer did
/// not take, and the lines taken beyond that gap listed so that a resumed run passes over them.
/// </summary>
public class SettledInputTests
{
    private static InputPosition After(long line) => new(line, line * 10);

    [Test]
    public void Position_LinesTakenOrRefusedInOrder_IsPastTheLastOfThem()
    {
        var settled = new SettledInput(After(5));

        settled.Taken(After(6));
        settled.Refused(After(7));
        settled.Taken(After(8));

        Assert.That((settled.Position, settled.TakenPast), Is.EqualTo((After(8), Array.Empty<long>())));
    }

    [Test]
    public void Position_ALineNotTaken_StaysBeforeItAndListsTheLinesTakenAfterIt()
    {
        var settled = new SettledInput(InputPosition.Start);
        settled.Taken(After(1));

        settled.NotTaken(); // line 2: a stop interrupted its append
        settled.Taken(After(3));
        settled.Refused(After(4));
        settled.Taken(After(5));
        settled.ReachedEnd(After(5));

        Assert.That(settled.Position, Is.EqualTo(After(1)), "line 2 must be read again");
        Assert.That(settled.TakenPast, Is.EqualTo(new long[] { 3, 5 }), "lines 3 and 5 are in the spool: passed over; line 4 is refused again");
    }

    [Test]
    public void Position_TheEndReachedWithEveryLineSettled_IsTheEndOfTheInput()
    {
        var settled = new SettledInput(InputPosition.Start);
        settled.Taken(After(1));

        settled.ReachedEnd(new InputPosition(2, 25)); // line 2 was too long: refused by the reader, with no place of its own

        Assert.That(settled.Position, Is.EqualTo(new InputPosition(2, 25)));
    }
}
