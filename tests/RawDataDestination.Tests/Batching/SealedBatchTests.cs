namespace RawDataDestination.Tests.Batching;

public class SealedBatchTests
{
    // ToArray is obsolete in 1.x (removed in 2.0; OpenRead replaces it): this checks that it still returns the content.
#pragma warning disable CS0618
    [Test]
    public async Task ToArray_OnASealedBatch_ReturnsTheSameGzipContentAsOpenRead()
    {
        string[] events = ["""{"a":1,"receivedAt":"2023-11-24T10:40:00.000Z"}""", """{"b":2,"receivedAt":"2023-11-24T10:40:00.000Z"}"""];
        using SealedBatch batch = await TestBatches.CreateAsync("src", new DateOnly(2023, 11, 24), events);

        byte[] copied = batch.ToArray();

        Assert.That(copied, Is.EqualTo(batch.ReadAllBytes()));
        Assert.That(Gzip.Lines(copied), Is.EqualTo(events));
    }
#pragma warning restore CS0618
}
