namespace RawDataDestination.Cli;

/// <summary>The parsed command line: a command name and its <c>--name value</c> options.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> _options;

    private CommandLine(string command, Dictionary<string, string> options)
    {
        Command = command;
        _options = options;
    }

    public string Command { get; }

    /// <summary>Parses <c>command --name value ...</c>; a flag in <paramref name="switches"/> takes no value.</summary>
    /// <exception cref="UsageException">The arguments are malformed.</exception>
    public static CommandLine Parse(string[] args, IReadOnlySet<string> switches)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            throw new UsageException("Give a command: ship, verify or generate.");
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i < args.Length; i++)
        {
            string name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3)
            {
                throw new UsageException($"Unexpected argument '{name}'. Options look like --name value.");
            }

            string key = name[2..];
            if (switches.Contains(key))
            {
                options[key] = "true";
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new UsageException($"Option {name} needs a value.");
            }

            options[key] = args[++i];
        }

        return new CommandLine(args[0], options);
    }

    public string Required(string name) =>
        _options.TryGetValue(name, out string? value) ? value : throw new UsageException($"Missing required option --{name}.");

    public string? Optional(string name) => _options.GetValueOrDefault(name);

    public bool Flag(string name) => _options.ContainsKey(name);

    public long? OptionalLong(string name)
    {
        string? text = Optional(name);
        if (text is null)
        {
            return null;
        }

        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new UsageException($"Option --{name} is '{text}'; give a whole number.");
    }

    /// <summary>Fails on any option not in <paramref name="known"/>, so typos are caught.</summary>
    public void RejectUnknown(IEnumerable<string> known)
    {
        var allowed = new HashSet<string>(known, StringComparer.Ordinal);
        foreach (string name in _options.Keys)
        {
            if (!allowed.Contains(name))
            {
                throw new UsageException($"Unknown option --{name} for '{Command}'.");
            }
        }
    }
}

/// <summary>A malformed command line or a bad setting: exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
