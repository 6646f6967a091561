using Moq;

namespace RawDataDestination.Tests.Support;

/// <summary>An <see cref="S3RoleDestination"/> over a mocked S3 client, with credentials that never call STS.</summary>
internal static class MockedS3Destination
{
    /// <summary>Valid settings for bucket 'bucket' in us-east-1, changed by <paramref name="configure"/>.</summary>
    public static S3RoleDestinationOptions Options(Action<S3RoleDestinationOptions>? configure = null)
    {
        var options = new S3RoleDestinationOptions { Region = "us-east-1", Bucket = "bucket", RoleArn = "arn:aws:iam::123456789012:role/r", ExternalId = "ext-123" };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A destination that writes through <paramref name="s3"/> with <paramref name="options"/> (default: <see cref="Options"/>).</summary>
    public static S3RoleDestination Create(IAmazonS3 s3, S3RoleDestinationOptions? options = null, ILogger? logger = null, TimeProvider? time = null)
    {
        options ??= Options();
        var credentials = AssumeRoleCredentials.Create(Mock.Of<IAmazonSecurityTokenService>(), new RoleSession(options.RoleArn, options.ExternalId, "s", TimeSpan.FromHours(1)), TimeSpan.Zero);
        return new S3RoleDestination(options, s3, credentials, logger, time);
    }
}
