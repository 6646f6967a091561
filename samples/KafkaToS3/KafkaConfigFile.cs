namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The <c>--kafka-config</c> file: librdkafka consumer settings, one <c>name=value</c> per line (blank lines and lines
/// starting with <c>#</c> or <c>!</c> are skipped), as Kafka's own tools read a <c>.properties</c> file. It is how a
/// worker reaches a real cluster (<c>security.protocol</c>, <c>sasl.*</c>, <c>ssl.*</c>) and tunes its consumer
/// (<c>session.timeout.ms</c>), with secrets kept off the command line. The settings the worker's guarantees rest on
/// are refused.
/// </summary>
internal static class KafkaConfigFile
{
    /// <summary>
    /// The settings the worker sets itself: the cluster and group have their own options, and commits after S3, windows
    /// rebuilt from the log's start and the end of a partition being seen all depend on the rest.
    /// </summary>
    private static readonly Dictionary<string, string> Owned = new(StringComparer.Ordinal)
    {
        ["bootstrap.servers"] = "give it with --bootstrap-servers",
        ["group.id"] = "give it with --group-id",
        ["enable.auto.commit"] = "the worker commits a window only once its objects are in S3",
        ["enable.auto.offset.store"] = "the worker commits a window only once its objects are in S3",
        ["auto.offset.reset"] = "the worker reads a partition without a commit from its start, so no record is skipped",
        ["enable.partition.eof"] = "the worker needs to see a partition's end to cut its last window",
    };

    /// <summary>
    /// librdkafka's other names for the settings in <see cref="Owned"/>: <c>metadata.broker.list</c> for
    /// <c>bootstrap.servers</c>; the legacy topic property <c>auto.commit.enable</c>; and the topic properties set on the
    /// consumer with a <c>topic.</c> prefix, as librdkafka takes them (<c>topic.auto.offset.reset=latest</c> skipped, for
    /// good, every record produced before the group's first commit).
    /// </summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["metadata.broker.list"] = "bootstrap.servers",
        ["auto.commit.enable"] = "enable.auto.commit",
        ["topic.auto.commit.enable"] = "enable.auto.commit",
        ["topic.auto.offset.reset"] = "auto.offset.reset",
    };

    /// <summary>Reads the settings of <paramref name="path"/>.</summary>
    /// <exception cref="UsageException">The file can't be read (or is a directory) or holds bad lines; the message names each.</exception>
    public static Dictionary<string, string> Load(string path)
    {
        string text = OptionFile.ReadAllText("--kafka-config", path, "give the path of a file of librdkafka settings, one name=value per line, such as security.protocol=SASL_SSL.");
        return Parse(text, path);
    }

    /// <summary>Reads <paramref name="text"/>, the content of <paramref name="path"/>.</summary>
    /// <exception cref="UsageException">Some lines are bad; the message names each, with its line number.</exception>
    public static Dictionary<string, string> Parse(string text, string path)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        string[] lines = text.ReplaceLineEndings("\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] is '#' or '!')
            {
                continue;
            }

            string where = $"--kafka-config '{path}' line {i + 1}";
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? "" : line[..equals].Trim();
            if (name.Length == 0)
            {
                problems.Add($"{where} is '{line}'; write name=value, such as session.timeout.ms=10000.");
            }
            else if (OwnedName(name) is { } owned)
            {
                string which = owned == name ? name : $"{name} (librdkafka's other name for {owned})";
                problems.Add($"{where} sets {which}, which the worker sets itself: {Owned[owned]}. Remove the line.");
            }
            else if (!settings.TryAdd(name, line[(equals + 1)..].Trim()))
            {
                problems.Add($"{where} sets {name} again; keep one line for it.");
            }
        }

        return problems.Count > 0 ? throw new UsageException(string.Join(Environment.NewLine, problems)) : settings;
    }

    /// <summary>The setting of <see cref="Owned"/> that <paramref name="name"/> sets under any of librdkafka's names for it, or <see langword="null"/>.</summary>
    private static string? OwnedName(string name)
    {
        string canonical = Aliases.GetValueOrDefault(name, name);
        return Owned.ContainsKey(canonical) ? canonical : null;
    }
}
