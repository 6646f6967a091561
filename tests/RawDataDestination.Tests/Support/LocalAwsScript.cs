namespace RawDataDestination.Tests.Support;

/// <summary>
/// <c>bash samples/local-aws.sh</c> run as a user runs it, its output read line by line: <see cref="StartAsync"/> returns
/// once it has printed the lines to paste. Disposal sends SIGTERM, then kills the script and its moto by PID if they
/// are still there.
/// </summary>
internal sealed partial class LocalAwsScript : IAsyncDisposable
{
    /// <summary>The last line of what the script tells a user to paste.</summary>
    public const string RunCommand = "dotnet run --project samples/QuickStart";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    private readonly Process process;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LocalAwsScript(Process process) => this.process = process;

    /// <summary>Gets the script's PID.</summary>
    public int Pid => process.Id;

    /// <summary>Gets moto's PID, as the script printed it.</summary>
    public int MotoPid { get; private set; }

    /// <summary>Gets the endpoint the script printed: http://127.0.0.1:PORT.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Gets the lines the script says to paste in another terminal, <see cref="RunCommand"/> last.</summary>
    public IReadOnlyList<string> PastedLines { get; private set; } = [];

    /// <summary>Gets the file the script says holds the same settings (<c>. FILE</c>).</summary>
    public string EnvFile { get; private set; } = null!;

    /// <summary>Gets all the script printed on stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (stdout)
            {
                return stdout.ToString() + stderr;
            }
        }
    }

    /// <summary>Gets the script's exit code, once it has exited.</summary>
    public int ExitCode => process.ExitCode;

    /// <summary>Starts the script with the built localpeers (no build) and waits (bounded) until it prints the lines to paste.</summary>
    public static async Task<LocalAwsScript> StartAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine("samples", "local-aws.sh"));
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["RAWDATA_LOCALPEERS_DLL"] = LocalPeersProgram.DllPath;
        info.Environment["PATH"] = Path.GetDirectoryName(LocalPeersProgram.DotnetHost) + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");

        var script = new LocalAwsScript(new Process { StartInfo = info, EnableRaisingEvents = true });
        script.process.OutputDataReceived += (_, e) => script.OnLine(e.Data, script.stdout);
        script.process.ErrorDataReceived += (_, e) => script.OnLine(e.Data, script.stderr);
        script.process.Exited += (_, _) => script.ready.TrySetException(new InvalidOperationException($"local-aws.sh exited before it was ready:{Environment.NewLine}{script.Output}"));
        script.process.Start();
        script.process.BeginOutputReadLine();
        script.process.BeginErrorReadLine();
        try
        {
            await script.ready.Task.WaitAsync(ReadyTimeout);
        }
        catch (TimeoutException)
        {
            await script.DisposeAsync();
            throw new TimeoutException($"local-aws.sh did not print the lines to paste within {ReadyTimeout}:{Environment.NewLine}{script.Output}");
        }
        catch
        {
            await script.DisposeAsync();
            throw;
        }

        return script;
    }

    /// <summary>Sends <paramref name="signal"/> (TERM, INT) to the script, as <c>kill -SIGNAL PID</c> does.</summary>
    public void Signal(string signal) => Signals.Send(process, signal);

    /// <summary>Waits for the script to exit, at most <paramref name="timeout"/>; returns whether it did.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var bounded = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(bounded.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Whether a process with <paramref name="pid"/> is running (a zombie counts as gone).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            using Process found = Process.GetProcessById(pid);
            return !found.HasExited && !File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart().StartsWith('Z');
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                Signal("TERM");
                if (!await WaitForExitAsync(TimeSpan.FromSeconds(10)))
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            if (MotoPid != 0 && IsRunning(MotoPid))
            {
                using Process moto = Process.GetProcessById(MotoPid);
                moto.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    private void OnLine(string? line, StringBuilder output)
    {
        if (line is null)
        {
            return;
        }

        lock (stdout)
        {
            output.AppendLine(line);
        }

        if (output != stdout)
        {
            return;
        }

        if (MotoLine().Match(line) is { Success: true } moto)
        {
            Endpoint = new Uri(moto.Groups["url"].Value);
            MotoPid = int.Parse(moto.Groups["pid"].Value, CultureInfo.InvariantCulture);
        }
        else if (line.StartsWith("(or: . ", StringComparison.Ordinal))
        {
            EnvFile = line["(or: . ".Length..^1];
            ready.TrySetResult();
        }
        else if (line.StartsWith("export AWS_ACCESS_KEY_ID=", StringComparison.Ordinal))
        {
            PastedLines = [line];
        }
        else if (PastedLines.Count > 0 && PastedLines[^1] != RunCommand && line.Length > 0)
        {
            PastedLines = [.. PastedLines, line];
        }
    }

    [GeneratedRegex(@"^   AWS \(moto\): (?<url>http://\S+), PID (?<pid>\d+)$")]
    private static partial Regex MotoLine();
}
