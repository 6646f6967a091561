using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary>The destination settings shared by <c>ship</c> and <c>verify</c>.</summary>
internal static class DestinationArguments
{
    public static readonly string[] Names =
    [
        "region", "bucket", "role-arn", "external-id", "endpoint-url", "sts-endpoint-url", "sts-region",
        "role-session-name", "acl", "sse", "kms-key-id",
    ];

    public const string Usage =
        "--region R --bucket B[/prefix] --role-arn ARN --external-id ID\n" +
        "           [--endpoint-url URL] [--sts-endpoint-url URL] [--sts-region R] [--role-session-name NAME]\n" +
        "           [--acl bucket-owner-full-control|none|bucket-owner-read|private] [--sse AES256|aws:kms] [--kms-key-id KEY]";

    public static S3RoleDestinationOptions ToOptions(CommandLine line)
    {
        var options = new S3RoleDestinationOptions
        {
            Region = line.Required("region"),
            Bucket = line.Required("bucket"),
            RoleArn = line.Required("role-arn"),
            ExternalId = line.Required("external-id"),
            StsRegion = line.Optional("sts-region"),
            ServiceUrl = Url(line, "endpoint-url"),
            StsServiceUrl = Url(line, "sts-endpoint-url"),
            RoleSessionName = line.Optional("role-session-name") ?? S3RoleDestinationOptions.DefaultRoleSessionName,
            KmsKeyId = line.Optional("kms-key-id"),
        };

        options.Acl = line.Optional("acl") switch
        {
            null or "bucket-owner-full-control" => ObjectAcl.BucketOwnerFullControl,
            "none" => ObjectAcl.None,
            "bucket-owner-read" => ObjectAcl.BucketOwnerRead,
            "private" => ObjectAcl.Private,
            string other => throw new UsageException($"--acl is '{other}'; use bucket-owner-full-control (the default), none, bucket-owner-read or private."),
        };

        options.Encryption = line.Optional("sse") switch
        {
            null => ObjectEncryption.BucketDefault,
            "AES256" => ObjectEncryption.Aes256,
            "aws:kms" => ObjectEncryption.Kms,
            string other => throw new UsageException($"--sse is '{other}'; use AES256 or aws:kms (with --kms-key-id), or leave it out for the bucket's default."),
        };

        return options;
    }

    /// <summary>Builds the destination; invalid settings become a usage error with the validation message.</summary>
    public static S3RoleDestination CreateDestination(S3RoleDestinationOptions options)
    {
        try
        {
            return new S3RoleDestination(options);
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(exception.Message);
        }
    }

    private static Uri? Url(CommandLine line, string name)
    {
        string? text = line.Optional(name);
        if (text is null)
        {
            return null;
        }

        return Uri.TryCreate(text, UriKind.Absolute, out Uri? url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : throw new UsageException($"--{name} is '{text}'; give an absolute http:// or https:// URL, such as http://127.0.0.1:4568.");
    }
}
