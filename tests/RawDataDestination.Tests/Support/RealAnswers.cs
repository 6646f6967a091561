namespace RawDataDestination.Tests.Support;

/// <summary>
/// Errors as the AWS SDK really throws them: an S3 or STS client makes one call to an endpoint that answers as told (the
/// fault proxy's canned answers), refuses connections, or never answers; the test gets what the SDK threw.
/// </summary>
internal static class RealAnswers
{
    /// <summary>An STS error answer in the Query protocol's XML.</summary>
    public static ProxyDecision StsError(int status, string code, string message) => new(
        ProxyAction.Respond,
        status,
        $"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>FAULT0001</RequestId></ErrorResponse>");

    /// <summary>An answer with a status and no body at all.</summary>
    public static ProxyDecision Empty(int status) => new(ProxyAction.Respond, status, string.Empty);

    /// <summary>
    /// What a PutObject to <paramref name="bucket"/> throws when the endpoint answers <paramref name="answer"/>. The proxy
    /// answers at once, but a loaded machine (CI runs many tests at once) may take seconds to get to it: a timeout here
    /// would be a different error, so the call may take up to <see cref="Answered"/>.
    /// </summary>
    public static async Task<Exception> FromS3Async(ProxyDecision answer, string bucket = "mybucket")
    {
        await using var proxy = new FaultProxy(new Uri("http://127.0.0.1:9"), _ => answer);
        return await FromS3Async(proxy.ServiceUrl, bucket, Answered);
    }

    /// <summary>What a PutObject to <paramref name="bucket"/> at <paramref name="endpoint"/> throws (with a 2 s timeout unless <paramref name="timeout"/> says otherwise).</summary>
    public static async Task<Exception> FromS3Async(Uri endpoint, string bucket = "mybucket", TimeSpan? timeout = null)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = endpoint.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
            Timeout = timeout ?? NeverAnswered,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        };
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), config);
        try
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "segment-logs/k.gz", ContentBody = "x", UseChunkEncoding = false });
        }
        catch (Exception exception)
        {
            return exception;
        }

        throw new AssertionException("The call succeeded; an error was expected.");
    }

    /// <summary>What an AssumeRole throws when the endpoint answers <paramref name="answer"/>.</summary>
    public static async Task<Exception> FromStsAsync(ProxyDecision answer)
    {
        await using var proxy = new FaultProxy(new Uri("http://127.0.0.1:9"), _ => answer);
        return await FromStsAsync(proxy.ServiceUrl, Answered);
    }

    /// <summary>What an AssumeRole at <paramref name="endpoint"/> throws (with a 2 s timeout unless <paramref name="timeout"/> says otherwise).</summary>
    public static async Task<Exception> FromStsAsync(Uri endpoint, TimeSpan? timeout = null)
    {
        var config = new AmazonSecurityTokenServiceConfig { ServiceURL = endpoint.ToString(), AuthenticationRegion = "us-east-1", MaxErrorRetry = 0, Timeout = timeout ?? NeverAnswered };
        using var sts = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), config);
        try
        {
            await sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload", ExternalId = "ext-123", RoleSessionName = "test" });
        }
        catch (Exception exception)
        {
            return exception;
        }

        throw new AssertionException("The call succeeded; an error was expected.");
    }

    /// <summary>How long a call to an endpoint that answers may take: it ends as soon as the answer comes.</summary>
    public static TimeSpan Answered => TimeSpan.FromSeconds(30);

    /// <summary>How long a call waits for an endpoint that may never answer: the test waits that long.</summary>
    private static TimeSpan NeverAnswered => TimeSpan.FromSeconds(2);

    /// <summary>A loopback URL where nothing listens: connections are refused.</summary>
    public static Uri Refusing() => new($"http://127.0.0.1:{FreePort.Next()}");
}
