namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// One <c>rawdata</c> process driven as a user would: its input written and left open, its stderr and stdout watched line
/// by line, a signal sent as <c>kill</c> does, its end waited for (bounded; killed on the deadline), and its summary read.
/// </summary>
internal sealed partial class ShipRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource Seen)> _waits = [];
    private readonly Task _readingOut;
    private readonly Task _readingErr;

    private ShipRun(Process process, bool readOutput = true)
    {
        _process = process;
        if (!readOutput)
        {
            process.StandardOutput.Close(); // its only reader: from now on a write to it fails with EPIPE
        }

        _readingOut = readOutput ? ReadAsync(process.StandardOutput, _stdout) : Task.CompletedTask;
        _readingErr = ReadAsync(process.StandardError, _stderr);
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Gets what the program wrote so far, stdout then stderr, for an assertion's message.</summary>
    public string Transcript => $"stdout:\n{Stdout}\nstderr:\n{Stderr}";

    /// <summary>Starts <c>rawdata</c> with this service's credentials in its environment.</summary>
    public static ShipRun Start(IEnumerable<string> arguments) => new(RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials));

    /// <summary>
    /// Starts <c>rawdata</c> as <see cref="Start"/> does, with the read end of its standard output closed before it can
    /// write there, as <c>| head -1</c> leaves it once head has gone: each write to it fails with EPIPE, and
    /// <see cref="Stdout"/> stays empty. (The runtime's start takes far longer than the close; a program that writes only
    /// after its input, which the test gives once this returns, can't write first.)
    /// </summary>
    public static ShipRun StartWithItsOutputsReaderGone(IEnumerable<string> arguments) => new(RawdataProgram.Start(arguments, RawdataPeers.ServiceCredentials), readOutput: false);

    /// <summary>Starts <c>rawdata</c> as <see cref="Start"/> does, its standard input redirected from <paramref name="inputFile"/> (<c>&lt; FILE</c>).</summary>
    /// <param name="inputFile">The file it reads as its standard input.</param>
    /// <param name="arguments">Its command line.</param>
    /// <param name="maxOpenFiles">The open-file limit it runs under (<c>ulimit -n</c>, soft and hard), or <see langword="null"/> for the test's own.</param>
    /// <param name="outputTo">Where its standard output goes (<c>&gt; FILE</c>), or <see langword="null"/> for <see cref="Stdout"/>.</param>
    /// <param name="errorTo">Where its standard error goes (<c>2&gt; FILE</c>), or <see langword="null"/> for <see cref="Stderr"/>.</param>
    /// <param name="softLimitOnly">Whether <paramref name="maxOpenFiles"/> is only the soft limit (<c>ulimit -S -n</c>), the hard one left as the test's own.</param>
    public static ShipRun StartReading(string inputFile, IEnumerable<string> arguments, int? maxOpenFiles = null, string? outputTo = null, string? errorTo = null, bool softLimitOnly = false) =>
        new(RawdataProgram.StartReading(inputFile, arguments, RawdataPeers.ServiceCredentials, maxOpenFiles, outputTo, errorTo, softLimitOnly));

    public static string Events(int count, string prefix) =>
        string.Concat(Enumerable.Range(0, count).Select(i => $"{{\"type\":\"track\",\"messageId\":\"{prefix}-{i}\",\"receivedAt\":\"2023-11-24T10:00:00.000Z\"}}\n"));

    /// <summary>Writes to the program's input, leaving it open (or closing it).</summary>
    public async Task WriteAsync(string text, bool close = false)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
        if (close)
        {
            _process.StandardInput.Close();
        }
    }

    /// <summary>Writes bytes to the program's input, leaving it open (or closing it): a pipe, as <c>cat FILE | rawdata ...</c> gives it.</summary>
    public async Task WriteBytesAsync(byte[] bytes, bool close = false)
    {
        await _process.StandardInput.BaseStream.WriteAsync(bytes);
        await _process.StandardInput.BaseStream.FlushAsync();
        if (close)
        {
            _process.StandardInput.Close();
        }
    }

    /// <summary>Waits (at most <paramref name="limit"/>) for a line of stdout or stderr that <paramref name="match"/> accepts, seen or still to come.</summary>
    public async Task WaitForLineAsync(Func<string, bool> match, TimeSpan limit, string what)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waits)
        {
            if ((Stdout + Stderr).Split('\n').Any(line => match(line.TrimEnd('\r'))))
            {
                return;
            }

            _waits.Add((match, seen));
        }

        Task ended = _process.WaitForExitAsync();
        Task first = await Task.WhenAny(seen.Task, ended, Task.Delay(limit));
        if (first != seen.Task)
        {
            Assert.Fail($"{what}: not seen within {limit.TotalSeconds} s{(first == ended ? $" (rawdata exited {_process.ExitCode})" : string.Empty)}.\n{Transcript}");
        }
    }

    /// <summary>Sends <paramref name="signal"/> (INT, TERM, KILL, STOP, CONT), as <c>kill</c> does, unless the program has ended.</summary>
    public void Signal(string signal) => Signals.Send(_process, signal);

    /// <summary>Waits for the program to end, at most <paramref name="limit"/>; kills it on the deadline. Returns how long it took.</summary>
    public async Task<TimeSpan> WaitForExitAsync(TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"rawdata did not end within {limit.TotalSeconds} s.\n{Transcript}");
        }

        TimeSpan took = waited.Elapsed;
        await Task.WhenAll(_readingOut, _readingErr);
        return took;
    }

    /// <summary>A count of the summary (<c>events read:</c>, <c>not delivered:</c>, ...), or <see langword="null"/> when it is not printed.</summary>
    public long? Count(string label)
    {
        Match match = Regex.Match(Stdout, $"^{Regex.Escape(label)}:\\s+(\\d+)", RegexOptions.Multiline);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Asserts that the summary is printed and adds up: read = delivered + staged + rejected + spooled + set aside + not delivered.</summary>
    /// <returns>The events read.</returns>
    public long AssertCountsAddUp()
    {
        string context = Transcript;
        Assert.That(Count("events read"), Is.Not.Null, "the counts are printed\n" + context);
        long read = Count("events read")!.Value;
        long accounted = Count("events delivered")!.Value + (Count("events staged") ?? 0) + Count("events rejected")!.Value
            + (Count("events spooled") ?? 0) + (Count("events set aside") ?? 0) + Count("not delivered")!.Value;
        Assert.That(accounted, Is.EqualTo(read), "read = delivered + staged + rejected + spooled + set aside + not delivered\n" + context);
        Assert.That(Stdout, Does.Not.Contain("unaccounted").And.Not.Contain("earlier runs"), context);
        return read;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task ReadAsync(StreamReader reader, StringBuilder into)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (into)
            {
                into.AppendLine(line);
            }

            lock (_waits)
            {
                foreach ((Func<string, bool> match, TaskCompletionSource seen) in _waits.Where(wait => wait.Match(line)).ToList())
                {
                    seen.TrySetResult();
                    _waits.Remove((match, seen));
                }
            }
        }
    }
}
