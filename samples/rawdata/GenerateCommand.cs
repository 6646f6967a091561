using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace RawDataDestination.Cli;

/// <summary><c>rawdata generate</c>: writes Segment-like events (track, identify, page), one JSON object per line.</summary>
internal static class GenerateCommand
{
    public static readonly Option<long> Count = new("--count", "-n")
    {
        Description = "How many events to write.",
        HelpName = "n",
        DefaultValueFactory = _ => 1000,
        CustomParser = result => WholeNumber.Parse(result, "--count", 1000L),
    };

    public static readonly Option<int> Seed = new("--seed")
    {
        Description = "The seed of the random choices: the same seed gives the same events (except anonymousId and times).",
        HelpName = "n",
        DefaultValueFactory = _ => 1,
        CustomParser = result => WholeNumber.Parse(result, "--seed", 1),
    };

    public static readonly Option<int> Days = new("--days")
    {
        Description = "Spread receivedAt over the last D x 24 hours (so over D + 1 UTC days, counting today's).",
        HelpName = "d",
        DefaultValueFactory = _ => 1,
        CustomParser = result => WholeNumber.Parse(result, "--days", 1),
    };

    public static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "Where to write the events; - for standard output.",
        HelpName = "file",
        DefaultValueFactory = _ => "-",
    };

    private static readonly string[] EventNames = ["Order Completed", "Product Viewed", "Signed Up", "Cart Viewed", "Checkout Started"];
    private static readonly string[] Pages = ["/", "/pricing", "/docs", "/blog/launch", "/checkout"];

    static GenerateCommand()
    {
        Require(Count, count => count >= 0, "--count must be 0 or more.");
        Require(Days, days => days is >= 1 and <= 3650, "--days must be from 1 to 3650.");
    }

    /// <summary>Refuses a value <paramref name="valid"/> does not accept; one that is not a number at all is WholeNumber's to report.</summary>
    private static void Require<T>(Option<T> option, Func<T, bool> valid, string message) => option.Validators.Add(result =>
    {
        T value;
        try
        {
            value = result.GetValueOrDefault<T>();
        }
        catch (InvalidOperationException)
        {
            return; // "--count is 'x'; give a whole number...": already an error of this parse
        }

        if (!valid(value))
        {
            result.AddError(message);
        }
    });

    public static Command Create()
    {
        var command = new Command("generate", "Write sample Segment-like events (track, identify, page), one JSON object per line, to try ship with.")
        {
            Count, Seed, Days, Output,
        };
        command.SetAction((result, cancellationToken) => RunUntilTheReaderGoesAsync(result, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        long count = result.GetValue(Count);
        var random = new Random(result.GetValue(Seed));
        int days = result.GetValue(Days);
        string output = result.GetValue(Output)!;
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        Stream target = output == "-" ? StandardOutput.Open() : OpenOutput(output);
        await using (target.ConfigureAwait(false))
        {
            var buffered = new BufferedStream(target, 1 << 20);
            await using (buffered.ConfigureAwait(false))
            {
                using var writer = new Utf8JsonWriter(buffered);
                for (long i = 0; i < count; i++)
                {
                    writer.Reset(buffered);
                    WriteEvent(writer, i, random, now - TimeSpan.FromMinutes(random.Next(0, days * 24 * 60)));
                    writer.Flush();
                    buffered.WriteByte((byte)'\n');
                    if ((i & 0xFFFF) == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// The events and a write to a pipe whose reader went away (<c>| head -3</c>): <see cref="ExitCodes.ReaderGone"/> at
    /// once, quietly, as <c>seq</c> ends there. Other write failures (<c>&gt; /dev/full</c>) stay errors.
    /// </summary>
    private static async Task<int> RunUntilTheReaderGoesAsync(ParseResult result, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(result, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException exception) when (FailedWrites.IsReaderGone(exception) && result.GetValue(Output) == "-")
        {
            return ExitCodes.ReaderGone;
        }
    }

    private static FileStream OpenOutput(string path)
    {
        if (Directory.Exists(path))
        {
            throw new UsageException($"--output '{path}' is a directory; give a file name, or - for standard output.");
        }

        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--output '{path}' can't be written: {exception.Message}");
        }
    }

    private static void WriteEvent(Utf8JsonWriter writer, long index, Random random, DateTimeOffset receivedAt)
    {
        string type = (index % 3) switch { 0 => "track", 1 => "identify", _ => "page" };
        string timestamp = receivedAt.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture);
        writer.WriteStartObject();
        writer.WriteString("type", type);
        writer.WriteString("messageId", $"msg-{index:D8}");
        writer.WriteString("userId", $"user-{random.Next(1, 500)}");
        writer.WriteString("anonymousId", Guid.NewGuid().ToString());
        writer.WriteString("timestamp", timestamp);
        writer.WriteString("receivedAt", timestamp);
        switch (type)
        {
            case "track":
                writer.WriteString("event", EventNames[random.Next(EventNames.Length)]);
                writer.WriteStartObject("properties");
                writer.WriteNumber("revenue", Math.Round(random.NextDouble() * 200, 2));
                writer.WriteString("currency", "USD");
                writer.WriteEndObject();
                break;
            case "identify":
                writer.WriteStartObject("traits");
                writer.WriteString("email", $"user{random.Next(1, 500)}@example.com");
                writer.WriteString("plan", random.Next(2) == 0 ? "free" : "pro");
                writer.WriteEndObject();
                break;
            default:
                writer.WriteString("name", "Page");
                writer.WriteStartObject("properties");
                writer.WriteString("path", Pages[random.Next(Pages.Length)]);
                writer.WriteEndObject();
                break;
        }

        writer.WriteStartObject("context");
        writer.WriteString("ip", $"203.0.113.{random.Next(1, 255)}");
        writer.WriteString("userAgent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)");
        writer.WriteStartObject("library");
        writer.WriteString("name", "analytics.js");
        writer.WriteString("version", "4.1.0");
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
