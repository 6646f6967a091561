using System.Net.Sockets;

namespace RawDataDestination.Tests.Support;

/// <summary>Finds a loopback TCP port that is free right now (another process may still take it before use).</summary>
public static class FreePort
{
    public static int Next()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Polls until <paramref name="port"/> on 127.0.0.1 accepts a connection, <paramref name="giveUp"/> says stop, or the deadline passes.</summary>
    public static async Task<bool> WaitUntilAcceptingAsync(int port, TimeSpan timeout, Func<bool> giveUp)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !giveUp())
        {
            using var client = new TcpClient();
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await client.ConnectAsync(IPAddress.Loopback, port, attempt.Token);
                return true;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50));
            }
        }

        return false;
    }
}
