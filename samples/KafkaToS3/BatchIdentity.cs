using System.Text;
using System.Globalization;
using System.Security.Cryptography;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// Names a batch from the log's positions, so a replay names it the same: <c>{topic}-{partition}-{first}-{last}</c>,
/// where <c>first</c> is the offset of the batch's first record and <c>last</c> the last offset of its window.
/// </summary>
/// <remarks>
/// Both ends are in the name, so two batches that start at the same offset but hold different records (a window cut
/// short by <c>--until-caught-up</c> at a different end) can never share a key. The topic's dots become underscores
/// (Kafka refuses topics that differ only there); a topic too long for the 64-character batch id is cut and followed
/// by 8 hex digits of its SHA-256.
/// </remarks>
internal static class BatchIdentity
{
    private const int MaxLength = 64;

    public static string For(string topic, int partition, long firstOffset, long lastOffset)
    {
        string suffix = string.Create(CultureInfo.InvariantCulture, $"-{partition}-{firstOffset}-{lastOffset}");
        string name = topic.Replace('.', '_');
        if (name.Length + suffix.Length > MaxLength)
        {
            string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(topic)))[..8];
            name = name[..(MaxLength - suffix.Length - hash.Length - 1)] + "-" + hash;
        }

        return name + suffix;
    }

    /// <summary>The exclusive end of the offset window that <paramref name="offset"/> falls in.</summary>
    public static long WindowEnd(long offset, int windowWidth) => ((offset / windowWidth) + 1) * windowWidth;
}
