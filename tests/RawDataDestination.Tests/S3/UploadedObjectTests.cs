namespace RawDataDestination.Tests.S3;

public class UploadedObjectTests
{
    private const string Uri = "s3://logs/acme/segment-logs/src/1700784000000/1700822400000.id.gz";

    private static readonly UploadedObject Uploaded = new("logs", "acme/segment-logs/src/1700784000000/1700822400000.id.gz", 3, 120, 80);

    [Test]
    public void Location_OfAnObject_IsItsS3Uri() =>
        Assert.That(Uploaded.Location, Is.EqualTo(Uri));

    // ToReceipt is obsolete in 1.x (removed in 2.0; BatchReceipt.For replaces it): this checks that it still works as shipped.
#pragma warning disable CS0618
    [Test]
    public void ToReceipt_OfAnObject_NamesItsLocationAndCounts() =>
        Assert.That(Uploaded.ToReceipt(), Is.EqualTo(new BatchReceipt(Uri, 3, 120, 80)));
#pragma warning restore CS0618
}
