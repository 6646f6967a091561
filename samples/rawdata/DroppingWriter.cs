using System.Text;

namespace RawDataDestination.Cli;

/// <summary>
/// Standard error as every command writes it: once a write fails (<see cref="FailedWrites"/>: <c>2&gt;/dev/full</c>, a
/// disk failing), that write and every one after it are dropped, as a closed stderr's are (<c>2&gt;&amp;-</c> runs as
/// <c>2&gt;/dev/null</c>). A message that can't be shown must not stop a delivery, nor change its exit code: the run
/// aborted with exit 134 at its first message, before anything was delivered. verify and deliver-staged write their
/// reports through one over standard output, and say once, on stderr, that it failed (<see cref="Failure"/>).
/// </summary>
internal sealed class DroppingWriter(TextWriter inner) : TextWriter
{
    private volatile Exception? _failure;

    /// <summary>Gets the error of the first write the system refused, or <see langword="null"/> while every write succeeded.</summary>
    public Exception? Failure => _failure;

    /// <inheritdoc/>
    public override Encoding Encoding => inner.Encoding;

    /// <inheritdoc/>
    public override void Write(char value) => Attempt(writer => writer.Write(value));

    /// <inheritdoc/>
    public override void Write(char[] buffer, int index, int count) => Attempt(writer => writer.Write(buffer, index, count));

    /// <inheritdoc/>
    public override void Write(string? value) => Attempt(writer => writer.Write(value));

    /// <inheritdoc/>
    public override void WriteLine() => Attempt(writer => writer.WriteLine());

    /// <inheritdoc/>
    public override void WriteLine(string? value) => Attempt(writer => writer.WriteLine(value));

    /// <inheritdoc/>
    public override void Flush() => Attempt(writer => writer.Flush());

    /// <inheritdoc/>
    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override Task FlushAsync()
    {
        Flush();
        return Task.CompletedTask;
    }

    private void Attempt(Action<TextWriter> write)
    {
        if (_failure is not null)
        {
            return;
        }

        try
        {
            write(inner);
        }
        catch (Exception exception) when (FailedWrites.Is(exception))
        {
            _failure = exception;
        }
    }
}
