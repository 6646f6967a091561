using System.Globalization;
using Amazon.Runtime;
using RawDataDestination.Internal;
using RawDataDestination.Routing;
using RawDataDestination.S3;
using RawDataDestination.Staging;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The fixed command line: <c>--name value</c> options and one flag. Every problem is collected, so a script sees all
/// of them at once.
/// </summary>
internal sealed class CommandLine
{
    public static readonly string Usage =
        "Usage: KafkaToS3 --bootstrap-servers HOSTS --topic T --group-id G --tenants FILE\n" +
        "                 [--endpoint-url URL] [--sts-endpoint-url URL] [--max-batch-records N] [--max-event-bytes N]\n" +
        "                 [--until-caught-up [--assign-timeout SECONDS] [--retry-time-limit SECONDS]]\n" +
        "                 [--direct-step-aside SECONDS] [--kafka-config PROPERTIES] [--allow-unknown-region]\n" +
        "                 [--stage-bucket B[/prefix] --stage-region R [--stage-endpoint-url URL]]\n" +
        "FILE is JSON: {\"tenants\":[{\"sources\":[\"src-a\"],\"region\":\"us-east-1\",\"bucket\":\"bucket/prefix\",\"roleArn\":\"arn:...\",\"externalId\":\"...\"}]},\n" +
        "with optional \"name\", \"acl\" (bucket-owner-full-control, bucket-owner-read, private, none), \"sse\" (AES256, aws:kms) and \"kmsKeyId\".\n" +
        "PROPERTIES holds librdkafka consumer settings, one name=value per line (security.protocol, sasl.*, ssl.*, session.timeout.ms).\n" +
        "Each record's source id is its 'source-id' header (its key when it has no such header).\n" +
        Defaults() +
        "--retry-time-limit SECONDS (default 300): how long --until-caught-up retries a held window that keeps failing for a\n" +
        "transient reason (a customer that never answers, throttling; or the staging bucket) before it gives its partition up for\n" +
        "the run; a refusal retrying cannot fix (without --stage-bucket) is given up at the window's first retry.\n" +
        "Exit codes: 0 stopped (a signal, or caught up), 1 the staging bucket refused a batch, Kafka failed, or --until-caught-up was\n" +
        "assigned no partition within --assign-timeout or gave up a partition (a customer refused it for good, or it kept failing\n" +
        "for --retry-time-limit) or ended with a commit Kafka kept refusing for --retry-time-limit, also when a signal stopped it,\n" +
        "2 bad usage or tenants file,\n" +
        "130 or 143 a second SIGINT or SIGTERM quit at once.";

    /// <summary>The defaults of the options that have one, from the options' own values, for <see cref="Usage"/>.</summary>
    private static string Defaults()
    {
        var worker = new KafkaToS3Options();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"Defaults: --max-batch-records {worker.MaxBatchRecords}, --max-event-bytes {worker.MaxEventBytes}, --direct-step-aside {worker.DirectStepAside.TotalSeconds}, --assign-timeout {worker.AssignTimeout.TotalSeconds}.\n");
    }

    private static readonly string[] Required = ["bootstrap-servers", "topic", "group-id", "tenants"];
    private static readonly string[] Optional = ["endpoint-url", "sts-endpoint-url", "max-batch-records", "max-event-bytes", "assign-timeout", "retry-time-limit", "direct-step-aside", "kafka-config", "stage-bucket", "stage-region", "stage-endpoint-url"];
    private static readonly string[] StageOptions = ["stage-region", "stage-endpoint-url"];
    private static readonly string[] MovedToTenants = ["region", "bucket", "role-arn", "external-id"];
    private const string UntilCaughtUpFlag = "until-caught-up";
    private const string AllowUnknownRegionFlag = "allow-unknown-region";

    private CommandLine(KafkaToS3Options worker, TenantDestinationsOptions tenants, StagingOptions? staging)
    {
        Worker = worker;
        Tenants = tenants;
        Staging = staging;
    }

    public KafkaToS3Options Worker { get; }

    /// <summary>Gets the customers, from <c>--tenants</c>, over defaults that hold the endpoints.</summary>
    public TenantDestinationsOptions Tenants { get; }

    /// <summary>Gets the operator's staging bucket, or <see langword="null"/> without <c>--stage-bucket</c>.</summary>
    public StagingOptions? Staging { get; }

    /// <exception cref="UsageException">The arguments are malformed; the message lists every problem.</exception>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        bool untilCaughtUp = false;
        bool allowUnknownRegion = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : "";
            if (name == UntilCaughtUpFlag)
            {
                untilCaughtUp = true;
            }
            else if (name == AllowUnknownRegionFlag)
            {
                allowUnknownRegion = true; // a region newer than the AWS SDK, for every tenant
            }
            else if (Array.IndexOf(Required, name) >= 0 || Array.IndexOf(Optional, name) >= 0)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    problems.Add($"Option {arg} needs a value.");
                }
                else if (!values.TryAdd(name, args[++i]))
                {
                    problems.Add($"Option {arg} is given twice.");
                }
            }
            else if (Array.IndexOf(MovedToTenants, name) >= 0)
            {
                problems.Add($"Option {arg} is now set per customer in the --tenants file (\"{Camel(name)}\").");
                i += i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? 1 : 0;
            }
            else if (name.Split('=', 2) is [string option, string value] && (Array.IndexOf(Required, option) >= 0 || Array.IndexOf(Optional, option) >= 0))
            {
                // Taken as given, so that it is not also said to be missing, and its value is checked as usual.
                problems.Add($"Option --{option} takes its value after a space, not '='; write --{option} {value}.");
                values.TryAdd(option, value);
            }
            else
            {
                problems.Add($"Unknown argument '{arg}'.");
            }
        }

        problems.AddRange(Required.Where(n => !values.ContainsKey(n)).Select(n => $"Missing required option --{n}."));
        problems.AddRange(KafkaNameProblems(values));
        var worker = new KafkaToS3Options
        {
            BootstrapServers = values.GetValueOrDefault("bootstrap-servers", ""),
            Topic = values.GetValueOrDefault("topic", ""),
            GroupId = values.GetValueOrDefault("group-id", ""),
            UntilCaughtUp = untilCaughtUp,
        };
        if (values.TryGetValue("max-batch-records", out string? max))
        {
            if (int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out int records) && records > 0)
            {
                worker.MaxBatchRecords = records;
            }
            else
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"--max-batch-records is '{max}'; give a whole number from 1 to {int.MaxValue}, such as {KafkaToS3Options.DefaultMaxBatchRecords}."));
            }
        }

        if (values.TryGetValue("max-event-bytes", out string? maxEvent))
        {
            if (int.TryParse(maxEvent, NumberStyles.None, CultureInfo.InvariantCulture, out int bytes) && bytes >= 2)
            {
                worker.MaxEventBytes = bytes;
            }
            else
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"--max-event-bytes is '{maxEvent}'; give the largest record value taken as an event, in bytes, a whole number from 2 to {int.MaxValue}, such as {worker.MaxEventBytes}."));
            }
        }

        if (values.TryGetValue("assign-timeout", out string? assignTimeout))
        {
            if (!untilCaughtUp)
            {
                problems.Add("--assign-timeout applies only with --until-caught-up (a worker that runs until stopped waits for its partitions as long as it runs); add --until-caught-up or drop --assign-timeout.");
            }
            else if (double.TryParse(assignTimeout, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds <= 3600)
            {
                worker.AssignTimeout = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                problems.Add($"--assign-timeout is '{assignTimeout}'; give the seconds --until-caught-up waits for its first partition before it exits 1, more than 0 and at most 3600, such as {worker.AssignTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}.");
            }
        }

        if (values.TryGetValue("retry-time-limit", out string? retryTimeLimit))
        {
            if (!untilCaughtUp)
            {
                problems.Add("--retry-time-limit applies only with --until-caught-up (a worker that runs until stopped retries a held window as long as it runs); add --until-caught-up or drop --retry-time-limit.");
            }
            else if (double.TryParse(retryTimeLimit, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) && seconds <= 86_400)
            {
                worker.RetryTimeLimit = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                problems.Add($"--retry-time-limit is '{retryTimeLimit}'; give the seconds --until-caught-up retries a held window that keeps failing before it gives its partition up, 0 to 86400, such as {worker.RetryTimeLimit.TotalSeconds.ToString(CultureInfo.InvariantCulture)}.");
            }
        }

        if (values.TryGetValue("direct-step-aside", out string? stepAside))
        {
            if (double.TryParse(stepAside, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds <= 3600)
            {
                worker.DirectStepAside = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                problems.Add($"--direct-step-aside is '{stepAside}'; give the seconds a window waits for a tenant's direct attempt before it stages the batch, more than 0 and at most 3600, such as {worker.DirectStepAside.TotalSeconds.ToString(CultureInfo.InvariantCulture)}.");
            }
        }

        if (values.TryGetValue("kafka-config", out string? kafkaConfig))
        {
            try
            {
                foreach ((string name, string value) in KafkaConfigFile.Load(kafkaConfig))
                {
                    worker.ConsumerSettings[name] = value;
                }
            }
            catch (UsageException exception)
            {
                problems.Add(exception.Message);
            }
        }

        var defaults = new S3RoleDestinationOptions
        {
            ServiceUrl = Url(values, "endpoint-url", problems),
            StsServiceUrl = Url(values, "sts-endpoint-url", problems),
            AllowUnknownRegion = allowUnknownRegion,
            Words = TenantWords.Words, // the destinations' own warnings (ACLs disabled) name the tenants file's fields
        };
        StagingOptions? staging = StagingFrom(values, defaults, problems);
        TenantDestinationsOptions? tenants = null;
        int commandLineProblems = problems.Count;
        if (values.TryGetValue("tenants", out string? file))
        {
            try
            {
                tenants = TenantsFile.Load(file, defaults);
            }
            catch (UsageException exception)
            {
                problems.Add(exception.Message);
            }
        }

        if (staging is not null && tenants is not null)
        {
            problems.AddRange(StageIsACustomersBucket(staging, tenants));
        }

        return problems.Count > 0
            ? throw new UsageException(string.Join(Environment.NewLine, problems)) { ShowsUsage = commandLineProblems > 0 }
            : new CommandLine(worker, tenants!, staging);
    }

    /// <summary>
    /// Refuses a staging bucket that is a tenant's own bucket: every other customer's staged batches would be written into
    /// that customer's bucket (whatever the path prefixes), where the service can write only by mistake.
    /// </summary>
    private static IEnumerable<string> StageIsACustomersBucket(StagingOptions staging, TenantDestinationsOptions tenants)
    {
        if (!BucketLocation.TryParse(staging.Bucket, out BucketLocation stage, out _))
        {
            yield break; // refused above with the library's rule
        }

        for (int i = 0; i < tenants.Tenants.Count; i++)
        {
            TenantOptions tenant = tenants.Tenants[i];
            if (BucketLocation.TryParse(tenant.Bucket, out BucketLocation customer, out _) && customer.BucketName == stage.BucketName)
            {
                yield return $"--stage-bucket '{staging.Bucket}' is the bucket of tenant '{tenant.Name ?? tenant.Sources.FirstOrDefault()}' (tenants[{i.ToString(CultureInfo.InvariantCulture)}] in --tenants): the other customers' staged batches would be written into that customer's bucket. Give --stage-bucket a bucket of the operator's own.";
            }
        }
    }

    /// <summary>
    /// The brokers, topic and group as Kafka takes them. librdkafka took an empty or illegal one and failed later with
    /// its own words: an empty topic or group as "Kafka failed (Local_InvalidArg)" or "(Local_UnknownGroup)", exit 1; no
    /// brokers, or a topic name Kafka cannot have, as a worker that waited for partitions forever without a word.
    /// </summary>
    private static IEnumerable<string> KafkaNameProblems(Dictionary<string, string> values)
    {
        if (values.TryGetValue("bootstrap-servers", out string? servers) && servers.Split(',').Any(string.IsNullOrWhiteSpace))
        {
            yield return $"--bootstrap-servers is '{servers}'; give the brokers as host:port[,host:port...], such as kafka-1:9092,kafka-2:9092.";
        }

        if (values.TryGetValue("topic", out string? topic) && !IsTopicName(topic))
        {
            yield return $"--topic is '{topic}'; give the topic's name, 1 to 249 characters of [A-Za-z0-9._-] (Kafka's rule, and not . or ..): one topic, not a pattern.";
        }

        if (values.TryGetValue("group-id", out string? group) && string.IsNullOrWhiteSpace(group))
        {
            yield return $"--group-id is '{group}'; give the consumer group's name, the same for every worker that shares the topic.";
        }
    }

    private static bool IsTopicName(string name) =>
        name.Length is > 0 and <= 249 && name is not ("." or "..") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static StagingOptions? StagingFrom(Dictionary<string, string> values, S3RoleDestinationOptions defaults, List<string> problems)
    {
        if (!values.TryGetValue("stage-bucket", out string? bucket))
        {
            problems.AddRange(StageOptions.Where(values.ContainsKey).Select(n => $"--{n} is given without --stage-bucket; add --stage-bucket B[/prefix], the operator's staging bucket."));
            return null;
        }

        if (!values.TryGetValue("stage-region", out string? region))
        {
            problems.Add("--stage-bucket needs --stage-region, the staging bucket's AWS region (such as us-east-1): customers' regions differ, so none of theirs is assumed.");
        }

        var staging = new StagingOptions
        {
            Bucket = bucket,
            Region = region ?? "",
            AllowUnknownRegion = defaults.AllowUnknownRegion, // one --allow-unknown-region for every region
            ServiceUrl = values.ContainsKey("stage-endpoint-url") ? Url(values, "stage-endpoint-url", problems) : defaults.ServiceUrl,
        };
        if (region is not null && staging.Problems(TenantWords.Words) is { Count: > 0 } found)
        {
            problems.AddRange(found.Select(problem => problem.Message)); // the settings named by their flags: --stage-region, not Staging Region
        }
        else if (region is not null)
        {
            try
            {
                new StagingConsumer(staging, BucketLocation.Parse("probe"), new AnonymousAWSCredentials()).Dispose(); // the library's rules for the staging settings; nothing is called
            }
            catch (ArgumentException exception)
            {
                string message = exception.Message.Replace(" (Parameter 'options')", string.Empty, StringComparison.Ordinal);
                problems.AddRange(message.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"--stage-bucket/--stage-region: {p}"));
            }
        }

        return staging;
    }

    private static string Camel(string option) =>
        string.Concat(option.Split('-').Select((word, i) => i == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..]));

    private static Uri? Url(Dictionary<string, string> values, string name, List<string> problems)
    {
        if (!values.TryGetValue(name, out string? text))
        {
            return null;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out Uri? url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            return url;
        }

        problems.Add($"--{name} is '{text}'; give an absolute http:// or https:// URL, such as http://127.0.0.1:4568.");
        return null;
    }
}

/// <summary>A malformed command line or a bad setting: exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message)
{
    /// <summary>
    /// Gets whether the usage text helps with the problem: not when every problem is in the --tenants file, whose lines
    /// name the tenant, the field and the fix (20 lines of options after them scrolled the one line that matters away).
    /// </summary>
    public bool ShowsUsage { get; init; } = true;
}
