using System.Globalization;
using System.Text.Json;

namespace RawDataDestination.Staging;

/// <summary>
/// The record of a parked batch, stored as a small JSON object beside it at <c>{staged key}.parked.json</c> in the
/// staging bucket: why the customer's bucket refused it, when it was staged, and when to try again. Writing it needs
/// only <c>s3:PutObject</c>, which the staging policy already grants (an object tag would need <c>s3:PutObjectTagging</c>).
/// </summary>
/// <param name="ErrorCode">The AWS error code of the last refusal, such as <c>AccessDenied</c>.</param>
/// <param name="Reason">The explanation of the last refusal, in terms of the customer's setup.</param>
/// <param name="StagedAt">When the batch was staged; its retention counts from here.</param>
/// <param name="FirstParkedAt">When the batch was first parked.</param>
/// <param name="LastAttemptAt">When the customer's bucket last refused it.</param>
/// <param name="NextAttemptAt">When the copier tries it again.</param>
/// <param name="Attempts">How many times the customer's bucket refused it.</param>
/// <param name="EventCount">The number of events in the batch.</param>
internal sealed record ParkedMarker(
    string ErrorCode,
    string Reason,
    DateTimeOffset StagedAt,
    DateTimeOffset FirstParkedAt,
    DateTimeOffset LastAttemptAt,
    DateTimeOffset NextAttemptAt,
    int Attempts,
    long EventCount)
{
    /// <summary>Writes the marker as UTF-8 JSON.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("errorCode", ErrorCode);
            writer.WriteString("reason", Reason);
            writer.WriteString("stagedAt", Format(StagedAt));
            writer.WriteString("firstParkedAt", Format(FirstParkedAt));
            writer.WriteString("lastAttemptAt", Format(LastAttemptAt));
            writer.WriteString("nextAttemptAt", Format(NextAttemptAt));
            writer.WriteNumber("attempts", Attempts);
            writer.WriteNumber("events", EventCount);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a marker; returns <see langword="null"/> when the JSON is not one.</summary>
    public static ParkedMarker? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            return new ParkedMarker(
                root.GetProperty("errorCode").GetString() ?? string.Empty,
                root.GetProperty("reason").GetString() ?? string.Empty,
                Time(root, "stagedAt"),
                Time(root, "firstParkedAt"),
                Time(root, "lastAttemptAt"),
                Time(root, "nextAttemptAt"),
                root.GetProperty("attempts").GetInt32(),
                root.GetProperty("events").GetInt64());
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(JsonElement root, string name) =>
        DateTimeOffset.Parse(root.GetProperty(name).GetString() ?? string.Empty, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
