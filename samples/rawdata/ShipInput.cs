using System.Buffers;
using System.Runtime.ExceptionServices;
using Microsoft.Win32.SafeHandles;
using RawDataDestination.Batching;
using RawDataDestination.Ndjson;

namespace RawDataDestination.Cli;

/// <summary><c>ship</c>'s input: opening it, and the loop that reads every line and appends it to the buffer.</summary>
internal static class ShipInput
{
    /// <summary>How many appends may be in flight at once with a spool: they share disk flushes (group commit).</summary>
    private const int AppendWindow = 256;

    /// <summary>
    /// Opens <paramref name="path"/>, or standard input for <c>-</c>. On a terminal with no input redirected, says that
    /// it reads standard input and how to end it, since it would otherwise wait there without a word. A FIFO opens only
    /// once a writer opens it, and the system call does not heed a signal: the file is opened on another thread, and
    /// <paramref name="cancellationToken"/> (the first signal) stops the wait for it.
    /// </summary>
    public static async Task<(Stream Stream, long? Length)> OpenAsync(string path, StderrLines lines, CancellationToken cancellationToken)
    {
        if (path == "-")
        {
            return Open(path, lines);
        }

        Task<(Stream Stream, long? Length)> opening = Task.Run(() => Open(path, lines), CancellationToken.None);
        try
        {
            return await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Should a writer still open the FIFO later, its stream is closed; the process is on its way out.
            _ = opening.ContinueWith(static open => open.Result.Stream.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }

    private static (Stream Stream, long? Length) Open(string path, StderrLines lines)
    {
        if (path == "-")
        {
            if (ClosedStandardStreams.InputWasClosedAtStart())
            {
                throw new UsageException($"Standard input is closed (<&-), so there are no events to read; give {ShipCommand.Input.Name} FILE, or < /dev/null for none.");
            }

            if (!Console.IsInputRedirected)
            {
                lines.WriteLine($"Reading events from standard input, one JSON object per line; end with Ctrl+D (or give {ShipCommand.Input.Name} FILE).");
            }
            else if (RedirectedFromFile() is { } file)
            {
                RefuseNotLines(file, inputPath: null);
                return (file, file.Length);
            }

            return (Console.OpenStandardInput(), null);
        }

        string option = ShipCommand.Input.Name;
        if (Directory.Exists(path))
        {
            throw new UsageException($"{option} '{path}' is a directory; give a file of events, one JSON object per line, or - for standard input.");
        }

        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            RefuseNotLines(stream, path);
            return (stream, stream.CanSeek ? stream.Length : null);
        }
        catch (UsageException)
        {
            throw;
        }
        catch (FileNotFoundException)
        {
            throw new UsageException($"{option} '{path}' does not exist; give a file of events, one JSON object per line, or - for standard input.");
        }
        catch (DirectoryNotFoundException)
        {
            throw new UsageException($"{option} '{path}': its directory does not exist; give a file of events, one JSON object per line, or - for standard input.");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option} '{path}' can't be read: {exception.Message}");
        }
    }

    /// <summary>
    /// Refuses a file whose first bytes say it is compressed or UTF-16 (and disposes it), before the run starts. A stream
    /// that cannot seek (a pipe) is checked at its first read instead (<see cref="WatchedInput"/>), as it comes; both say
    /// <see cref="InputWords.NotLinesRefused"/>.
    /// </summary>
    private static void RefuseNotLines(FileStream stream, string? inputPath)
    {
        if (!stream.CanSeek)
        {
            return;
        }

        Span<byte> start = stackalloc byte[InputWords.LongestStart];
        long position = stream.Position;
        int read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        stream.Position = position;
        if (InputWords.NotLinesRefused(start[..read], inputPath) is { } refused)
        {
            stream.Dispose();
            throw refused;
        }
    }

    /// <summary>
    /// Standard input as the file it was redirected from (<c>&lt; FILE</c>), read from its start: a file that a later run
    /// can read on from a place (<see cref="InputCheckpoint"/>), and whose size the progress bar shows. A pipe, a
    /// terminal, a file read from elsewhere than its start, or Windows: <see langword="null"/>.
    /// </summary>
    private static FileStream? RedirectedFromFile()
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        try
        {
            var stream = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
            if (stream is { CanSeek: true, Position: 0 })
            {
                return stream;
            }

            stream.Dispose();
        }
        catch (Exception exception) when (exception is IOException or ArgumentException or UnauthorizedAccessException or NotSupportedException)
        {
        }

        return null;
    }

    /// <summary>
    /// Reads every line from <paramref name="resume"/>'s place and appends it, counting what became of each
    /// (<see cref="ShipCounters"/>) and how far the input is settled (<paramref name="settled"/>, which starts at that
    /// place), and passing over the lines <paramref name="resume"/> says the spool has. Without a
    /// spool an append usually completes synchronously, so they are awaited one by one on the line's own bytes (no copy).
    /// With a spool an append completes once on disk, so up to <see cref="AppendWindow"/> are in flight to share disk
    /// flushes, each on a pooled copy of its line. When <paramref name="cancellationToken"/> stops the loop, the appends in
    /// flight are still awaited (each ends at once, or once on disk), so that the counts say exactly what the buffer took.
    /// A rejected line is named by its number, after the <c>--input</c> file's name, so that the rejections of a backfill
    /// over many files say which file; a long row of them for one reason is summarised (<see cref="RejectedLines"/>).
    /// How far the input is settled goes to <paramref name="checkpoint"/> every <see cref="InputCheckpoint.EveryLines"/>
    /// lines and once the loop ends, however it ends. A blank line (nothing, or only spaces and tabs) is no event: it is
    /// passed over, counted apart, and settled in its turn. The input is read through <see cref="WatchedInput"/>: a gzip
    /// input (or one compressed otherwise, or UTF-16) ends the loop before any line with <see cref="UsageException"/>, a file truncated under it with
    /// <see cref="InputShrankException"/>, and standard output refusing an acknowledgement (<paramref name="acknowledged"/>)
    /// ends it at that line with <see cref="AcknowledgementRefusedException"/> (after the input's last line, it is only kept there).
    /// </summary>
    public static async Task ReadAllAsync(Stream stream, string? inputName, InputResume resume, SettledInput settled, BatchBuffer buffer, string sourceId, int maxEventBytes, bool windowed, ShipCounters counters, RejectedLines rejections, StderrLines lines, Acknowledgements? acknowledged, InputCheckpoint? checkpoint, CancellationToken cancellationToken)
    {
        var inFlight = new Queue<(InputPosition End, ValueTask Append, byte[]? Copy)>(); // a blank line has no copy
        var input = new WatchedInput(stream, resume.From.Offset, inputName);
        InputPosition? end = null;
        Exception? lastAppendFailed = null;
        long counted = resume.From.Offset; // the input's offset up to which bytes read are counted: as in the input, \r, BOM and a missing last newline included
        long Counted(long offset)
        {
            long bytes = Math.Max(0, offset - counted);
            counted = Math.Max(counted, offset);
            return bytes;
        }

        try
        {
            end = await LineReader.ReadAsync(input, resume.From, maxEventBytes, async (place, bytes) =>
            {
                counters.Reached(place.Line);
                if (resume.Skip.Contains(place.Line))
                {
                    // Taken by an earlier run after a line it could not take: in the spool already.
                    await CompleteAllAsync().ConfigureAwait(false);
                    settled.Taken(place);
                    _ = Counted(place.Offset);
                    return;
                }

                if (bytes.Span.Trim(" \t\r"u8).IsEmpty)
                {
                    // Not an event: a blank line (a trailing one, one between files joined, one of CRLF blank lines) is
                    // passed over and counted apart, in its place among the lines, so that the input stays settled in order.
                    counters.AddBlank(Counted(place.Offset));
                    if (inFlight.Count > 0)
                    {
                        inFlight.Enqueue((place, ValueTask.CompletedTask, null));
                    }
                    else
                    {
                        settled.Refused(place); // reading it again passes over it again
                        Acknowledge(place.Line, last: false);
                    }

                    return;
                }

                counters.AddLine(Counted(place.Offset));
                rejections.Saw(bytes.Span);
                if (!windowed)
                {
                    await EndAsync(place, buffer.AppendAsync(sourceId, bytes, place.Line, cancellationToken)).ConfigureAwait(false);
                    Acknowledge(place.Line, last: false);
                    return;
                }

                byte[] copy = ArrayPool<byte>.Shared.Rent(bytes.Length);
                bytes.CopyTo(copy);
#pragma warning disable CA2012 // Each ValueTask is awaited exactly once, in CompleteOldestAsync, in line order.
                inFlight.Enqueue((place, buffer.AppendAsync(sourceId, copy.AsMemory(0, bytes.Length), place.Line, cancellationToken), copy));
#pragma warning restore CA2012
                if (inFlight.Count >= AppendWindow)
                {
                    await CompleteOldestAsync().ConfigureAwait(false);
                }
            }, async (number, length, start) =>
            {
                // Refused by the reader as soon as it is too long, never held whole; earlier lines' outcomes come first.
                await CompleteAllAsync().ConfigureAwait(false);
                counters.Reached(number);
                counters.AddLine(0); // its bytes are counted with the next line's place, or at the end
                rejections.SawTooLong(start.Span, maxEventBytes);
                counters.AddRejected();
                rejections.Rejected(number, EventRejectionReason.TooLarge, $"The line is longer than the limit of {maxEventBytes} bytes (--max-event-bytes); the rest of it was passed over unread. Send smaller events or raise --max-event-bytes.");
                Acknowledge(number, last: false);
            }, CompleteAllAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (InputShrankException exception)
        {
            // Truncated while read: the bytes read after the last newline, cut short, are counted as read, not as a line.
            counters.AddBytes(Counted(exception.Read));
            throw;
        }
        finally
        {
            // Stopped or failed: the appends already started still end (they heed the same token), and are counted.
            while (inFlight.Count > 0)
            {
                (InputPosition place, ValueTask append, byte[]? copy) = inFlight.Dequeue();
                try
                {
                    await EndInTurnAsync(place, append, copy).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Whatever ended it, the line is counted (interrupted, or in flight: not delivered) and the first error goes on.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    if (exception is not (OperationCanceledException or ObjectDisposedException))
                    {
                        lastAppendFailed ??= exception; // an interrupted line is counted; a failed one is an error
                    }
                }
                finally
                {
                    Return(copy);
                }
            }

            rejections.End(); // a row of rejections cut short by the end, or a stop, is summarised
            if (end is { } last)
            {
                settled.ReachedEnd(last);
                counters.AddBytes(Counted(last.Offset));
            }
            else if (settled.Position.Line > 0)
            {
                acknowledged?.Acknowledge(settled.Position.Line); // stopped: the lines taken before the stop
            }

            checkpoint?.Save(settled, lines);
        }

        if (lastAppendFailed is not null)
        {
            // The input ended, but one of the last appends did not: that is the loop's error.
            ExceptionDispatchInfo.Throw(lastAppendFailed);
        }

        Acknowledge(settled.Position.Line, last: true);

        // The input paused: what was read is acknowledged now, not when the next line comes.
        async ValueTask CompleteAllAsync()
        {
            while (inFlight.Count > 0)
            {
                await CompleteOldestAsync().ConfigureAwait(false);
            }
        }

        // Appends complete in line order here, so "acknowledged N" means lines 1..N are in the buffer (on disk with a spool).
        async Task CompleteOldestAsync()
        {
            (InputPosition place, ValueTask append, byte[]? copy) = inFlight.Dequeue();
            try
            {
                await EndInTurnAsync(place, append, copy).ConfigureAwait(false);
            }
            finally
            {
                Return(copy);
            }

            Acknowledge(place.Line, last: false);
        }

        // One line of the window, in its turn: a blank line (no copy) was passed over, and only settles; an event's append ends.
        ValueTask EndInTurnAsync(InputPosition place, ValueTask append, byte[]? copy)
        {
            if (copy is null)
            {
                settled.Refused(place); // reading it again passes over it again
                return ValueTask.CompletedTask;
            }

            return EndAsync(place, append);
        }

        // Counts how one append ended: taken, refused as an event, or stopped (or failed) before the buffer took it.
        async ValueTask EndAsync(InputPosition place, ValueTask append)
        {
            // How far the input is settled is told before the count: once no append is counted as under way, ship takes the
            // place to go on from as final (a pipe's loop is not waited for).
            try
            {
                await append.ConfigureAwait(false);
                settled.Taken(place);
                counters.AddAccepted();
                rejections.Taken();
            }
            catch (EventRejectedException exception)
            {
                settled.Refused(place);
                counters.AddRejected();
                rejections.Rejected(place.Line, exception.Reason, exception.Describe(SettingFlags.Words));
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
            {
                settled.NotTaken();
                counters.AddInterrupted();
                throw;
            }
            catch (Exception)
            {
                settled.NotTaken();
                throw;
            }
        }

        static void Return(byte[]? copy)
        {
            if (copy is not null)
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }

        void Acknowledge(long number, bool last)
        {
            if (checkpoint is not null && !last && number % InputCheckpoint.EveryLines == 0)
            {
                checkpoint.Save(settled, lines);
            }

            if (last ? number % 1000 != 0 : number % 1000 == 0)
            {
                acknowledged?.Acknowledge(number);
                if (!last && acknowledged?.Refused is { } refusal)
                {
                    // The script can't learn what is taken: read no more (what was read is still delivered).
                    throw new AcknowledgementRefusedException(refusal);
                }
            }
        }
    }
}
