using RawDataDestination.Cli;
using UsageException = RawDataDestination.Cli.UsageException;

namespace RawDataDestination.Tests.Cli;

/// <summary>
/// rawdata's <see cref="WatchedInput"/>, <c>ship</c>'s input as the line reader reads it: gzip refused at its first bytes
/// however the reads cut them, JSON passed on exactly as read, and a file truncated under it noticed at its end.
/// </summary>
public class WatchedInputTests
{
    private static readonly byte[] Gzipped = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff];

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(1 << 20)]
    public void ReadAsync_GzipMagicFromTheStartHoweverReadsCutIt_RefusesWithTheOneGzipMessage(int readSize)
    {
        using var input = new WatchedInput(new Chunked(Gzipped, readSize), from: 0, inputPath: null);

        UsageException refusal = Assert.ThrowsAsync<UsageException>(async () => await ReadAllAsync(input))!;

        Assert.That(refusal.Message, Is.EqualTo(InputWords.NotLinesRefused(Gzipped, null)!.Message).And.Contain("gzip-compressed").And.Contain("zcat FILE.gz | rawdata ship ..."));
    }

    [TestCase(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0x04 }, "zstd-compressed", "zstdcat 'in.json.zst' | rawdata ship ... --input -")]
    [TestCase(new byte[] { 0x42, 0x5a, 0x68, 0x39, 0x31 }, "bzip2-compressed", "bzcat 'in.json.zst' | rawdata ship ... --input -")]
    [TestCase(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00 }, "xz-compressed", "xzcat 'in.json.zst' | rawdata ship ... --input -")]
    [TestCase(new byte[] { 0xff, 0xfe, 0x7b, 0x00 }, "UTF-16 text", "iconv -f UTF-16 -t UTF-8 'in.json.zst' | rawdata ship ... --input -")]
    [TestCase(new byte[] { 0xfe, 0xff, 0x00, 0x7b }, "UTF-16 text", "iconv -f UTF-16 -t UTF-8 'in.json.zst' | rawdata ship ... --input -")]
    public void ReadAsync_OtherCompressionsOrUtf16InOneByteReads_RefusesNamingWhatItIsAndTheToolThatReadsIt(byte[] start, string what, string instead)
    {
        using var input = new WatchedInput(new Chunked(start, 1), from: 0, inputPath: "in.json.zst");

        UsageException refusal = Assert.ThrowsAsync<UsageException>(async () => await ReadAllAsync(input))!;

        Assert.That(refusal.Message, Does.StartWith($"--input 'in.json.zst' is {what}").And.EndWith(instead));
    }

    [TestCase("[\n  {\n    \"type\": \"track\"\n  }\n]\n", 1)]
    [TestCase("[{\"type\":\"track\"},{\"type\":\"track\"}]", 1 << 20)]
    [TestCase("\uFEFF \r\n\t[{\"type\":\"track\"}]\n", 1)]
    [TestCase("\uFEFF \r\n\t[{\"type\":\"track\"}]\n", 2)]
    public void ReadAsync_AJsonArrayPastAnyByteOrderMarkAndWhiteSpaceHoweverReadsCutIt_RefusesNamingJq(string text, int readSize)
    {
        using var input = new WatchedInput(new Chunked(Encoding.UTF8.GetBytes(text), readSize), from: 0, inputPath: "export.json");

        UsageException refusal = Assert.ThrowsAsync<UsageException>(async () => await ReadAllAsync(input))!;

        Assert.That(refusal.Message, Does.StartWith("--input 'export.json' is a JSON array").And.EndWith("jq -c '.[]' 'export.json' | rawdata ship ... --input -"));
    }

    [TestCase("\uFEFF{\"type\":\"track\"}\n[1]\n")]
    [TestCase("\n \r\n{\"type\":\"track\"}\n")]
    [TestCase("\uFEFF\n\n")]
    [TestCase("\uFEFF")]
    [TestCase("\u00EF\n")]
    public Task ReadAsync_ObjectsOrBlanksPastAByteOrderMarkOrAnArrayOnALaterLine_ArePassedOnAsRead(string text) =>
        AssertPassedOnAsReadAsync(text);

    [TestCase("Bad line\n{\"a\":1}\n")]
    [TestCase("BZ\n")]
    [TestCase("(\n")]
    public Task ReadAsync_TextStartingLikeAMagicButNotOne_IsPassedOnAsRead(string text) =>
        AssertPassedOnAsReadAsync(text);

    /// <summary>Reads <paramref name="text"/> one byte at a time, from no file, and expects every byte of it passed on as it was.</summary>
    private static async Task AssertPassedOnAsReadAsync(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        using var input = new WatchedInput(new Chunked(bytes, 1), from: 0, inputPath: null);

        Assert.That(await ReadAllAsync(input), Is.EqualTo(bytes));
    }

    [TestCase(1)]
    [TestCase(3)]
    public async Task ReadAsync_JsonLinesInSmallReads_PassesEveryByteOnAsRead(int readSize)
    {
        byte[] json = Encoding.UTF8.GetBytes("{\"type\":\"track\"}\n\n{\"a\":1}");
        using var input = new WatchedInput(new Chunked(json, readSize), from: 0, inputPath: "events.json");

        Assert.That(await ReadAllAsync(input), Is.EqualTo(json));
        Assert.That(input.Position, Is.EqualTo(json.Length));
    }

    [Test]
    public async Task ReadAsync_AnInputOfOneByteLikeGzipsFirst_IsPassedOnNotRefused()
    {
        using var input = new WatchedInput(new Chunked([0x1f], 1), from: 0, inputPath: null);

        Assert.That(await ReadAllAsync(input), Is.EqualTo(new byte[] { 0x1f }));
    }

    [Test]
    public async Task ReadAsync_ResumedPastTheStart_DoesNotLookForGzip()
    {
        using var input = new WatchedInput(new Chunked(Gzipped, 1 << 20), from: 4096, inputPath: "events.json");

        Assert.That(await ReadAllAsync(input), Is.EqualTo(Gzipped));
    }

    [Test]
    public async Task ReadAsync_FileTruncatedAfterPartWasRead_ThrowsAtItsEndSayingHowMuchWasReadAndItsLength()
    {
        using var directory = new TempDirectory("watched-input-");
        string path = Path.Combine(directory.Path, "app.log");
        await File.WriteAllBytesAsync(path, new byte[10_000]);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        using var input = new WatchedInput(file, from: 0, inputPath: path);
        Assert.That(await input.ReadAsync(new byte[4000]), Is.EqualTo(4000));
        await using (var cut = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            cut.SetLength(100);
        }

        InputShrankException shrank = Assert.ThrowsAsync<InputShrankException>(async () => await ReadAllAsync(input))!;

        Assert.That((shrank.Read, shrank.Length), Is.EqualTo((4000L, 100L)));
        Assert.That(shrank.Message, Does.StartWith($"--input '{path}' shrank while it was read"));
    }

    [Test]
    public async Task ReadAsync_AFileThatReportsNoLengthWhileItHoldsBytes_IsReadWithoutComplaint()
    {
        // As /proc and /sys files do: seekable, of length 0, and full of bytes. It was taken for a file that shrank (exit 3).
        byte[] bytes = Encoding.UTF8.GetBytes("{\"a\":1}\n{\"a\":2}\n");
        using var input = new WatchedInput(new ReportsNoLength(bytes), from: 0, inputPath: "/proc/self/something");

        Assert.That(await ReadAllAsync(input), Is.EqualTo(bytes));
    }

    [Test]
    public async Task ReadAsync_FileReadToItsEnd_EndsWithoutComplaint()
    {
        using var directory = new TempDirectory("watched-input-");
        string path = Path.Combine(directory.Path, "app.log");
        await File.WriteAllTextAsync(path, "{\"a\":1}\n");
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        using var input = new WatchedInput(file, from: 0, inputPath: path);

        Assert.That(await ReadAllAsync(input), Has.Length.EqualTo(8));
    }

    private static async Task<byte[]> ReadAllAsync(Stream input)
    {
        using var all = new MemoryStream();
        byte[] buffer = new byte[1 << 16];
        int read;
        while ((read = await input.ReadAsync(buffer)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        return all.ToArray();
    }

    /// <summary>A seekable stream whose length is 0 whatever it holds, as a /proc file's.</summary>
    private sealed class ReportsNoLength(byte[] bytes) : MemoryStream(bytes)
    {
        public override long Length => 0;
    }

    /// <summary>A stream over bytes that gives at most <c>readSize</c> per read, as a pipe does.</summary>
    private sealed class Chunked(byte[] bytes, int readSize) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, readSize)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, readSize)], cancellationToken);
    }
}
