namespace RawDataDestination.Tests.Support;

/// <summary>Reads a sealed batch's gzip content into one array for assertions, through <see cref="SealedBatch.OpenRead"/>.</summary>
internal static class SealedBatchBytes
{
    /// <summary>The batch's gzip content, read through <see cref="SealedBatch.OpenRead"/>.</summary>
    public static byte[] ReadAllBytes(this SealedBatch batch)
    {
        using Stream content = batch.OpenRead();
        using var copy = new MemoryStream(checked((int)batch.CompressedBytes));
        content.CopyTo(copy);
        return copy.ToArray();
    }
}
