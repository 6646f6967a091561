using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// The rule that an event gives each name once per object, over random events whose objects nest in objects and
/// arrays and draw their names from a few, some spelled with escapes, so that names repeat often, in the same object or
/// only in different ones. The judge is System.Text.Json's own (<see cref="JsonDocumentOptions.AllowDuplicateProperties"/>
/// off): an event is refused as <see cref="EventRejectionReason.RepeatedName"/> exactly when it refuses it, and both the
/// one-pass path and the reader's pass decide so.
/// </summary>
public class RepeatedNameProperties
{
    /// <summary>Names that repeat, look alike (same length, same last bytes) or spell another one with an escape.</summary>
    private static readonly string[] Names = ["a", "b", "ab", "ba", "xa", "", "\\u0061", "id", "user_id", "order_id", "aXid"];

    private static readonly JsonDocumentOptions StrictNames = new() { AllowDuplicateProperties = false };

    private static Gen<string> Value(int depth) =>
        depth == 0
            ? Gen.OneOf("1", "\"s\"", "null", "[]")
            : Gen.Frequency(
                (3, Gen.OneOf("1", "\"s\"", "true")),
                (2, Object(depth - 1)),
                (1, Object(depth - 1).Array[0, 3].Select(items => "[" + string.Join(",", items) + "]")));

    private static Gen<string> Object(int depth) =>
        Gen.Select(Gen.Int[0, Names.Length - 1], Value(depth)).Array[0, 6]
            .Select(members => "{" + string.Join(",", members.Select(m => $"\"{Names[m.Item1]}\":{m.Item2}")) + "}");

    [Test]
    public void Validate_OfAnyEvent_RefusesARepeatedNameExactlyWhenSystemTextJsonFindsOne() =>
        Object(3).Sample(
            json =>
            {
                byte[] bytes = Encoding.UTF8.GetBytes(json);
                bool repeats = false;
                try
                {
                    using JsonDocument document = JsonDocument.Parse(bytes, StrictNames);
                }
                catch (JsonException)
                {
                    repeats = true;
                }

                string expected = repeats ? nameof(EventRejectionReason.RepeatedName) : "accepted";
                Assert.That(Outcome(() => EventJson.Validate(bytes, int.MaxValue)), Is.EqualTo(expected), "the one-pass path: " + json);
                Assert.That(Outcome(() => EventJson.ValidateWithReader(bytes)), Is.EqualTo(expected), "the reader's pass: " + json);
                Assert.That(Outcome(() => EventJson.ValidateAndWriteLine(bytes, int.MaxValue, DateTimeOffset.UnixEpoch, new byte[bytes.Length + EventJson.MaxLineOverhead], out _)), Is.EqualTo(expected), "validate and write: " + json);
                Assert.That(Outcome(() => EventJson.Validate(bytes, int.MaxValue, refuseRepeatedNames: false)), Is.EqualTo("accepted"), "a line the library wrote itself: " + json);
            },
            iter: 5_000);

    private static string Outcome(Action validate)
    {
        try
        {
            validate();
            return "accepted";
        }
        catch (EventRejectedException refused)
        {
            return refused.Reason.ToString();
        }
    }
}
