using System.Security.Cryptography;

namespace RawDataDestination.Internal;

/// <summary>The checksum S3 verifies on PutObject: the base64 SHA-256 of an object's bytes (<c>x-amz-checksum-sha256</c>).</summary>
internal static class ContentChecksum
{
    /// <summary>Hashes what <paramref name="content"/> holds, without copying it.</summary>
    public static string Sha256(SegmentedBuffer content)
    {
        using Stream bytes = content.OpenRead();
        return Sha256(bytes);
    }

    /// <summary>Hashes what is left of <paramref name="bytes"/>.</summary>
    public static string Sha256(Stream bytes) => Convert.ToBase64String(SHA256.HashData(bytes));
}
