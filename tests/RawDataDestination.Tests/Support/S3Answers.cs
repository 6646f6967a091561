namespace RawDataDestination.Tests.Support;

/// <summary>S3's answers as a mocked <see cref="IAmazonS3"/> gives them.</summary>
internal static class S3Answers
{
    /// <summary>What S3 answers a PutObject that wrote the object: 200 with the object's ETag (an answer without one is not S3's).</summary>
    public static PutObjectResponse Written() => new() { HttpStatusCode = HttpStatusCode.OK, ETag = "\"9b2cf535f27731c974343645a3985328\"" };
}
