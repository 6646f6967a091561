using System.Globalization;

namespace RawDataDestination.LocalPeers;

/// <summary>Parsed <c>--name value</c> options of one subcommand.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> options = new(StringComparer.Ordinal);

    private CommandLine(string command) => Command = command;

    public string Command { get; }

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
        {
            throw new UsageException("missing subcommand");
        }

        var line = new CommandLine(args[0]);
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3)
            {
                throw new UsageException($"unexpected argument '{name}'");
            }

            if (i + 1 >= args.Count)
            {
                throw new UsageException($"option '{name}' needs a value");
            }

            line.options[name[2..]] = args[++i];
        }

        return line;
    }

    public string Required(string name) =>
        options.TryGetValue(name, out var value) ? value : throw new UsageException($"missing --{name}");

    public string? Optional(string name) => options.GetValueOrDefault(name);

    public string Optional(string name, string fallback) => options.GetValueOrDefault(name, fallback);

    public int Int(string name, int fallback)
    {
        if (!options.TryGetValue(name, out var text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"--{name} must be an integer, got '{text}'");
    }

    public int? OptionalInt(string name) => options.ContainsKey(name) ? Int(name, 0) : null;
}

internal sealed class UsageException(string message) : Exception(message);
