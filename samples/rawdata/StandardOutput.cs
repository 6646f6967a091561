using System.Runtime.InteropServices;
using System.Text;

namespace RawDataDestination.Cli;

/// <summary>
/// Standard output as rawdata writes it (every command's report, <c>generate</c>'s events): <c>write(2)</c> on descriptor
/// 1, whose every failure is thrown as an <see cref="IOException"/> carrying the system's error number (see
/// <see cref="FailedWrites"/>). .NET's console stream takes a write to a pipe whose reader went away (EPIPE:
/// <c>rawdata ship ... | head -1</c>) for success, so a summary or an acknowledgement went nowhere without a word; a
/// <see cref="FileStream"/> over descriptor 1 writes a file at a position of its own (<c>pwrite</c>), which the shell's
/// descriptor never learns, so in <c>{ rawdata verify ...; rawdata ship ...; } &gt; log</c> the second report overwrote the
/// first. (.NET ignores SIGPIPE, so a write to a pipe nobody reads returns EPIPE rather than ending the process.) A
/// descriptor its parent made non-blocking is waited for when full (EAGAIN), as the console's stream does.
/// </summary>
internal sealed class StandardOutput : Stream
{
    /// <summary>EAGAIN, a write to a non-blocking descriptor that would block: 11 on Linux, 35 on macOS and the BSDs.</summary>
    private static readonly int WouldBlock = OperatingSystem.IsLinux() ? 11 : 35;

    /// <summary>The runtime shim's <c>PAL_POLLOUT</c>: the descriptor takes writes.</summary>
    private const short PollOut = 0x0004;

    /// <summary>Gets a value indicating whether the stream can be read: it cannot.</summary>
    public override bool CanRead => false;

    /// <summary>Gets a value indicating whether the stream can seek: it cannot.</summary>
    public override bool CanSeek => false;

    /// <summary>Gets a value indicating whether the stream can be written: it can.</summary>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Opens standard output for writing: this stream on Unix, the console's on Windows.</summary>
    public static Stream Open() => OperatingSystem.IsWindows() ? Console.OpenStandardOutput() : new StandardOutput();

    /// <summary>
    /// A writer over <see cref="Open"/>: UTF-8 without a byte order mark, each write flushed and whole lines kept together
    /// across threads, as <see cref="Console.Out"/> is.
    /// </summary>
    public static TextWriter CreateWriter() =>
        TextWriter.Synchronized(new StreamWriter(Open(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true });

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Writes every byte of <paramref name="buffer"/>, or throws the system's error.</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int written = WriteDescriptor(1, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (written >= 0)
            {
                buffer = buffer[written..];
                continue;
            }

            int error = Marshal.GetLastPInvokeError();
            if (error != WouldBlock)
            {
                throw new IOException(Marshal.GetPInvokeErrorMessage(error), error);
            }

            // A descriptor its parent made non-blocking (a pipe shared with a program that wants it so): wait until it
            // takes more, as the console's stream does, rather than take a full pipe for a failure.
            var poll = new PollEvent { FileDescriptor = 1, Events = PollOut };
            _ = Poll(ref poll, 1, -1, out _);
        }
    }

    /// <summary>Writes as <see cref="Write(ReadOnlySpan{byte})"/> does (a write to a descriptor blocks, as the console's does).</summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        try
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
        catch (IOException exception)
        {
            return ValueTask.FromException(exception);
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Does nothing: every write goes straight to the descriptor.</summary>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary><c>poll(2)</c> over <paramref name="events"/>, through the runtime's own native shim; returns 0, or the shim's error.</summary>
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Poll")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Poll(ref PollEvent events, uint count, int milliseconds, out uint triggered);

    /// <summary><c>write(fd, buffer, size)</c>, retried on EINTR, through the runtime's own native shim (as <see cref="ClosedStandardStreams"/> calls <c>fcntl</c>).</summary>
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Write", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int WriteDescriptor(nint fd, ref byte buffer, int size);

    /// <summary>The runtime shim's <c>PollEvent</c>: a descriptor, the events waited for, and those that came.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PollEvent
    {
        public int FileDescriptor;
        public short Events;
        public short TriggeredEvents;
    }
}
