using System.Text;
using System.Xml.Linq;

namespace RawDataDestination.LocalPeers.Aws;

/// <summary>
/// Signed calls to AWS's IAM (Query protocol) and KMS (JSON protocol) at one endpoint, as one caller: the few calls an
/// account's administrator makes to set up a customer's role and a service's identity.
/// </summary>
internal sealed class AwsApi : IDisposable
{
    private const string Region = "us-east-1";
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Uri endpoint;
    private readonly AccessKey caller;
    private readonly TimeProvider time;

    /// <summary>Initializes a new instance of the <see cref="AwsApi"/> class.</summary>
    /// <param name="endpoint">The endpoint (moto serves IAM, STS, KMS and S3 on one).</param>
    /// <param name="caller">The key every call is signed with.</param>
    /// <param name="time">The clock for signatures; the system clock by default.</param>
    public AwsApi(Uri endpoint, AccessKey caller, TimeProvider? time = null)
    {
        this.endpoint = endpoint;
        this.caller = caller;
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>Calls an IAM action with its parameters and returns the answer's XML.</summary>
    public async Task<XDocument> IamAsync(string action, params (string Name, string Value)[] parameters)
    {
        string form = string.Join('&', new[] { ("Action", action), ("Version", "2010-05-08") }.Concat(parameters)
            .Select(p => $"{FormEncode(p.Item1)}={FormEncode(p.Item2)}"));
        string answer = await SendAsync("iam", Encoding.UTF8.GetBytes(form), "application/x-www-form-urlencoded; charset=utf-8", new Dictionary<string, string>());
        return XDocument.Parse(answer);
    }

    /// <summary>Calls a KMS action with a JSON body and returns the answer's JSON.</summary>
    public Task<string> KmsAsync(string action, string json) =>
        SendAsync("kms", Encoding.UTF8.GetBytes(json), "application/x-amz-json-1.1", new Dictionary<string, string> { ["x-amz-target"] = "TrentService." + action });

    /// <summary>The text of the first element named <paramref name="name"/> (any namespace) in <paramref name="answer"/>.</summary>
    public static string Value(XDocument answer, string name) =>
        answer.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value
        ?? throw new InvalidOperationException($"No <{name}> in the answer: {answer}");

    public void Dispose() => http.Dispose();

    /// <summary>
    /// Form encoding as the SDKs write it (RFC 3986 unreserved characters kept, a space as '+'). moto checks the
    /// signature against the form it parsed and encoded again this way, not against the bytes received.
    /// </summary>
    private static string FormEncode(string text) => Uri.EscapeDataString(text).Replace("%20", "+", StringComparison.Ordinal);

    private async Task<string> SendAsync(string service, byte[] body, string contentType, Dictionary<string, string> extraHeaders)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        SigV4.Sign(request, body, extraHeaders, caller, Region, service, time.GetUtcNow());
        using HttpResponseMessage response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw Error((int)response.StatusCode, text);
        }

        return text;
    }

    private static AwsApiException Error(int status, string text)
    {
        if (text.TrimStart().StartsWith('<'))
        {
            XDocument xml = XDocument.Parse(text);
            string Find(string name) => xml.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? string.Empty;
            return new AwsApiException(status, Find("Code"), Find("Message"));
        }

        using var json = System.Text.Json.JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        string code = json.RootElement.TryGetProperty("__type", out var type) ? type.GetString() ?? string.Empty : string.Empty;
        string message = json.RootElement.TryGetProperty("message", out var m) || json.RootElement.TryGetProperty("Message", out m) ? m.GetString() ?? string.Empty : text;
        return new AwsApiException(status, code, message);
    }
}
