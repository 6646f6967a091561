using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// The rules that keep an object readable by the tools that read it (DuckDB, Athena), over random events whose objects
/// nest in objects and arrays and draw their names and strings from a few pieces, some spelled with escapes, so that
/// names repeat often (in the same object or only in different ones) and surrogate escapes come paired, alone or out of
/// order. The judge is System.Text.Json's own: an event is refused as <see cref="EventRejectionReason.RepeatedName"/>
/// exactly when <see cref="JsonDocumentOptions.AllowDuplicateProperties"/> off refuses it, and for half a surrogate pair
/// exactly when it cannot read one of its strings as text; the one-pass path and the reader's pass decide alike.
/// </summary>
public class ReadableEventProperties
{
    /// <summary>Names that repeat, look alike (same length, same last bytes) or spell another one with an escape.</summary>
    private static readonly string[] Names = ["a", "b", "ab", "ba", "xa", "", "\\u0061", "id", "user_id", "order_id", "aXid", "\\ud83d\\ude00", "\\udc00"];

    /// <summary>Pieces of strings: a pair's halves (alone, in order or not), other escapes, and plain text.</summary>
    private static readonly string[] Pieces = ["a", "\\ud83d", "\\ude00", "\\u0041", "\\\\", "\\\"", "é", "u"];

    private static readonly JsonDocumentOptions StrictNames = new() { AllowDuplicateProperties = false };

    private static Gen<string> Value(int depth) =>
        depth == 0
            ? Gen.OneOf(Gen.Const("1"), Gen.Const("null"), Text)
            : Gen.Frequency(
                (3, Gen.OneOf(Gen.Const("1"), Gen.Const("true"), Text)),
                (2, Object(depth - 1)),
                (1, Object(depth - 1).Array[0, 3].Select(items => "[" + string.Join(",", items) + "]")));

    private static Gen<string> Text => Gen.Int[0, Pieces.Length - 1].Array[0, 3].Select(p => "\"" + string.Concat(p.Select(i => Pieces[i])) + "\"");

    private static Gen<string> Object(int depth) =>
        Gen.Select(Gen.Int[0, Names.Length - 1], Value(depth)).Array[0, 6]
            .Select(members => "{" + string.Join(",", members.Select(m => $"\"{Names[m.Item1]}\":{m.Item2}")) + "}");

    [Test]
    public void Validate_OfAnyEvent_RefusesWhatSystemTextJsonCannotReadAndNothingElse() =>
        Object(3).Sample(
            json =>
            {
                byte[] bytes = Encoding.UTF8.GetBytes(json);
                string expected = "accepted";
                try
                {
                    using JsonDocument document = JsonDocument.Parse(bytes);
                    ReadEveryString(document.RootElement);
                    using JsonDocument strict = JsonDocument.Parse(bytes, StrictNames);
                }
                catch (InvalidOperationException)
                {
                    // Half a pair alone: refused, as InvalidJson, or as RepeatedName when a repeated name comes first.
                    expected = "either";
                }
                catch (JsonException)
                {
                    expected = nameof(EventRejectionReason.RepeatedName);
                }

                NUnit.Framework.Constraints.IResolveConstraint Decided() => expected == "either"
                    ? Is.EqualTo(nameof(EventRejectionReason.RepeatedName)).Or.EqualTo(nameof(EventRejectionReason.InvalidJson))
                    : Is.EqualTo(expected);
                Assert.That(Outcome(() => EventJson.Validate(bytes, int.MaxValue)), Decided(), "the one-pass path: " + json);
                Assert.That(Outcome(() => EventJson.ValidateWithReader(bytes)), Decided(), "the reader's pass: " + json);
                Assert.That(Outcome(() => EventJson.ValidateAndWriteLine(bytes, int.MaxValue, DateTimeOffset.UnixEpoch, new byte[bytes.Length + EventJson.MaxLineOverhead], out _)), Decided(), "validate and write: " + json);
                Assert.That(Outcome(() => EventJson.Validate(bytes, int.MaxValue, refuseUnreadable: false)), Is.EqualTo("accepted"), "a line the library wrote itself: " + json);
            },
            iter: 5_000);

    /// <summary>Reads every string and name as text, as a reader of the objects would: throws for half a surrogate pair alone.</summary>
    private static void ReadEveryString(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                _ = element.GetString();
                break;
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    _ = property.Name;
                    ReadEveryString(property.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (JsonElement item in element.EnumerateArray())
                {
                    ReadEveryString(item);
                }

                break;
        }
    }

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
