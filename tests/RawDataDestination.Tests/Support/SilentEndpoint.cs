using System.Net.Sockets;

namespace RawDataDestination.Tests.Support;

/// <summary>A loopback endpoint that accepts connections, reads what is sent and never answers: a hung server.</summary>
internal sealed class SilentEndpoint : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Task _accepting;
    private long _bytesReceived;

    public SilentEndpoint()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Gets the bytes read from every connection so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Waits (at most 10 s) until at least <paramref name="bytes"/> have arrived.</summary>
    public async Task WaitForBytesAsync(long bytes)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (BytesReceived < bytes)
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_clients)
        {
            foreach (TcpClient client in _clients)
            {
                client.Dispose();
            }
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            lock (_clients)
            {
                _clients.Add(client);
            }

            _ = DrainAsync(client);
        }
    }

    private async Task DrainAsync(TcpClient client)
    {
        byte[] sink = new byte[64 * 1024];
        try
        {
            NetworkStream stream = client.GetStream();
            int read;
            while ((read = await stream.ReadAsync(sink, _stop.Token)) > 0)
            {
                Interlocked.Add(ref _bytesReceived, read);
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
