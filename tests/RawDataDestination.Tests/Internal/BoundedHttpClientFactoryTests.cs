namespace RawDataDestination.Tests.Internal;

/// <summary>The connect and silence bounds of the SDK's HTTP clients, on a fake clock.</summary>
public class BoundedHttpClientFactoryTests
{
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Send_WhenTheEndpointTakesTheRequestAndNeverAnswers_FailsAfterTheResponseTimeout()
    {
        var time = new FakeTimeProvider();
        await using var silent = new SilentEndpoint();
        using HttpClient client = new BoundedHttpClientFactory(Connect, Silence, time).CreateHttpClient(new AmazonS3Config());

        Task<HttpResponseMessage> put = client.PutAsync(silent.Url + "/bucket/key", new ByteArrayContent(new byte[4096]));
        await silent.WaitForBytesAsync(4096);
        time.Advance(Silence - TimeSpan.FromMilliseconds(1));
        Assert.That(await Completes(put, TimeSpan.FromMilliseconds(300)), Is.False, "still within the response timeout");

        time.Advance(TimeSpan.FromMilliseconds(1));
        TimeoutException? timeout = Assert.ThrowsAsync<TimeoutException>(() => put.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(timeout!.Message, Does.Contain("went silent").And.Contain("10 s"));
    }

    [Test]
    public async Task Send_WhenTheHostNeverAcceptsTheConnection_FailsAfterTheConnectTimeout()
    {
        var time = new FakeTimeProvider();
        using var dead = new UnacceptedEndpoint();
        using HttpClient client = new BoundedHttpClientFactory(Connect, TimeSpan.FromMinutes(1), time).CreateHttpClient(new AmazonS3Config());

        Task<HttpResponseMessage> get = client.GetAsync(dead.Url + "/bucket/key");
        Assert.That(await Completes(get, TimeSpan.FromMilliseconds(300)), Is.False, "the connection hangs");
        time.Advance(Connect);

        Exception? failure = Assert.CatchAsync(() => get.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(Chain(failure).OfType<TimeoutException>().Single().Message, Does.Contain("connect timeout of 5 s"));
    }

    [Test]
    public async Task Send_WhenTheBodyKeepsMovingPastTheResponseTimeout_IsNeverCut()
    {
        var time = new FakeTimeProvider();
        var endpoint = new SteppedReader(time, step: TimeSpan.FromSeconds(6));
        using var client = new HttpClient(new SilenceTimeoutHandler(Silence, time) { InnerHandler = endpoint });

        // Twelve pieces, one every 6 s: 72 s in all, each gap under the 10 s timeout.
        HttpResponseMessage response = await client.PutAsync("http://s3.test/bucket/key", new PiecesContent(12));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(endpoint.PiecesRead, Is.EqualTo(12));
        Assert.That(time.GetUtcNow() - endpoint.Started, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(66)));
    }

    [Test]
    public async Task Send_WhenTheBodyStopsMovingHalfway_FailsAfterTheResponseTimeout()
    {
        var time = new FakeTimeProvider();
        var endpoint = new SteppedReader(time, step: TimeSpan.FromSeconds(1), stopAfter: 6);
        using var client = new HttpClient(new SilenceTimeoutHandler(Silence, time) { InnerHandler = endpoint });

        Task<HttpResponseMessage> put = client.PutAsync("http://s3.test/bucket/key", new PiecesContent(12));
        await endpoint.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        time.Advance(Silence);

        TimeoutException? timeout = Assert.ThrowsAsync<TimeoutException>(() => put.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(timeout!.Message, Does.Contain("went silent"));
        Assert.That(endpoint.PiecesRead, Is.EqualTo(6));
    }

    /// <summary>A body written as <c>pieces</c> writes of 4 KB.</summary>
    private sealed class PiecesContent(int pieces) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            byte[] piece = new byte[4096];
            for (int i = 0; i < pieces; i++)
            {
                await stream.WriteAsync(piece, cancellationToken);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = pieces * 4096L;
            return true;
        }
    }

    private static async Task<bool> Completes(Task task, TimeSpan within) =>
        await Task.WhenAny(task, Task.Delay(within)) == task;

    private static IEnumerable<Exception> Chain(Exception? exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }

    /// <summary>
    /// A transport that takes the body piece by piece, each piece taking <c>step</c> on the fake clock, and answers 200
    /// at the end; with <c>stopAfter</c>, it stops taking the body after that many pieces and waits for ever.
    /// </summary>
    private sealed class SteppedReader(FakeTimeProvider time, TimeSpan step, int stopAfter = int.MaxValue) : HttpMessageHandler
    {
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int PiecesRead { get; private set; }

        public DateTimeOffset Started { get; private set; }

        public Task Stopped => _stopped.Task;

        private FakeTimeProvider Time => time;

        private TimeSpan Step => step;

        private int StopAfter => stopAfter;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Started = time.GetUtcNow();
            await request.Content!.CopyToAsync(new Connection(this), cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }

        private sealed class Connection(SteppedReader reader) : Stream
        {
            public override bool CanRead => false;

            public override bool CanSeek => false;

            public override bool CanWrite => true;

            public override long Length => throw new NotSupportedException();

            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                if (reader.PiecesRead == reader.StopAfter)
                {
                    reader._stopped.TrySetResult();
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }

                reader.Time.Advance(reader.Step); // the piece takes this long to go out
                cancellationToken.ThrowIfCancellationRequested(); // as a socket aborted by the caller
                reader.PiecesRead++;
            }

            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            public override void Flush()
            {
            }

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }
}
