using System.Text.Json;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// A deterministic corpus of Segment-like events (track, identify, page) with realistic context, properties and
/// traits, about 1.1 KB each. The same seed gives the same bytes on every machine; nothing is downloaded.
/// </summary>
public sealed class Corpus
{
    private static readonly string[] TrackEvents = ["Order Completed", "Product Viewed", "Checkout Started", "Product Added", "Signed Up", "Cart Viewed", "Coupon Applied"];
    private static readonly string[] Pages = ["/", "/pricing", "/docs/getting-started", "/blog/raw-data-in-s3", "/account/settings", "/checkout", "/products/widget-pro"];
    private static readonly string[] Plans = ["free", "team", "business", "enterprise"];
    private static readonly string[] Browsers =
    [
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    ];

    private static readonly string[] Cities = ["San Francisco", "Berlin", "São Paulo", "Tokyo", "Zürich", "Lagos", "Montréal"];

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int Megabytes, int Seed), Corpus> Cache = new();

    private Corpus(List<byte[]> events)
    {
        Events = events;
        TotalBytes = events.Sum(e => (long)e.Length + 1);
        Ndjson = new byte[TotalBytes];
        int offset = 0;
        foreach (byte[] e in events)
        {
            e.CopyTo(Ndjson, offset);
            offset += e.Length;
            Ndjson[offset++] = (byte)'\n';
        }
    }

    /// <summary>Gets the events as UTF-8 JSON, one object each; one in ten is pretty-printed, as some senders do.</summary>
    public IReadOnlyList<byte[]> Events { get; }

    /// <summary>Gets the input size: every event plus one newline each.</summary>
    public long TotalBytes { get; }

    /// <summary>Gets the events as they would be stored: compact NDJSON (the bytes compress-only compresses).</summary>
    public byte[] Ndjson { get; private set; }

    /// <summary>Builds a corpus of about <paramref name="megabytes"/> MB from a fixed seed, once per process.</summary>
    public static Corpus Create(int megabytes, int seed = 20231124) => Cache.GetOrAdd((megabytes, seed), key => Build(key.Megabytes, key.Seed));

    private static Corpus Build(int megabytes, int seed)
    {
        var random = new Random(seed);
        var events = new List<byte[]>();
        long bytes = 0;
        for (int i = 0; bytes < megabytes * 1024L * 1024; i++)
        {
            byte[] e = Event(random, i);
            events.Add(e);
            bytes += e.Length + 1;
        }

        var corpus = new Corpus(events);
        corpus.Ndjson = Compact(corpus.Events);
        return corpus;
    }

    /// <summary>Makes event number <paramref name="index"/> of the corpus's kind: used to stream events without holding a corpus.</summary>
    public static byte[] Event(Random random, int index)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1536);
        bool pretty = index % 10 == 0;
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = pretty, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            int kind = random.Next(10);
            string type = kind < 6 ? "track" : kind < 8 ? "page" : "identify";
            var timestamp = new DateTimeOffset(2023, 11, 24, 0, 0, 0, TimeSpan.Zero).AddMilliseconds(random.Next(86_400_000));
            string userId = $"user-{random.Next(50_000)}";
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("messageId", $"ajs-next-{Guid(random)}");
            json.WriteString("anonymousId", Guid(random));
            json.WriteString("userId", userId);
            json.WriteString("timestamp", timestamp.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("sentAt", timestamp.AddMilliseconds(random.Next(50, 900)).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("receivedAt", timestamp.AddMilliseconds(random.Next(900, 2000)).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            switch (type)
            {
                case "track":
                    json.WriteString("event", TrackEvents[random.Next(TrackEvents.Length)]);
                    json.WriteStartObject("properties");
                    json.WriteString("order_id", $"ord_{random.Next(1_000_000):D7}");
                    json.WriteNumber("revenue", Math.Round(random.NextDouble() * 500, 2));
                    json.WriteString("currency", "USD");
                    json.WriteStartArray("products");
                    for (int p = random.Next(1, 4); p > 0; p--)
                    {
                        json.WriteStartObject();
                        json.WriteString("product_id", $"sku-{random.Next(10_000)}");
                        json.WriteString("name", $"Widget {(char)('A' + random.Next(26))}{random.Next(100)}");
                        json.WriteNumber("price", Math.Round(random.NextDouble() * 100, 2));
                        json.WriteNumber("quantity", random.Next(1, 5));
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                    json.WriteEndObject();
                    break;
                case "page":
                    string path = Pages[random.Next(Pages.Length)];
                    json.WriteString("name", path.Trim('/').Replace('/', ' '));
                    json.WriteStartObject("properties");
                    json.WriteString("path", path);
                    json.WriteString("url", "https://www.example.com" + path);
                    json.WriteString("referrer", random.Next(2) == 0 ? "https://www.google.com/" : "");
                    json.WriteString("title", "Example — " + path);
                    json.WriteEndObject();
                    break;
                default:
                    json.WriteStartObject("traits");
                    json.WriteString("email", $"{userId}@example.com");
                    json.WriteString("name", $"Person {random.Next(100_000)}");
                    json.WriteString("plan", Plans[random.Next(Plans.Length)]);
                    json.WriteNumber("logins", random.Next(1, 400));
                    json.WriteString("city", Cities[random.Next(Cities.Length)]);
                    json.WriteBoolean("newsletter", random.Next(2) == 0);
                    json.WriteEndObject();
                    break;
            }

            json.WriteStartObject("context");
            json.WriteString("ip", $"203.0.{random.Next(256)}.{random.Next(256)}");
            json.WriteString("userAgent", Browsers[random.Next(Browsers.Length)]);
            json.WriteString("locale", "en-US");
            json.WriteStartObject("library");
            json.WriteString("name", "analytics.js");
            json.WriteString("version", "next-1.64.0");
            json.WriteEndObject();
            json.WriteStartObject("page");
            string page = Pages[random.Next(Pages.Length)];
            json.WriteString("path", page);
            json.WriteString("url", "https://www.example.com" + page);
            json.WriteString("search", random.Next(3) == 0 ? "?utm_source=newsletter&utm_campaign=nov" : "");
            json.WriteEndObject();
            json.WriteStartObject("campaign");
            json.WriteString("source", "newsletter");
            json.WriteString("medium", "email");
            json.WriteString("name", "november-launch");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject("integrations");
            json.WriteBoolean("All", true);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string Guid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new System.Guid(bytes).ToString("D");
    }

    /// <summary>The lines exactly as the encoder writes them (compact, bytes otherwise kept): what compress-only compresses.</summary>
    private static byte[] Compact(IReadOnlyList<byte[]> events)
    {
        using var output = new MemoryStream();
        byte[] line = new byte[64 * 1024];
        foreach (byte[] e in events)
        {
            int written = RawDataDestination.Ndjson.EventJson.WriteLine(e, stamp: null, line);
            output.Write(line, 0, written);
        }

        return output.ToArray();
    }

    /// <summary>Describes the corpus in one line.</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Events.Count} events, {TotalBytes / 1048576.0:F1} MB as sent, {Ndjson.Length / 1048576.0:F1} MB compact, {(double)TotalBytes / Events.Count:F0} bytes per event");
}
