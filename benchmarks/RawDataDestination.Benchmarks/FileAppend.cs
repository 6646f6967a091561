using System.Diagnostics;
using System.Globalization;
using RawDataDestination.Batching;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// The in-process reference for <c>compare-ship.sh</c>: appends the lines of an NDJSON file (read into memory first)
/// with sequential <see cref="BatchBuffer.AppendAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/> calls to one
/// source, seals and hands the batches to a consumer that discards; prints MB/s of the file.
/// </summary>
public static class FileAppend
{
    /// <summary>Runs <c>--append-file FILE [--threads N]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string path = args[Array.IndexOf(args, "--append-file") + 1];
        int threadsAt = Array.IndexOf(args, "--threads");
        int threads = threadsAt >= 0 ? int.Parse(args[threadsAt + 1], CultureInfo.InvariantCulture) : 1;
        byte[] file = await File.ReadAllBytesAsync(path);
        var consumer = new DiscardingConsumer();
        var stopwatch = Stopwatch.StartNew();
        long events = 0;
        await using (var buffer = new BatchBuffer(new BatchBufferOptions { FlushInterval = TimeSpan.FromDays(1), CompressionThreads = threads }, consumer))
        {
            ReadOnlyMemory<byte> rest = file;
            while (!rest.IsEmpty)
            {
                int newline = rest.Span.IndexOf((byte)'\n');
                ReadOnlyMemory<byte> line = newline < 0 ? rest : rest[..newline];
                rest = newline < 0 ? ReadOnlyMemory<byte>.Empty : rest[(newline + 1)..];
                if (!line.Span.Trim(" \t\r"u8).IsEmpty)
                {
                    await buffer.AppendAsync("compare", line);
                    events++;
                }
            }
        }

        stopwatch.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"in-process BatchBuffer (sequential AppendAsync, CompressionThreads = {threads}): {events} events, {file.Length / 1048576.0:F1} MB in {stopwatch.Elapsed.TotalSeconds:F2} s = {file.Length / 1048576.0 / stopwatch.Elapsed.TotalSeconds:F0} MB/s, {consumer.CompressedBytes} bytes of gzip in {consumer.Batches} batches of {consumer.Events} events"));
        return 0;
    }
}
