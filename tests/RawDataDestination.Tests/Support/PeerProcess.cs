namespace RawDataDestination.Tests.Support;

/// <summary>
/// A child process run for tests: its output is drained and the last lines kept for error messages,
/// <see cref="Ready"/> completes with the first stdout line the caller waits for, and disposal kills
/// the process tree by PID.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private const int KeptLines = 100;
    private readonly Process process;
    private readonly ConcurrentQueue<string> recent = new();
    private readonly TaskCompletionSource<string> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<string, bool> isReadyLine;

    private PeerProcess(Process process, Func<string, bool> isReadyLine)
    {
        this.process = process;
        this.isReadyLine = isReadyLine;
    }

    public int Pid { get; private set; }

    public bool HasExited => process.HasExited;

    /// <summary>The first stdout line matching the ready predicate; faults if the process exits first.</summary>
    public Task<string> Ready => ready.Task;

    public string RecentOutput => string.Join(Environment.NewLine, recent);

    public static PeerProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory, Func<string, bool>? isReadyLine = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var variable in environment ?? new Dictionary<string, string>())
        {
            info.Environment[variable.Key] = variable.Value;
        }

        var peer = new PeerProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, isReadyLine ?? (_ => false));
        peer.process.OutputDataReceived += (_, e) => peer.OnLine(e.Data, isStdout: true);
        peer.process.ErrorDataReceived += (_, e) => peer.OnLine(e.Data, isStdout: false);
        peer.process.Exited += (_, _) => peer.ready.TrySetException(
            new InvalidOperationException($"{fileName} exited before it was ready. Output:{Environment.NewLine}{peer.RecentOutput}"));
        peer.process.Start();
        peer.Pid = peer.process.Id;
        peer.process.BeginOutputReadLine();
        peer.process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>Waits (bounded) for <see cref="Ready"/>, turning a timeout into a message with the recent output.</summary>
    public async Task<string> WaitUntilReadyAsync(TimeSpan timeout)
    {
        try
        {
            return await Ready.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"PID {Pid} was not ready within {timeout}. Output:{Environment.NewLine}{RecentOutput}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                StopByPid(Pid);
            }

            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(bounded.Token);
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Kills the process with this PID and its descendants (s3rver runs under node, moto under python).</summary>
    private static void StopByPid(int pid)
    {
        Process target;
        try
        {
            target = Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return; // already gone
        }

        using (target)
        {
            try
            {
                target.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // exited between the lookup and the kill
            }
        }
    }

    private void OnLine(string? line, bool isStdout)
    {
        if (line is null)
        {
            return;
        }

        recent.Enqueue(line);
        while (recent.Count > KeptLines && recent.TryDequeue(out _))
        {
        }

        if (isStdout && isReadyLine(line))
        {
            ready.TrySetResult(line);
        }
    }
}
