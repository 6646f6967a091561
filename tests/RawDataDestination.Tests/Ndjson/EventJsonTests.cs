namespace RawDataDestination.Tests.Ndjson;

/// <summary>
/// The one-pass path (<see cref="EventJson.Validate"/>, <see cref="EventJson.ValidateAndWriteLine"/>) against the full
/// reader's pass (<see cref="EventJson.ValidateWithReader"/>) and the plain compaction (<see cref="EventJson.WriteLine"/>):
/// same acceptance, same refusal and message, same bytes out.
/// </summary>
public class EventJsonTests
{
    private static readonly DateTimeOffset AppendedAt = new(2023, 11, 24, 10, 0, 0, 123, TimeSpan.Zero);

    private static readonly string[] Seeds =
    [
        "{}",
        "{ }",
        "{\"type\":\"track\",\"n\":-12.5e+3,\"ok\":true,\"no\":false,\"nil\":null,\"a\":[1,[2,[]],{\"b\":{}}]}",
        "{\n  \"receivedAt\" : \"2023-11-24T10:00:00.000Z\",\r\n\t\"s\": \"a\\\"b \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9 é 😀\" }",
        "{\"receivedAt\":\"2023-11-24T01:02:03\",\"receivedAt\":\"not a date\"}",
        "{\"x\":{\"receivedAt\":\"nested, not the event's\"},\"receivedAt\":\"2023-11-23T23:59:59.999+01:00\"}",
        "{\"receivedAt\":1700784000000}",
        "{\"receivedAt\":{\"a\":1}}",
        "{\"receivedAt\":\"yesterday\"}",
        "{\"receivedAt\":\"2026-12-01t10:00:00z\",\"b\":1}",
        "{ \"receivedAt\" : \"2026-12-01 10:00:00+02:00\" }",
        "{\"receivedAt\":\"2016-12-31T23:59:60Z\"}",
        "{\"receivedAt\":\"2026-12-01T10:00:60Z\"}",
        "{\"receiv\\u0065dAt\":\"yesterday\"}",
        "{\"s\":\"\\ud83d\\ude00\",\"lone\":\"\\udc00\"}",
        "\uFEFF{\"bom\":1}",
        "{\"deep\":" + new string('[', 70) + new string(']', 70) + "}",
        "{\"deep\":" + new string('[', 61) + new string(']', 61) + "}",
        "{\"n\":0,\"m\":-0.0,\"e\":1E5,\"f\":2e-7,\"g\":10}",
        "{\"city\":\"São Paulo\",\"zh\":\"北京\",\"del\":\"\u007f\"}",
        "{\"a\":{\"x\":1},\"b\":{\"x\":1},\"x\":[{\"x\":1},{\"x\":2}],\"axb\":1,\"ayb\":2,\"\":3,\"y\":{\"\":{},\"a\":{\"b\":1},\"b\":1}}",
        "{\"a\":1,\"a\":2}",
        "{\"receivedAt\":\"2023-11-24T01:02:03\",\"x\":{\"a\":[{\"b\":1,\"c\":{},\"b\":2}]}}",
        "{\"\\u0061\":1,\"a\":2,\"b\\n\":3}",
        "{\"axb\":1,\"ayb\":2,\"\":0,\"axb\":3,\"\":4}",
        "{\"s\":\"\\ud83d\\ude00 \\\\ud800 \\\\\\ud83d\\ude00\",\"\\ud83d\\ude00\":1}",
        "{\"\\ud800x\":1}",
        "{\"s\":\"\\ud83d\\u0041\"}",
        "{\"s\":\"\\ude00\\ud83d\"}",
        "{\"s\":\"x\\ud83d\"}",
        ManyNames(200, repeatFirst: false),
        ManyNames(200, repeatFirst: true),
    ];

    /// <summary>An event of <paramref name="count"/> names, more than the one-pass scan keeps; its last one the same as its first when asked.</summary>
    private static string ManyNames(int count, bool repeatFirst) =>
        "{" + string.Join(",", Enumerable.Range(0, count).Select(i => $"\"n{(repeatFirst && i == count - 1 ? 0 : i)}\":{i}")) + "}";

    /// <summary>Hand-picked bad inputs, each a different refusal or a different place in the grammar.</summary>
    private static readonly string[] BadSeeds =
    [
        "", "  \n", "[1,2]", "\"text\"", "42", "null", "{\"a\":1} {\"b\":2}", "{\"a\":1}x", "{\"a\":", "{'a':1}", "{\"a\":1,}",
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":+1}", "{\"a\":tru}", "{\"a\":truex}", "{\"a\":nul}",
        "{\"a\":\"\t\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"\\u12\"}", "{a:1}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{,}",
        "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":]}", "{\"a\":1]", "{\"a\":[1}", "{\"a\":1}}", "{\"a\":1}\n\n{", "{\"a\":1/*c*/}",
        "{\"a\":\"unterminated}", "{\"a\":\"x\"\u00a0}", "{\"a\":1\u000b}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":[" + new string('[', 70) + "]}",
    ];

    private static IEnumerable<TestCaseData> AllSeeds() =>
        Seeds.Concat(BadSeeds).Select(s => new TestCaseData(s).SetArgDisplayNames(s.Length > 40 ? s[..40] : s));

    [TestCaseSource(nameof(AllSeeds))]
    public void Validate_AnySeed_DecidesAsTheReaderDoes(string json) => AssertSameAsReader(Encoding.UTF8.GetBytes(json));

    [Test]
    public void Validate_InvalidUtf8InsideAString_IsRefusedAsTheReaderRefusesIt()
    {
        AssertSameAsReader([(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}']);
        AssertSameAsReader([(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xE2, 0x82, (byte)'"', (byte)'}']);
        AssertSameAsReader([(byte)'{', (byte)'"', 0xF0, 0x9F, 0x98, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        AssertSameAsReader([(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', 0xC3, 0xA9, (byte)'}']);
    }

    [TestCase("{\"a\":1 \"b\":2}", "at offset 7)")]
    [TestCase("{\n  \"a\": 1,\n  \"b\": tru\n}", "at offset 10 of the event's line 3)")]
    public void Validate_NotJson_SaysWhereInTheEventAndWhatToSend(string json, string where)
    {
        var refused = Assert.Throws<EventRejectedException>(() => EventJson.Validate(Encoding.UTF8.GetBytes(json), 1 << 20));
        Assert.That(refused!.Reason, Is.EqualTo(EventRejectionReason.InvalidJson));
        Assert.That(refused.Message, Does.StartWith("The event is not valid JSON (" + where).And.EndWith("Send each event as one JSON object, such as {\"type\":\"track\",\"event\":\"Order Completed\"}."));
        Assert.That(refused.Message, Does.Not.Contain("LineNumber"));
    }

    [TestCase("1,foo,2026-12-07")]
    [TestCase("\"id\",\"name\"")]
    public void Validate_ALineOfCsv_IsRefusedAsNotJsonNotCalledANumberOrString(string line)
    {
        // It said "The event is a JSON number, not an object": true of "42", not of a line of another format.
        var refused = Assert.Throws<EventRejectedException>(() => EventJson.Validate(Encoding.UTF8.GetBytes(line), 1 << 20));

        Assert.That(refused!.Reason, Is.EqualTo(EventRejectionReason.NotAnObject));
        Assert.That(refused.Message, Does.StartWith("The event is not JSON: it starts with a JSON ").And.Contain("(is the input CSV or other text?)"));
    }

    [Test]
    public void Validate_EventsOnLinesEndingInACarriageReturnAlone_IsRefusedNamingTheLineEnds()
    {
        // Lines that end in CR alone reach the validator as one line: it said only "data after its JSON object".
        var refused = Assert.Throws<EventRejectedException>(() => EventJson.Validate("{\"a\":1}\r{\"a\":2}\r"u8, 1 << 20));

        Assert.That(refused!.Reason, Is.EqualTo(EventRejectionReason.TrailingData));
        Assert.That(refused.Message, Is.EqualTo("The event has data after its JSON object, past a carriage return at byte 7: lines that end in a carriage return alone (CR, as old Mac OS files do) read as one. End each event's line with a line feed (LF or CRLF)."));
    }

    [TestCase("{\"a\":1,}", "at offset 6", "'}' that closes an object")]
    [TestCase("{\"a\":[1,2,   ]}", "at offset 9", "']' that closes an array")]
    [TestCase("{\"a\":{\"b\":1,\r\n}}", "at offset 11", "'}' that closes an object")]
    [TestCase("{\n  \"a\": 1,\n  \"b\": 2,\n}", "at offset 8 of the event's line 3", "'}' that closes an object")]
    public void Validate_WithATrailingComma_SaysSoWhereAndToRemoveItNotToChangeReaderOptions(string json, string where, string closes)
    {
        // It said System.Text.Json's "...not supported in this mode. Change the reader options.": no sender of an event can.
        var refused = Assert.Throws<EventRejectedException>(() => EventJson.Validate(Encoding.UTF8.GetBytes(json), 1 << 20));

        Assert.That(refused!.Reason, Is.EqualTo(EventRejectionReason.InvalidJson));
        Assert.That(refused.Message, Is.EqualTo($"The event is not valid JSON ({where}): it has a trailing comma, before the {closes}, which JSON does not allow, so the event was refused. Remove that comma."));
    }

    [Test]
    public void Validate_NestedDeeperThanTheLimit_SaysHowDeepAndToFlattenNotToSendOneObject()
    {
        // The root object is one level: it and 63 arrays inside it are 64.
        string atTheLimit = "{\"p\":" + new string('[', EventJson.MaxDepth - 1) + new string(']', EventJson.MaxDepth - 1) + "}";
        string deeper = "{\"p\":" + new string('[', EventJson.MaxDepth) + new string(']', EventJson.MaxDepth) + "}";

        Assert.That(() => EventJson.Validate(Encoding.UTF8.GetBytes(atTheLimit), 1 << 20), Throws.Nothing);
        var refused = Assert.Throws<EventRejectedException>(() => EventJson.Validate(Encoding.UTF8.GetBytes(deeper), 1 << 20));
        Assert.That(refused!.Reason, Is.EqualTo(EventRejectionReason.InvalidJson));
        Assert.That(refused.Message, Is.EqualTo("The event nests objects and arrays more than 64 deep (at offset 68), deeper than this library reads. Flatten its deepest properties."));

        // Brackets inside a string (after an escaped quote) nest nothing: a trailing comma is the fault there.
        string bracketsInAString = "{\"s\":\"\\\"" + new string('[', 70) + "\",}";
        var notJson = Assert.Throws<EventRejectedException>(() => EventJson.Validate(Encoding.UTF8.GetBytes(bracketsInAString), 1 << 20));
        Assert.That(notJson!.Message, Does.StartWith("The event is not valid JSON ("));
    }

    /// <summary>Thousands of mutations of valid events (bytes replaced, inserted, deleted, cut off): the one-pass path never disagrees with the reader.</summary>
    [Test]
    public void Validate_RandomMutations_DecideAsTheReaderDoes()
    {
        var random = new Random(20231124);
        byte[] special = "{}[]:,\"\\ \t\n\r-+.0123456789eEtrufalsn/u\u00e9"u8.ToArray();
        int checkedCount = 0;
        foreach (string seed in Seeds)
        {
            byte[] original = Encoding.UTF8.GetBytes(seed);
            for (int round = 0; round < 600; round++)
            {
                var bytes = new List<byte>(original);
                for (int edits = random.Next(1, 4); edits > 0 && bytes.Count > 0; edits--)
                {
                    int at = random.Next(bytes.Count);
                    byte b = random.Next(8) == 0 ? (byte)random.Next(256) : special[random.Next(special.Length)];
                    switch (random.Next(4))
                    {
                        case 0: bytes[at] = b; break;
                        case 1: bytes.Insert(at, b); break;
                        case 2: bytes.RemoveAt(at); break;
                        default: bytes.RemoveRange(at, bytes.Count - at); break;
                    }
                }

                AssertSameAsReader(bytes.ToArray());
                checkedCount++;
            }
        }

        Assert.That(checkedCount, Is.EqualTo(Seeds.Length * 600));
    }

    [TestCase("{\"a\":1,\"b\":2,\"a\":3}", "\"a\" twice in the event (the second at offset 13)")]
    [TestCase("{\"properties\":{\"items\":[{\"sku\":1},{\"sku\":2,\n\"sku\":3}]}}", "\"sku\" twice in the object properties.items[] (the second at offset 44)")]
    [TestCase("{\"receivedAt\":\"2023-11-24T10:00:00Z\",\"receiv\\u0065dAt\":\"2023-11-25T10:00:00Z\"}", "\"receivedAt\" twice in the event")]
    public void Validate_ANameTwiceInOneObject_IsRefusedNamingItWhereAndWhyReadersNeedItOnce(string json, string what)
    {
        var refused = Assert.Throws<EventRejectedException>(() => EventJson.Validate(Encoding.UTF8.GetBytes(json), int.MaxValue));

        Assert.That(refused!.Reason, Is.EqualTo(EventRejectionReason.RepeatedName));
        Assert.That(refused.Message, Does.Contain("The event gives the name " + what).And.EndWith("Readers such as DuckDB and Amazon Athena refuse a whole file that holds such an event, so it is not stored. Give each name once per object."));
    }

    [TestCase("{\"s\":\"x\\udc00\"}", "\\udc00 at offset 7")]
    [TestCase("{\"a\":[1,{\"\\ud83dx\":2}]}", "\\ud83d at offset 10")]
    public void Validate_HalfASurrogatePairEscapedAlone_IsRefusedSayingWhyAndWhatToSend(string json, string what)
    {
        var refused = Assert.Throws<EventRejectedException>(() => EventJson.Validate(Encoding.UTF8.GetBytes(json), int.MaxValue));

        Assert.That(refused!.Reason, Is.EqualTo(EventRejectionReason.InvalidJson));
        Assert.That(refused.Message, Is.EqualTo($"The event has a string with {what}: half of a UTF-16 surrogate pair without its other half, which stands for no character. System.Text.Json cannot read it as text and DuckDB refuses a whole file that holds one, so it is not stored. Send the character itself, or both halves of its pair (such as \\ud83d\\ude00)."));
    }

    [Test]
    public void ValidateAndWriteLine_WithoutReceivedAt_WritesTheCompactLineStampedOnce()
    {
        byte[] json = "{ \"type\" : \"track\", \"p\" : { \"x\" : [ 1 , 2 ] } }"u8.ToArray();
        byte[] line = new byte[json.Length + EventJson.MaxLineOverhead];

        int written = EventJson.ValidateAndWriteLine(json, 1024, AppendedAt, line, out DateTimeOffset? receivedAt);

        Assert.That(receivedAt, Is.Null);
        Assert.That(Encoding.UTF8.GetString(line, 0, written), Is.EqualTo("{\"type\":\"track\",\"p\":{\"x\":[1,2]},\"receivedAt\":\"2023-11-24T10:00:00.123Z\"}\n"));
    }

    /// <summary>
    /// Checks that the one-pass path decides <paramref name="json"/> exactly as the reader's pass does (accepted with the
    /// same receivedAt, or refused with the same reason and message) and, when accepted, writes the same line as the
    /// plain compaction.
    /// </summary>
    private static void AssertSameAsReader(byte[] json)
    {
        string shown = Convert.ToHexString(json);
        (DateTimeOffset? ReceivedAt, string? Refusal) expected = Outcome(() => json.AsSpan().Trim(" \t\r\n"u8).IsEmpty ? EventJson.Validate(json, int.MaxValue) : EventJson.ValidateWithReader(json));
        Assert.That(Outcome(() => EventJson.Validate(json, int.MaxValue)), Is.EqualTo(expected), "Validate: " + shown);

        byte[] line = new byte[json.Length + EventJson.MaxLineOverhead];
        int written = 0;
        DateTimeOffset? stampedFrom = null;
        (DateTimeOffset?, string?) oneLine = Outcome(() =>
        {
            written = EventJson.ValidateAndWriteLine(json, int.MaxValue, AppendedAt, line, out DateTimeOffset? receivedAt);
            stampedFrom = receivedAt;
            return receivedAt;
        });
        Assert.That(oneLine, Is.EqualTo(expected), "ValidateAndWriteLine: " + shown);
        if (expected.Refusal is null)
        {
            byte[] plain = new byte[json.Length + EventJson.MaxLineOverhead];
            int plainWritten = EventJson.WriteLine(json, stampedFrom is null ? AppendedAt : null, plain);
            Assert.That(line.AsSpan(0, written).ToArray(), Is.EqualTo(plain.AsSpan(0, plainWritten).ToArray()), "the line: " + shown);
        }
    }

    private static (DateTimeOffset? ReceivedAt, string? Refusal) Outcome(Func<DateTimeOffset?> validate)
    {
        try
        {
            return (validate(), null);
        }
        catch (EventRejectedException refused)
        {
            return (null, refused.Reason + ": " + refused.Message);
        }
    }
}
