using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RawDataDestination.Benchmarks;

/// <summary>
/// A tiny in-process stand-in for STS and S3 on loopback, so destinations are really used: every <c>AssumeRole</c> is
/// granted (credentials valid for an hour) and every <c>PUT</c> answered 200 with an ETag after its body is read. It
/// closes each connection after its answer (no keep-alive), so 10,000 customers' clients hold no sockets between calls.
/// Nothing is checked or stored: it exists to be cheap, not to be S3.
/// </summary>
public sealed class LocalAwsStub : IDisposable
{
    private readonly HttpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _serving;
    private long _assumeRoles;
    private long _puts;

    private LocalAwsStub(HttpListener listener, Uri url)
    {
        _listener = listener;
        Url = url;
        _serving = ServeAsync();
    }

    /// <summary>Gets the stub's base URL, for both <c>ServiceUrl</c> and <c>StsServiceUrl</c>.</summary>
    public Uri Url { get; }

    /// <summary>Gets how many AssumeRole calls were granted.</summary>
    public long AssumeRoles => Interlocked.Read(ref _assumeRoles);

    /// <summary>Gets how many PUTs were answered.</summary>
    public long Puts => Interlocked.Read(ref _puts);

    /// <summary>Starts the stub on a free loopback port.</summary>
    public static LocalAwsStub Start()
    {
        for (int attempt = 1; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var url = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
            var listener = new HttpListener();
            listener.Prefixes.Add(url.OriginalString);
            try
            {
                listener.Start();
                return new LocalAwsStub(listener, url);
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                listener.Close();
            }
        }
    }

    /// <summary>Stops the stub.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        _listener.Close();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // Stopped while answering: nothing to keep.
        }

        _stopping.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        HttpListenerResponse response = context.Response;
        try
        {
            response.KeepAlive = false;
            string body;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
            {
                body = await reader.ReadToEndAsync();
            }

            if (context.Request.HttpMethod == "PUT")
            {
                Interlocked.Increment(ref _puts);
                response.StatusCode = 200;
                response.Headers["ETag"] = "\"d41d8cd98f00b204e9800998ecf8427e\"";
                response.ContentLength64 = 0;
            }
            else if (body.Contains("Action=AssumeRole", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _assumeRoles);
                await WriteAsync(response, AssumeRoleResponse());
            }
            else
            {
                response.StatusCode = 400;
                response.ContentLength64 = 0;
            }
        }
        catch (Exception exception) when (exception is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away: nothing to answer.
        }
        finally
        {
            response.Close();
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, string xml)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(xml);
        response.StatusCode = 200;
        response.ContentType = "text/xml";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
    }

    private static string AssumeRoleResponse()
    {
        string expiration = TimeProvider.System.GetUtcNow().AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        string token = Convert.ToBase64String(Guid.NewGuid().ToByteArray()) + new string('T', 300); // a session token is a few hundred bytes
        return "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
            + "<AssumedRoleUser><AssumedRoleId>AROASTUB:rawdata</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/stub/rawdata</Arn></AssumedRoleUser>"
            + $"<Credentials><AccessKeyId>ASIASTUB</AccessKeyId><SecretAccessKey>stub-secret</SecretAccessKey><SessionToken>{token}</SessionToken><Expiration>{expiration}</Expiration></Credentials>"
            + "</AssumeRoleResult><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></AssumeRoleResponse>";
    }
}
