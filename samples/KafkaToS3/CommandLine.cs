using System.Globalization;
using RawDataDestination.S3;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The fixed command line: <c>--name value</c> options and one flag. Every problem is collected, so a script sees all
/// of them at once.
/// </summary>
internal sealed class CommandLine
{
    public const string Usage =
        "Usage: KafkaToS3 --bootstrap-servers HOSTS --topic T --group-id G --region R --bucket B[/prefix] --role-arn ARN --external-id ID\n" +
        "                 [--endpoint-url URL] [--sts-endpoint-url URL] [--max-batch-records N] [--until-caught-up]\n" +
        "Each record's source id is its 'source-id' header (its key when it has no such header).\n" +
        "Exit codes: 0 stopped (a signal, or caught up), 1 a delivery failed, 2 bad usage.";

    private static readonly string[] Required = ["bootstrap-servers", "topic", "group-id", "region", "bucket", "role-arn", "external-id"];
    private static readonly string[] Optional = ["endpoint-url", "sts-endpoint-url", "max-batch-records"];
    private const string UntilCaughtUpFlag = "until-caught-up";

    private CommandLine(KafkaToS3Options worker, S3RoleDestinationOptions destination)
    {
        Worker = worker;
        Destination = destination;
    }

    public KafkaToS3Options Worker { get; }

    public S3RoleDestinationOptions Destination { get; }

    /// <exception cref="UsageException">The arguments are malformed; the message lists every problem.</exception>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        bool untilCaughtUp = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : "";
            if (name == UntilCaughtUpFlag)
            {
                untilCaughtUp = true;
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
            else
            {
                problems.Add($"Unknown argument '{arg}'.");
            }
        }

        problems.AddRange(Required.Where(n => !values.ContainsKey(n)).Select(n => $"Missing required option --{n}."));
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
                problems.Add($"--max-batch-records is '{max}'; give a whole number greater than 0, such as {KafkaToS3Options.DefaultMaxBatchRecords}.");
            }
        }

        var destination = new S3RoleDestinationOptions
        {
            Region = values.GetValueOrDefault("region", ""),
            Bucket = values.GetValueOrDefault("bucket", ""),
            RoleArn = values.GetValueOrDefault("role-arn", ""),
            ExternalId = values.GetValueOrDefault("external-id", ""),
            ServiceUrl = Url(values, "endpoint-url", problems),
            StsServiceUrl = Url(values, "sts-endpoint-url", problems),
        };

        return problems.Count > 0
            ? throw new UsageException(string.Join(Environment.NewLine, problems))
            : new CommandLine(worker, destination);
    }

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
internal sealed class UsageException(string message) : Exception(message);
