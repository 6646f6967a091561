using DuckDB.NET.Data;

namespace RawDataDestination.Tests.Integration;

/// <summary>
/// What <c>rawdata ship</c> wrote to the local S3, read back by the tools customers query it with: DuckDB's
/// newline-delimited JSON reader (the same kind of reader Athena and Glue use) and Python's <c>gzip</c> and <c>json</c>.
/// </summary>
public class ReaderTests
{
    private const int Events = 3_000;

    private static string Event(int i) => (i % 3) switch
    {
        // Events with their own receivedAt, events stamped on receipt, nested and non-ASCII values, an escaped surrogate pair.
        0 => $"{{\"type\":\"track\",\"messageId\":\"r-{i}\",\"event\":\"Order Completed\",\"receivedAt\":\"2023-11-24T10:{i % 60:00}:00.{i % 1000:000}Z\",\"properties\":{{\"total\":{i}.5,\"items\":[{{\"sku\":\"s-{i}\"}}]}}}}",
        1 => $"{{\"type\":\"identify\",\"messageId\":\"r-{i}\",\"traits\":{{\"name\":\"Zoë {i} \\ud83d\\ude00\",\"city\":\"Kraków\"}}}}",
        _ => $"{{ \"type\": \"page\", \"messageId\": \"r-{i}\", \"receivedAt\": \"2023-11-24T23:59:59.999Z\", \"name\": \"Home \\u2014 {i}\" }}",
    };

    private static IEnumerable<string> ExpectedIds => Enumerable.Range(0, Events).Select(i => $"r-{i}");

    /// <summary>Events that give a name twice in one object, which these readers refuse a whole file for: ship must refuse them, not store them beside the others.</summary>
    private static readonly string[] RepeatedNames =
    [
        "{\"type\":\"track\",\"messageId\":\"twice-1\",\"messageId\":\"twice-2\"}",
        "{\"type\":\"track\",\"messageId\":\"twice-3\",\"properties\":{\"items\":[{\"sku\":\"a\",\"sku\":\"b\"}]}}",
        "{\"type\":\"track\",\"messageId\":\"twice-4\",\"receivedAt\":\"2023-11-24T10:00:00Z\",\"receiv\\u0065dAt\":\"2023-11-25T10:00:00Z\"}",
    ];

    /// <summary>An event with half a surrogate pair escaped alone, which DuckDB refuses a whole file for ("invalid high surrogate in string"); a whole pair is read.</summary>
    private const string HalfAPair = "{\"type\":\"track\",\"messageId\":\"half-a-pair\",\"properties\":{\"emoji\":\"\\ude00\\ud83d\"}}";

    /// <summary>Ships the events with <c>rawdata ship</c> into several objects and downloads them to a new folder, one file per object.</summary>
    private static async Task<DirectoryInfo> ShipAndDownloadAsync()
    {
        string source = Objects.UniqueSource("readers");
        string input = Path.GetTempFileName();
        DirectoryInfo folder = Directory.CreateTempSubdirectory("readers-");
        try
        {
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, Events).Select(i => i % 1000 == 500 ? RepeatedNames[i / 1000] + "\n" + Event(i) : i == 700 ? HalfAPair + "\n" + Event(i) : Event(i)));
            var (exitCode, stdout, stderr) = await RawdataProgram.RunAsync(
            [
                "ship", "--region", "us-east-1", "--bucket", SharedPeers.Bucket, "--role-arn", SharedPeers.RoleArn, "--external-id", SharedPeers.ExternalId,
                "--source-id", source, "--endpoint-url", SharedPeers.S3.ServiceUrl, "--sts-endpoint-url", SharedPeers.Sts.ServiceUrl,
                "--input", input, "--max-batch-bytes", "16384", "--max-event-bytes", "1024",
            ]);
            Assert.That(exitCode, Is.EqualTo(0), stdout + stderr);
            Assert.That(stderr.Split('\n').Count(l => l.Contains("rejected (RepeatedName): The event gives the name", StringComparison.Ordinal)), Is.EqualTo(RepeatedNames.Length), stderr);
            Assert.That(stderr, Does.Contain("rejected (InvalidJson): The event has a string with \\ude00 at offset"), stderr);
        }
        finally
        {
            File.Delete(input);
        }

        IReadOnlyList<string> keys = await SharedPeers.S3.ListKeysAsync(SharedPeers.Bucket, $"segment-logs/{source}/");
        Assert.That(keys, Has.Count.GreaterThan(3), "several objects, over two received days");
        for (int i = 0; i < keys.Count; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, $"{i:0000}.gz"), await SharedPeers.S3.GetObjectBytesAsync(SharedPeers.Bucket, keys[i]));
        }

        return folder;
    }

    [Test]
    public async Task DuckDb_ReadJsonOverTheObjects_FindsEveryEventOnceWithReceivedAtAsATimestamp()
    {
        DirectoryInfo folder = await ShipAndDownloadAsync();
        try
        {
            using var connection = new DuckDBConnection("Data Source=:memory:");
            connection.Open();
            string objects = $"read_json('{Path.Combine(folder.FullName, "*.gz").Replace("'", "''", StringComparison.Ordinal)}', format = 'newline_delimited')";

            var columns = new Dictionary<string, string>(StringComparer.Ordinal);
            using (var describe = connection.CreateCommand())
            {
                describe.CommandText = $"DESCRIBE SELECT * FROM {objects}";
                using var reader = describe.ExecuteReader();
                while (reader.Read())
                {
                    columns[reader.GetString(0)] = reader.GetString(1);
                }
            }

            var ids = new List<string>();
            var received = new List<DateTime>();
            using (var select = connection.CreateCommand())
            {
                select.CommandText = $"SELECT messageId, receivedAt FROM {objects}";
                using var reader = select.ExecuteReader();
                while (reader.Read())
                {
                    ids.Add(reader.GetString(0));
                    received.Add(reader.GetDateTime(1));
                }
            }

            TestContext.Out.WriteLine($"DuckDB read {ids.Count} rows from {folder.GetFiles("*.gz").Length} objects; columns: {string.Join(", ", columns.Select(c => $"{c.Key} {c.Value}"))}");
            Assert.That(columns["receivedAt"], Is.EqualTo("TIMESTAMP").Or.EqualTo("TIMESTAMP WITH TIME ZONE"), string.Join(", ", columns.Select(c => $"{c.Key} {c.Value}")));
            Assert.That(ids, Is.Unique);
            Assert.That(ids, Is.EquivalentTo(ExpectedIds), "every event, once");
            Assert.That(received, Has.Member(new DateTime(2023, 11, 24, 23, 59, 59, 999)), "the event's own receivedAt, read as a time");
            Assert.That(received.Count(t => t.Date != new DateTime(2023, 11, 24)), Is.EqualTo(Events / 3), "events without one were stamped on receipt");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary><c>receivedAt</c> in every form the library accepts, each kept as sent.</summary>
    private static readonly string[] ReceivedAtForms =
    [
        "2026-12-01T10:00:00.000Z", "2026-12-01T10:00:00Z", "2026-12-01T10:00:00.123456Z", "2026-12-01T12:00:00+02:00",
        "2026-12-01T10:00:00", "2026-12-01t10:00:00z", "2026-12-01 10:00:00Z", "2026-12-01 10:00:00", "2016-12-31T23:59:60Z",
        "2016-12-31t23:59:60.5z",
    ];

    [Test]
    public async Task DuckDb_ReceivedAtWrittenInEveryFormTheLibraryAccepts_ReadsAsTheInstantItWasFiledByWithTheReadmesCast()
    {
        string file = Path.Combine(Path.GetTempPath(), $"received-at-forms-{Guid.NewGuid():N}.ndjson.gz");
        var filed = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            await using (FileStream output = File.Create(file))
            await using (var encoder = new GzipNdjsonEncoder(output))
            {
                for (int i = 0; i < ReceivedAtForms.Length; i++)
                {
                    DateTimeOffset received = await encoder.AppendAsync(Encoding.UTF8.GetBytes($"{{\"messageId\":\"f-{i}\",\"receivedAt\":\"{ReceivedAtForms[i]}\"}}"), DateTimeOffset.UnixEpoch);
                    filed[$"f-{i}"] = (received.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10; // DuckDB's microseconds
                }

                await encoder.CompleteAsync();
            }

            // The README's cast, as printed there.
            string readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
            Match sql = Regex.Match(readme, @"```sql\n(SET TimeZone = 'UTC';)\n(SELECT messageId,\n\s+(CAST\(regexp_replace\(.*?\) AS TIMESTAMPTZ\)) AS receivedAt)", RegexOptions.Singleline);
            Assert.That(sql.Success, "the README shows the cast that reads every form");
            using var connection = new DuckDBConnection("Data Source=:memory:");
            connection.Open();
            using (var zone = connection.CreateCommand())
            {
                zone.CommandText = sql.Groups[1].Value;
                zone.ExecuteNonQuery();
            }

            string objects = $"read_json('{file.Replace("'", "''", StringComparison.Ordinal)}', format = 'newline_delimited')";
            var read = new Dictionary<string, long>(StringComparer.Ordinal);
            string? type = null;
            using (var select = connection.CreateCommand())
            {
                select.CommandText = $"SELECT messageId, epoch_us({sql.Groups[3].Value}), typeof(receivedAt) FROM {objects}";
                using var reader = select.ExecuteReader();
                while (reader.Read())
                {
                    read[reader.GetString(0)] = reader.GetInt64(1);
                    type = reader.GetString(2);
                }
            }

            Assert.That(type, Is.EqualTo("VARCHAR"), "values written in several ways: DuckDB does not detect one timestamp format");
            Assert.That(read, Is.EquivalentTo(filed), "each value read as the instant whose UTC day filed it (a leap second as the last microsecond of its minute)");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Python_GzipAndJsonModules_ReadEveryObjectAndFindEveryEventOnce()
    {
        string? python = FindOnPath("python3");
        if (python is null)
        {
            Assert.Ignore("python3 is not on PATH: Python's gzip and json modules cannot be run here.");
        }

        DirectoryInfo folder = await ShipAndDownloadAsync();
        try
        {
            const string Script = """
                import glob, gzip, json, os, sys
                ids = []
                for path in sorted(glob.glob(os.path.join(sys.argv[1], '*.gz'))):
                    with gzip.open(path, 'rt', encoding='utf-8', newline='') as f:
                        text = f.read()
                    assert text.endswith('\n'), path + ': the last line has no newline'
                    for line in text.split('\n')[:-1]:
                        event = json.loads(line)
                        assert isinstance(event, dict), path
                        assert 'receivedAt' in event, path
                        ids.append(event['messageId'])
                print(len(glob.glob(os.path.join(sys.argv[1], '*.gz'))))
                print('\n'.join(ids))
                """;
            var start = new ProcessStartInfo(python!) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(Script);
            start.ArgumentList.Add(folder.FullName);
            using Process process = Process.Start(start)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(deadline.Token);

            Assert.That(process.ExitCode, Is.Zero, await stderr);
            string[] lines = (await stdout).TrimEnd('\n').Split('\n');
            Assert.That(int.Parse(lines[0], CultureInfo.InvariantCulture), Is.EqualTo(folder.GetFiles("*.gz").Length), "every object read");
            Assert.That(lines[1..], Is.Unique);
            Assert.That(lines[1..], Is.EquivalentTo(ExpectedIds), "every event, once");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
