using System.Reflection;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// The KafkaToS3 program's log event ids, read from every <see cref="LoggerMessageAttribute"/> of its assembly: each id is
/// used by one message. Program.cs sends one event (<see cref="KafkaToS3Worker.HeldAtStopEventId"/>, by category and id)
/// to stderr, and an operator may filter on ids; a second message with the same id went with it (the once-a-minute line
/// of a source no tenant lists had id 20 too, and went to stderr as if it were a window held at the stop).
/// </summary>
public class KafkaLogEventIdsTests
{
    [Test]
    public void LoggerMessages_OfTheKafkaToS3Program_EachHaveTheirOwnEventId()
    {
        var messages = Messages().ToList();

        var clashes = messages.GroupBy(m => m.Id).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();

        Assert.That(messages, Has.Count.GreaterThan(40), "every [LoggerMessage] of the assembly is read, the nested Log classes' included");
        Assert.That(messages.Select(m => m.Id), Has.All.GreaterThan(0), "each message names its id");
        Assert.That(clashes, Is.Empty, "event ids used by more than one message");
    }

    [Test]
    public void HeldAtStopEventId_IsTheIdOfTheHeldAtStopWarningAlone()
    {
        Assert.That(
            Messages().Where(m => m.Id == KafkaToS3Worker.HeldAtStopEventId).Select(m => m.Method),
            Is.EqualTo(new[] { "KafkaToS3Worker+Log.HeldAtStop" }),
            "the one event Program.cs sends to stderr");
    }

    private static IEnumerable<(int Id, string Method)> Messages() =>
        from type in typeof(KafkaToS3Worker).Assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        let message = method.GetCustomAttribute<LoggerMessageAttribute>()
        where message is not null
        select (message.EventId, $"{Name(type)}.{method.Name}");

    private static string Name(Type type) => type.DeclaringType is { } outer ? $"{Name(outer)}+{type.Name}" : type.Name;
}
