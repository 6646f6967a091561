namespace RawDataDestination.Tests.Batching;

/// <summary><see cref="BatchManifest"/>: one description of a sealed batch, shared by its sealed, pending and reloaded forms.</summary>
public class BatchManifestTests
{
    [Test]
    public async Task Manifest_OfASealedBatch_IsWhatItsPropertiesSay()
    {
        using SealedBatch batch = await TestBatches.CreateAsync("web", new DateOnly(2023, 11, 24), "018c0145-c980-7a4e-9b1f-3c2d1e0f4a5b", ["{\"type\":\"track\"}", "{\"type\":\"page\"}"]);

        BatchManifest manifest = batch.Manifest;

        Assert.Multiple(() =>
        {
            Assert.That((manifest.SourceId, manifest.ReceivedDay, manifest.BatchId), Is.EqualTo((batch.SourceId, batch.ReceivedDay, batch.BatchId)));
            Assert.That(manifest.FileName, Is.EqualTo("1700822400000.018c0145-c980-7a4e-9b1f-3c2d1e0f4a5b.gz").And.EqualTo(batch.FileName));
            Assert.That((manifest.OpenedAt, manifest.SealedAt, manifest.Cause), Is.EqualTo((batch.OpenedAt, batch.SealedAt, batch.Cause)));
            Assert.That((manifest.EventCount, manifest.NdjsonBytes), Is.EqualTo((2L, batch.UncompressedBytes)));
            Assert.That(manifest.CompressedBytes, Is.EqualTo(batch.ReadAllBytes().Length));
            Assert.That(manifest.ChecksumSha256, Is.EqualTo(BatchManifest.ChecksumOf(batch.OpenRead())));
        });
    }

    [Test]
    public async Task Load_BytesReadBackFromTheSpool_KeepTheManifestTheBatchWasSealedWith()
    {
        using SealedBatch sealedBatch = await TestBatches.CreateAsync("web", new DateOnly(2023, 11, 24), "{\"type\":\"track\"}");
        var pending = new PendingBatch(sealedBatch);
        var changedOnDisk = new SegmentedBuffer();
        changedOnDisk.Write([1, 2, 3]);

        using SealedBatch loaded = pending.Load(changedOnDisk);

        Assert.That(loaded.Manifest, Is.SameAs(sealedBatch.Manifest));
        Assert.That(loaded.ChecksumSha256, Is.EqualTo(sealedBatch.ChecksumSha256), "every attempt sends the SHA-256 of the seal, so S3 refuses changed bytes");
    }
}
