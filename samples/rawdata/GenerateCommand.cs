using System.Globalization;
using System.Text.Json;

namespace RawDataDestination.Cli;

/// <summary><c>rawdata generate</c>: writes Segment-like events (track, identify, page), one JSON object per line.</summary>
internal static class GenerateCommand
{
    public const string Usage = "rawdata generate [--count N] [--seed S] [--days D]";

    private static readonly string[] EventNames = ["Order Completed", "Product Viewed", "Signed Up", "Cart Viewed", "Checkout Started"];
    private static readonly string[] Pages = ["/", "/pricing", "/docs", "/blog/launch", "/checkout"];

    public static async Task<int> RunAsync(CommandLine line, TextWriter stdout)
    {
        line.RejectUnknown(["count", "seed", "days"]);
        long count = line.OptionalLong("count") ?? 1000;
        var random = new Random((int)(line.OptionalLong("seed") ?? 1));
        long days = Math.Max(1, line.OptionalLong("days") ?? 1);
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        using var buffer = new MemoryStream();
        for (long i = 0; i < count; i++)
        {
            buffer.SetLength(0);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                WriteEvent(writer, i, random, now - TimeSpan.FromMinutes(random.Next(0, (int)(days * 24 * 60))));
            }

            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static void WriteEvent(Utf8JsonWriter writer, long index, Random random, DateTimeOffset receivedAt)
    {
        string type = (index % 3) switch { 0 => "track", 1 => "identify", _ => "page" };
        string timestamp = receivedAt.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture);
        writer.WriteStartObject();
        writer.WriteString("type", type);
        writer.WriteString("messageId", $"msg-{index:D8}");
        writer.WriteString("userId", $"user-{random.Next(1, 500)}");
        writer.WriteString("anonymousId", Guid.NewGuid().ToString());
        writer.WriteString("timestamp", timestamp);
        writer.WriteString("receivedAt", timestamp);
        switch (type)
        {
            case "track":
                writer.WriteString("event", EventNames[random.Next(EventNames.Length)]);
                writer.WriteStartObject("properties");
                writer.WriteNumber("revenue", Math.Round(random.NextDouble() * 200, 2));
                writer.WriteString("currency", "USD");
                writer.WriteEndObject();
                break;
            case "identify":
                writer.WriteStartObject("traits");
                writer.WriteString("email", $"user{random.Next(1, 500)}@example.com");
                writer.WriteString("plan", random.Next(2) == 0 ? "free" : "pro");
                writer.WriteEndObject();
                break;
            default:
                writer.WriteString("name", "Page");
                writer.WriteStartObject("properties");
                writer.WriteString("path", Pages[random.Next(Pages.Length)]);
                writer.WriteEndObject();
                break;
        }

        writer.WriteStartObject("context");
        writer.WriteString("ip", $"203.0.113.{random.Next(1, 255)}");
        writer.WriteString("userAgent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)");
        writer.WriteStartObject("library");
        writer.WriteString("name", "analytics.js");
        writer.WriteString("version", "4.1.0");
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
