using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RawDataDestination.LocalPeers.Aws;

/// <summary>
/// AWS Signature Version 4 for the few IAM and KMS calls the setup makes (POST to <c>/</c>, no query string), so that
/// they pass an endpoint that checks signatures. The SDK signs everything else.
/// </summary>
internal static class SigV4
{
    private const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>Adds <c>X-Amz-Date</c> (and <c>X-Amz-Security-Token</c>) and the <c>Authorization</c> header to <paramref name="request"/>.</summary>
    /// <param name="request">A POST to the endpoint's root; its content headers and <paramref name="extraHeaders"/> are signed.</param>
    /// <param name="body">The request body, as sent.</param>
    /// <param name="extraHeaders">Headers to add and sign (lower-case names), such as <c>x-amz-target</c>.</param>
    /// <param name="key">The caller's key.</param>
    /// <param name="region">The region in the credential scope.</param>
    /// <param name="service">The service in the credential scope (<c>iam</c>, <c>kms</c>).</param>
    /// <param name="now">The signing time.</param>
    public static void Sign(HttpRequestMessage request, byte[] body, IReadOnlyDictionary<string, string> extraHeaders, AccessKey key, string region, string service, DateTimeOffset now)
    {
        string amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string day = amzDate[..8];
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = request.RequestUri!.Authority,
            ["x-amz-date"] = amzDate,
            ["content-type"] = request.Content!.Headers.ContentType!.ToString(),
        };
        if (key.SessionToken is { } token)
        {
            headers["x-amz-security-token"] = token;
        }

        foreach (KeyValuePair<string, string> header in extraHeaders)
        {
            headers[header.Key] = header.Value;
        }

        string signedHeaders = string.Join(';', headers.Keys);
        string canonicalRequest = string.Join('\n',
            request.Method.Method,
            request.RequestUri.AbsolutePath,
            string.Empty,
            string.Concat(headers.Select(h => $"{h.Key}:{h.Value.Trim()}\n")),
            signedHeaders,
            Hex(SHA256.HashData(body)));
        string scope = $"{day}/{region}/{service}/aws4_request";
        string stringToSign = string.Join('\n', Algorithm, amzDate, scope, Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));
        byte[] signingKey = Hmac(Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("AWS4" + key.SecretAccessKey), day), region), service), "aws4_request");
        string signature = Hex(Hmac(signingKey, stringToSign));

        foreach (KeyValuePair<string, string> header in headers.Where(h => h.Key is not "host" and not "content-type"))
        {
            request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        request.Headers.TryAddWithoutValidation("Authorization", $"{Algorithm} Credential={key.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
