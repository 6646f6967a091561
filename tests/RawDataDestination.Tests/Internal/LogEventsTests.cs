namespace RawDataDestination.Tests.Internal;

/// <summary><see cref="LogEvents.Lanes"/>: the one wording of the log lines that list lanes (what was left at shutdown, the lanes not waited for).</summary>
public class LogEventsTests
{
    [Test]
    public void Lanes_WhenTenOrFewer_NamesEachInTheOrderGiven()
    {
        string[] lanes = [.. Enumerable.Range(1, 10).Select(i => $"lane-{i}")];

        Assert.That(LogEvents.Lanes(lanes, lane => lane), Is.EqualTo(string.Join(", ", lanes)));
    }

    [Test]
    public void Lanes_WhenMoreThanTen_NamesTheFirstTenThenHowManyMore()
    {
        string[] lanes = [.. Enumerable.Range(1, 13).Select(i => $"lane-{i}")];

        Assert.That(
            LogEvents.Lanes(lanes, lane => lane.ToUpperInvariant()),
            Is.EqualTo("LANE-1, LANE-2, LANE-3, LANE-4, LANE-5, LANE-6, LANE-7, LANE-8, LANE-9, LANE-10 and 3 more"));
    }
}
