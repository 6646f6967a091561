using System.CommandLine;
using Microsoft.Extensions.Logging;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary>The destination options shared by <c>ship</c> and <c>verify</c>, each declared once.</summary>
internal static class DestinationOptions
{
    /// <summary>The values of <c>--acl</c>, and the <see cref="ObjectAcl"/> each sets.</summary>
    public static readonly IReadOnlyDictionary<string, ObjectAcl> AclChoices = new Dictionary<string, ObjectAcl>(StringComparer.Ordinal)
    {
        ["bucket-owner-full-control"] = ObjectAcl.BucketOwnerFullControl,
        ["none"] = ObjectAcl.None,
        ["bucket-owner-read"] = ObjectAcl.BucketOwnerRead,
        ["private"] = ObjectAcl.Private,
    };

    public static readonly Option<string> Region = new("--region", "-r")
    {
        Description = "The bucket's AWS region, such as us-west-2. Checked against the AWS SDK's list of regions.",
        HelpName = "region",
        Required = true,
    };

    public static readonly Option<string> Bucket = new("--bucket", "-b")
    {
        Description = "The bucket name, optionally with a path prefix: my-bucket or my-bucket/path/prefix. Objects go under {prefix/}segment-logs/.",
        HelpName = "bucket[/prefix]",
        Required = true,
    };

    public static readonly Option<string> RoleArn = new("--role-arn")
    {
        Description = "The ARN of the customer's IAM role to assume, such as arn:aws:iam::123456789012:role/SegmentS3Upload.",
        HelpName = "arn",
        Required = true,
    };

    public static readonly Option<string> ExternalId = new("--external-id")
    {
        Description = "The external id the role's trust policy requires (its sts:ExternalId condition).",
        HelpName = "id",
        Required = true,
    };

    public static readonly Option<Uri?> EndpointUrl = new("--endpoint-url")
    {
        Description = "An S3 endpoint instead of AWS's, for S3-compatible servers, such as http://127.0.0.1:4568. [default: AWS]",
        HelpName = "url",
        CustomParser = result => HttpUrl(result, "--endpoint-url"),
    };

    public static readonly Option<Uri?> StsEndpointUrl = new("--sts-endpoint-url")
    {
        Description = "An STS endpoint instead of AWS's regional one. [default: AWS, in --sts-region]",
        HelpName = "url",
        CustomParser = result => HttpUrl(result, "--sts-endpoint-url"),
    };

    public static readonly Option<string?> StsRegion = new("--sts-region")
    {
        Description = "The region of the STS endpoint used for AssumeRole. [default: --region]",
        HelpName = "region",
    };

    /// <summary>
    /// <c>--allow-unknown-region</c> of a command without a staging bucket (verify). Ship and deliver-staged take
    /// <see cref="AllowUnknownRegionWithStage"/>, the same option whose help names <c>--stage-region</c> too.
    /// </summary>
    public static readonly Option<bool> AllowUnknownRegion = new("--allow-unknown-region")
    {
        Description = UnknownRegionDescription("a --region or --sts-region"),
    };

    /// <summary><c>--allow-unknown-region</c> of a command with <c>--stage-region</c>: one flag accepts all three regions.</summary>
    public static readonly Option<bool> AllowUnknownRegionWithStage = new("--allow-unknown-region")
    {
        Description = UnknownRegionDescription("a --region, --sts-region or --stage-region"),
    };

    public static readonly Option<string> RoleSessionName = new("--role-session-name")
    {
        Description = "The session name shown in the customer's CloudTrail.",
        HelpName = "name",
        DefaultValueFactory = _ => S3RoleDestinationOptions.DefaultRoleSessionName,
    };

    public static readonly Option<string?> Acl = new("--acl")
    {
        Description = "The canned ACL sent with each object; none for buckets with ACLs disabled.",
        DefaultValueFactory = _ => "bucket-owner-full-control",
    };

    public static readonly Option<string?> Sse = new("--sse")
    {
        Description = "Server-side encryption: AES256, or aws:kms (with --kms-key-id). [default: the bucket's default encryption]",
    };

    public static readonly Option<string?> KmsKeyId = new("--kms-key-id")
    {
        Description = "The KMS key for --sse aws:kms: a key id, alias/name, or key ARN. [default: the account's default key]",
        HelpName = "key",
    };

    public static readonly Option<string?> ExpectedBucketOwner = new("--expected-bucket-owner")
    {
        Description = "The 12-digit id of the AWS account that must own the bucket: every PutObject carries it, and S3 refuses the write (AccessDenied) to a bucket of another account. [default: none, any owner]",
        HelpName = "account",
    };

    /// <summary>The values of <c>--conditional-writes</c>, and the <see cref="S3.ConditionalWrites"/> each sets.</summary>
    public static readonly IReadOnlyDictionary<string, ConditionalWrites> ConditionalWritesChoices = new Dictionary<string, ConditionalWrites>(StringComparer.Ordinal)
    {
        ["auto"] = S3.ConditionalWrites.Auto,
        ["on"] = S3.ConditionalWrites.Enabled,
        ["off"] = S3.ConditionalWrites.Disabled,
    };

    public static readonly Option<string?> ConditionalWritesFlag = new("--conditional-writes")
    {
        Description = "Send each PutObject with If-None-Match: *, so that S3 never writes a key twice: a retry after a lost answer then leaves one version in a versioned bucket, not two. "
            + "auto: on against AWS, off with --endpoint-url (not every S3-compatible store takes it); on: also with --endpoint-url, for AWS through a proxy or VPC endpoint, or a store that takes it (one that answers 501 gets plain PUTs from then on). verify's probe is a plain PUT whatever this says.",
        DefaultValueFactory = _ => "auto",
    };

    static DestinationOptions()
    {
        OneOf(Acl, "use bucket-owner-full-control (the default), none, bucket-owner-read or private", [.. AclChoices.Keys]);
        OneOf(ConditionalWritesFlag, "use auto (the default), on or off", [.. ConditionalWritesChoices.Keys]);
        OneOf(Sse, "use AES256 or aws:kms (with --kms-key-id), or leave it out for the bucket's default", "AES256", "aws:kms");
    }

    /// <summary>Every destination option, in the order help lists them.</summary>
    public static IEnumerable<Option> All =>
        [Region, Bucket, RoleArn, ExternalId, EndpointUrl, StsEndpointUrl, StsRegion, AllowUnknownRegion, RoleSessionName, Acl, Sse, KmsKeyId, ExpectedBucketOwner, ConditionalWritesFlag];

    /// <summary>Every destination option of a command that also takes <c>--stage-region</c>: <see cref="All"/>, its <c>--allow-unknown-region</c> saying so.</summary>
    public static IEnumerable<Option> AllWithStage => All.Select(option => option == AllowUnknownRegion ? AllowUnknownRegionWithStage : option);

    private static string UnknownRegionDescription(string regions) =>
        $"Accept {regions} that this version of the AWS SDK does not know (a region newer than the SDK).";

    /// <summary>
    /// The destination settings from a parse result. A required option that is missing or invalid (the parser reports it)
    /// gets a valid placeholder, so that the library's own checks of the other settings can be reported at the same time.
    /// </summary>
    public static S3RoleDestinationOptions ToOptions(System.CommandLine.ParseResult result) => new()
    {
        Region = Value(result, Region) ?? "us-east-1",
        Bucket = Value(result, Bucket) ?? "placeholder-bucket",
        RoleArn = Value(result, RoleArn) ?? "arn:aws:iam::123456789012:role/placeholder",
        ExternalId = Value(result, ExternalId) ?? "placeholder",
        ServiceUrl = Value(result, EndpointUrl),
        StsServiceUrl = Value(result, StsEndpointUrl),
        StsRegion = Value(result, StsRegion),
        AllowUnknownRegion = Value(result, AllowUnknownRegion) || Value(result, AllowUnknownRegionWithStage),
        RoleSessionName = Value(result, RoleSessionName) ?? S3RoleDestinationOptions.DefaultRoleSessionName,
        Acl = Value(result, Acl) is { } acl && AclChoices.TryGetValue(acl, out ObjectAcl chosen) ? chosen : ObjectAcl.BucketOwnerFullControl,
        Encryption = Value(result, Sse) switch
        {
            "AES256" => ObjectEncryption.Aes256,
            "aws:kms" => ObjectEncryption.Kms,
            _ => ObjectEncryption.BucketDefault,
        },
        KmsKeyId = Value(result, KmsKeyId),
        ExpectedBucketOwner = Value(result, ExpectedBucketOwner),
        ConditionalWrites = Value(result, ConditionalWritesFlag) is { } writes && ConditionalWritesChoices.TryGetValue(writes, out ConditionalWrites conditional) ? conditional : S3.ConditionalWrites.Auto,
    };

    /// <summary>
    /// Builds the destination, or adds the library's refusals, composed with the flags, to <paramref name="problems"/>;
    /// its own warnings go to <paramref name="log"/> (<see cref="StderrLog"/>), in the flags' words.
    /// </summary>
    public static S3RoleDestination? TryCreate(S3RoleDestinationOptions options, List<string> problems, ILoggerFactory? log = null)
    {
        List<string> refused = [.. options.Problems(SettingFlags.Words).Select(problem => problem.Message)];
        if (options.KmsKeyId is not null && options.Encryption != ObjectEncryption.Kms)
        {
            // The library ignores a key without KMS encryption; a person who typed one expects it used.
            refused.Add("--kms-key-id is given without --sse aws:kms, so the objects would not be encrypted with that key; add --sse aws:kms, or leave --kms-key-id out.");
        }

        if (refused.Count > 0)
        {
            problems.AddRange(refused);
            return null;
        }

        options.Words = SettingFlags.Words; // its warnings name the flag: "add --acl none"
        return new S3RoleDestination(options, loggerFactory: log);
    }

    /// <summary>
    /// The option's value, or its default when it is missing or did not parse (the parser reports that): the option's own
    /// default, so that the rules checked after a parse error never refuse a value the user did not give ("is 0").
    /// </summary>
    public static T? Value<T>(System.CommandLine.ParseResult result, Option<T> option)
    {
        System.CommandLine.Parsing.OptionResult? optionResult = result.GetResult(option);
        if (optionResult is not null && optionResult.Errors.Any())
        {
            return Default(option);
        }

        try
        {
            return result.GetValue(option);
        }
        catch (InvalidOperationException)
        {
            return Default(option);
        }
    }

    private static T? Default<T>(Option<T> option) => option.HasDefaultValue ? (T?)option.GetDefaultValue() : default;

    /// <summary>Accepts only <paramref name="choices"/>, refusing anything else with a message that names the option.</summary>
    private static void OneOf(Option<string?> option, string fix, params string[] choices)
    {
        option.HelpName = string.Join('|', choices);
        option.CompletionSources.Add(choices);
        option.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string?>();
            if (value is not null && !choices.Contains(value, StringComparer.Ordinal))
            {
                result.AddError($"{option.Name} is '{value}'; {fix}.");
            }
        });
    }

    private static Uri? HttpUrl(System.CommandLine.Parsing.ArgumentResult result, string name)
    {
        string text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
        if (Uri.TryCreate(text, UriKind.Absolute, out Uri? url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            return url;
        }

        result.AddError($"{name} is '{text}'; give an absolute http:// or https:// URL, such as http://127.0.0.1:4568.");
        return null;
    }
}
