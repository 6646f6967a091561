using System.CommandLine;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.Cli;

/// <summary>
/// <c>rawdata deliver-staged</c>: copies the staged batches of one destination from the operator's staging bucket to the
/// customer's bucket, until nothing deliverable is left. The <c>--stage-*</c> options are shared with <c>ship</c>.
/// </summary>
internal static class DeliverStagedCommand
{
    public static readonly Option<string> StageBucket = new("--stage-bucket")
    {
        Description = "The operator's staging bucket, optionally with a prefix: ops-staging or ops-staging/rawdata. Used with this service's own AWS credentials, never the customer's role.",
        HelpName = "bucket[/prefix]",
    };

    public static readonly Option<string?> StageRegion = new("--stage-region")
    {
        Description = "The staging bucket's AWS region. [default: --region]",
        HelpName = "region",
    };

    public static readonly Option<Uri?> StageEndpointUrl = new("--stage-endpoint-url")
    {
        Description = "An S3 endpoint for the staging bucket instead of AWS's. [default: --endpoint-url]",
        HelpName = "url",
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (Uri.TryCreate(text, UriKind.Absolute, out Uri? url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
            {
                return url;
            }

            result.AddError($"--stage-endpoint-url is '{text}'; give an absolute http:// or https:// URL, such as http://127.0.0.1:4568.");
            return null;
        },
    };

    /// <summary>deliver-staged's own retry budget: ship's --retry-time-limit is the buffer's, with ship's wording.</summary>
    public static readonly Option<TimeSpan> RetryTimeLimit = new("--retry-time-limit")
    {
        Description = "How long the copy of one staged batch may keep failing (or go unanswered) before deliver-staged stops and exits 1, leaving what it did not deliver staged; a refusal parks the batch at once. " + Duration.Forms + " At most 720h (30 days); 0 does not retry.",
        HelpName = "duration",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(5),
        CustomParser = result => Duration.Parse(result, "--retry-time-limit"),
    };

    /// <summary>deliver-staged's way to the batches staged by versions before staged batches named whose bucket they are for.</summary>
    public static readonly Option<bool> WithoutIdentity = new("--without-identity")
    {
        Description = "Deliver the batches an earlier version of rawdata staged for --bucket, which do not say whose bucket of that name they are for (the role, external id and owner ship used): only with the options of the customer they were staged for. Without it, deliver-staged delivers only the batches staged with its own --region partition, --role-arn, --external-id and --expected-bucket-owner.",
    };

    /// <summary>The staging options, in the order help lists them.</summary>
    public static IEnumerable<Option> StageOptions => [StageBucket, StageRegion, StageEndpointUrl];

    public static Command Create()
    {
        var command = new Command(
            "deliver-staged",
            "Copy staged batches from the operator's staging bucket to the customer's bucket through the assumed role, until none is deliverable. Exit 0: all delivered; 1: some stay parked (refused by the customer's bucket) or failing, or one kept failing for --retry-time-limit.");
        foreach (Option option in DestinationOptions.AllWithStage.Concat(StageOptions).Append(RetryTimeLimit).Append(WithoutIdentity))
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if (result.GetResult(StageBucket) is null) // not GetValue: it throws for a value the parser refused (given twice)
            {
                result.AddError("Option '--stage-bucket' is required: the staging bucket to deliver from, such as ops-staging/rawdata.");
            }
        });
        command.SetAction((result, _) => RunAsync(result, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>The staging options from a parse result, or <see langword="null"/> without <c>--stage-bucket</c>.</summary>
    public static StagingOptions? ToStagingOptions(ParseResult result, S3RoleDestinationOptions destination) =>
        DestinationOptions.Value(result, StageBucket) is { } bucket
            ? StagingCommands.ToOptions(bucket, DestinationOptions.Value(result, StageRegion), DestinationOptions.Value(result, StageEndpointUrl), destination)
            : null;

    /// <summary>
    /// The staging settings' problems: the library's refusals of them, or, for ship, a staging option given without
    /// <c>--stage-bucket</c> (ship would stage nothing, and ignore it without a word).
    /// </summary>
    public static IEnumerable<string> StagingProblems(ParseResult result, S3RoleDestinationOptions destination) =>
        ToStagingOptions(result, destination) is { } staging
            ? StagingCommands.Problems(staging)
            : result.CommandResult.Command.Name != "ship"
                ? []
                : result.GetResult(StageBucket) is not null
                ? [] // given, but refused by the parser (given twice): its own line says so
                : new Option[] { StageRegion, StageEndpointUrl }
                    .Where(option => result.GetResult(option) is { Implicit: false })
                    .Select(option => $"{option.Name} is given without {StageBucket.Name}, so ship would stage nothing; add {StageBucket.Name} BUCKET[/prefix], or leave {option.Name} out.");

    private static async Task<int> RunAsync(ParseResult result, TextWriter stdout, TextWriter stderr)
    {
        S3RoleDestinationOptions destinationOptions = DestinationOptions.ToOptions(result);
        destinationOptions.RetryTimeLimit = result.GetValue(RetryTimeLimit);
        StagingOptions staging = ToStagingOptions(result, destinationOptions)!;
        DestinationIdentity? identity = result.GetValue(WithoutIdentity) ? null : DestinationIdentity.Of(result);
        return await StagingCommands.DeliverStagedAsync(destinationOptions, staging, identity, stdout, stderr).ConfigureAwait(false);
    }
}
