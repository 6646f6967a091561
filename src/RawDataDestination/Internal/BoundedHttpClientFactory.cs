using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;

namespace RawDataDestination.Internal;

/// <summary>
/// Builds the AWS SDK's HTTP clients with two bounds besides the SDK's whole-request timeout: a connect timeout, and a
/// silence timeout (<see cref="SilenceTimeoutHandler"/>), both on the given <see cref="TimeProvider"/>. An endpoint that
/// never accepts, or accepts and never answers, gives its caller back within seconds; a large upload that keeps moving
/// may take as long as the request timeout allows. Below both, <see cref="LostAnswerHandler"/> tells a batch whose
/// PutObject got no answer that S3 may hold it.
/// </summary>
/// <remarks>
/// The handler mirrors the SDK's own (no redirects unless the config allows them, no automatic decompression, the
/// config's proxy and connection limit). Each SDK client caches the clients this factory builds and disposes them with
/// itself.
/// </remarks>
internal sealed class BoundedHttpClientFactory(TimeSpan connectTimeout, TimeSpan silenceTimeout, TimeProvider time) : HttpClientFactory
{
    /// <inheritdoc />
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        ArgumentNullException.ThrowIfNull(clientConfig);
        var sockets = new SocketsHttpHandler
        {
            AllowAutoRedirect = clientConfig.AllowAutoRedirect,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectCallback = ConnectAsync,

            // S3 closes a connection idle for about 20 s; one reused as it closes fails its request, and no client here
            // resends at once after a broken connection (AwsClientSettings: MaxStaleConnectionRetries 0), so it would
            // cost a failed attempt. .NET keeps idle connections for a minute by default: close them well before S3 does.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(15),
        };
        if (clientConfig.MaxConnectionsPerServer is { } limit)
        {
            sockets.MaxConnectionsPerServer = limit;
        }

        if (clientConfig.GetWebProxy() is { } proxy)
        {
            proxy.Credentials ??= clientConfig.ProxyCredentials;
            sockets.Proxy = proxy;
            sockets.UseProxy = true;
        }

        var client = new HttpClient(new SilenceTimeoutHandler(silenceTimeout, time) { InnerHandler = new LostAnswerHandler { InnerHandler = sockets } });
        if (clientConfig.Timeout is { } timeout)
        {
            client.Timeout = timeout;
        }

        return client;
    }

    /// <summary>Opens a TCP connection, giving up after the connect timeout (on the <see cref="TimeProvider"/>).</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = new CancellationTokenSource(connectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, linked.Token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException(string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"Connecting to {context.DnsEndPoint.Host}:{context.DnsEndPoint.Port} did not succeed within the connect timeout of {connectTimeout.TotalSeconds:0.###} s."));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
