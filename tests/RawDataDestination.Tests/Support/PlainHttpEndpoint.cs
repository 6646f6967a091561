using System.Net.Sockets;

namespace RawDataDestination.Tests.Support;

/// <summary>
/// A loopback server that speaks plain HTTP only: whatever a connection sends first (a TLS ClientHello included), it
/// answers "400 Bad Request" in clear text and closes, as an http:// server does when it is called as https://.
/// </summary>
internal sealed class PlainHttpEndpoint : IAsyncDisposable
{
    private static readonly byte[] BadRequest = Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public PlainHttpEndpoint()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Gets the endpoint as an https:// URL, which it does not speak.</summary>
    public Uri AsHttps => new($"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                _ = await stream.ReadAsync(new byte[4096], _stop.Token);
                await stream.WriteAsync(BadRequest, _stop.Token);
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }
}
