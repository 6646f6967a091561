namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// A started KafkaToS3 program whose output is collected as it comes: wait for lines (bounded), stop it with a signal
/// or kill it (SIGKILL), and read everything it wrote so far, also when a wait timed out (the failure then shows it).
/// </summary>
internal sealed class KafkaToS3QaProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly SemaphoreSlim _lineArrived = new(0);
    private readonly bool _ownsProcess;

    private KafkaToS3QaProcess(Process process, bool ownsProcess = true)
    {
        _process = process;
        _ownsProcess = ownsProcess;
        process.OutputDataReceived += (_, e) => Add(_stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Add(_stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
    }

    public int ExitCode => _process.ExitCode;

    public bool HasExited => _process.HasExited;

    public IReadOnlyCollection<string> Lines => _stdout;

    /// <summary>Gets its stderr so far, one line each.</summary>
    public string Errors => string.Join("\n", _stderr);

    /// <summary>Gets its stdout so far, one line each.</summary>
    public string Stdout => string.Join("\n", _stdout);

    public string Output => string.Join("\n", _stdout) + "\n--- stderr ---\n" + string.Join("\n", _stderr);

    public static KafkaToS3QaProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        new(KafkaToS3Program.Start(arguments, environment));

    /// <summary>
    /// Collects the output of a program already started (with its input, output and error redirected, none read yet);
    /// disposal kills it if it still runs, and leaves disposing the <see cref="Process"/> to the caller.
    /// </summary>
    public static KafkaToS3QaProcess Watch(Process process) => new(process, ownsProcess: false);

    /// <summary>How many stdout lines contain <paramref name="part"/>.</summary>
    public int Count(string part) => _stdout.Count(l => l.Contains(part, StringComparison.Ordinal));

    /// <summary>Waits until <paramref name="ready"/> accepts the output (or the program ended), at most <paramref name="bound"/>; says which with the output.</summary>
    public async Task WaitForAsync(Func<IReadOnlyCollection<string>, bool> ready, TimeSpan bound, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!ready(_stdout))
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(); // the rest of its output
                if (ready(_stdout))
                {
                    return;
                }

                Assert.Fail($"The program ended (exit {_process.ExitCode}) before {what}:\n{Output}");
            }

            TimeSpan left = bound - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"Not {what} within {bound}:\n{Output}");
            }

            await _lineArrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Sends <paramref name="signal"/> (TERM, INT, KILL) and returns without waiting for the end.</summary>
    public void Send(string signal) => Signals.Send(_process, signal);

    /// <summary>Waits until a stderr line contains <paramref name="part"/>, at most <paramref name="bound"/>; fails with the output past it.</summary>
    public async Task WaitForErrorAsync(string part, TimeSpan bound)
    {
        var deadline = Stopwatch.StartNew();
        while (!_stderr.Any(line => line.Contains(part, StringComparison.Ordinal)))
        {
            if (deadline.Elapsed > bound)
            {
                Assert.Fail($"No stderr line with '{part}' within {bound}:\n{Output}");
            }

            await _lineArrived.WaitAsync(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Sends <paramref name="signal"/> (TERM, INT, KILL) and waits for the end, at most <paramref name="bound"/>.</summary>
    /// <returns>The time from the signal to the end.</returns>
    public async Task<TimeSpan> SignalAsync(string signal, TimeSpan bound)
    {
        var stopping = Stopwatch.StartNew();
        Send(signal);

        try
        {
            await _process.WaitForExitAsync().WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Still running {bound} after SIG{signal}:\n{Output}");
        }

        return stopping.Elapsed;
    }

    /// <summary>
    /// Sends <paramref name="signal"/> (TERM or INT) and asserts that the program ends (within 60 s) with exit 0, and, when
    /// <paramref name="within"/> is given, within that (<paramref name="why"/> says why); logs how long it took and the output.
    /// </summary>
    public async Task StopsCleanlyAsync(string signal, TimeSpan? within = null, string? why = null)
    {
        TimeSpan stopping = await SignalAsync(signal, TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine($"stopped {stopping.TotalSeconds:0.0} s after SIG{signal}, exit {ExitCode}\n{Output}");
        Assert.That(ExitCode, Is.EqualTo(ExitCodes.Success), Output);
        if (within is { } bound)
        {
            Assert.That(stopping, Is.LessThan(bound), why);
        }
    }

    /// <summary>Waits for the program's own end, at most <paramref name="bound"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan bound)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Still running after {bound}:\n{Output}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        if (_ownsProcess)
        {
            _process.Dispose();
        }

        _lineArrived.Dispose();
    }

    private void Add(ConcurrentQueue<string> lines, string? line)
    {
        if (line is not null)
        {
            lines.Enqueue(line);
            _lineArrived.Release();
        }
    }
}
