namespace RawDataDestination.Tests.Integration;

/// <summary>Reads what landed in the local S3, as a customer would.</summary>
internal static class Objects
{
    public static async Task<Dictionary<string, string[]>> ReadAllAsync(string prefix, string bucket = SharedPeers.Bucket)
    {
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (string key in await SharedPeers.S3.ListKeysAsync(bucket, prefix))
        {
            result[key] = Gzip.Lines(await SharedPeers.S3.GetObjectBytesAsync(bucket, key));
        }

        return result;
    }

    /// <summary>The <c>messageId</c> of every line of every object under <paramref name="prefix"/> in <paramref name="bucket"/>.</summary>
    public static async Task<List<string>> MessageIdsAsync(string prefix, string bucket = SharedPeers.Bucket) =>
        [.. MessageIds((await ReadAllAsync(prefix, bucket)).Values.SelectMany(lines => lines))];

    /// <summary>The <c>messageId</c> of each line.</summary>
    public static IEnumerable<string> MessageIds(IEnumerable<string> lines) =>
        lines.Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("messageId").GetString()!);

    public static string UniqueSource(string name) => $"{name}-{Guid.NewGuid():N}";
}
