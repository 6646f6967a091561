namespace RawDataDestination.Tests.Support;

/// <summary>
/// Runs a short-lived program to its end, bounded: its exit code and output, or, past the bound, its whole process tree
/// killed and a <see cref="TimeoutException"/> with what it printed.
/// </summary>
internal static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/> (the
    /// repository's root when null); each <paramref name="environment"/> entry sets a variable, or removes it when null.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string program,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (KeyValuePair<string, string?> variable in environment ?? new Dictionary<string, string?>())
        {
            if (variable.Value is null)
            {
                info.Environment.Remove(variable.Key);
            }
            else
            {
                info.Environment[variable.Key] = variable.Value;
            }
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        return await WaitToEndAsync(process, timeout);
    }

    /// <summary>
    /// Feeds <paramref name="stdin"/> to a started program (when given; its input must be redirected), reads its output
    /// and waits for it to end, at most <paramref name="timeout"/>: past it, its whole process tree is killed and a
    /// <see cref="TimeoutException"/> says what it printed.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> WaitToEndAsync(Process process, TimeSpan timeout, string? stdin = null)
    {
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not finish within {timeout}:{Environment.NewLine}{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
