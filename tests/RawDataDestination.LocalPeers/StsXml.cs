using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace RawDataDestination.LocalPeers;

/// <summary>Bodies of the STS Query protocol (version 2011-06-15), as the real service writes them.</summary>
internal static class StsXml
{
    public static readonly XNamespace Ns = "https://sts.amazonaws.com/doc/2011-06-15/";

    public static byte[] AssumeRoleResponse(IssuedCredentials issued, string requestId) =>
        Serialize(new XElement(
            Ns + "AssumeRoleResponse",
            new XElement(
                Ns + "AssumeRoleResult",
                new XElement(
                    Ns + "AssumedRoleUser",
                    new XElement(Ns + "AssumedRoleId", issued.AssumedRoleId),
                    new XElement(Ns + "Arn", issued.AssumedRoleArn)),
                new XElement(
                    Ns + "Credentials",
                    new XElement(Ns + "AccessKeyId", issued.AccessKeyId),
                    new XElement(Ns + "SecretAccessKey", issued.SecretAccessKey),
                    new XElement(Ns + "SessionToken", issued.SessionToken),
                    new XElement(
                        Ns + "Expiration",
                        issued.Expiration.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)))),
            new XElement(Ns + "ResponseMetadata", new XElement(Ns + "RequestId", requestId))));

    public static byte[] ErrorResponse(StsError error, string requestId) =>
        Serialize(new XElement(
            Ns + "ErrorResponse",
            new XElement(
                Ns + "Error",
                new XElement(Ns + "Type", error.Type),
                new XElement(Ns + "Code", error.Code),
                new XElement(Ns + "Message", error.Message)),
            new XElement(Ns + "RequestId", requestId)));

    private static byte[] Serialize(XElement root)
    {
        using var buffer = new MemoryStream();
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false };
        using (var writer = XmlWriter.Create(buffer, settings))
        {
            new XDocument(root).Save(writer);
        }

        return buffer.ToArray();
    }
}

/// <summary>An STS error: HTTP status, fault side (<c>Sender</c> or <c>Receiver</c>), code and message.</summary>
internal sealed record StsError(int Status, string Type, string Code, string Message)
{
    public static StsError AccessDenied(string caller, string roleArn) => new(
        403,
        "Sender",
        "AccessDenied",
        $"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {roleArn}");

    public static StsError InvalidClientTokenId() =>
        new(403, "Sender", "InvalidClientTokenId", "The security token included in the request is invalid.");

    public static StsError MissingAuthenticationToken() =>
        new(403, "Sender", "MissingAuthenticationToken", "Request is missing Authentication Token");

    public static StsError Validation(string message) => new(400, "Sender", "ValidationError", message);

    public static StsError InvalidAction(string? action) =>
        new(400, "Sender", "InvalidAction", $"Could not find operation {action} for version 2011-06-15");

    public static StsError ServiceUnavailable() =>
        new(503, "Receiver", "ServiceUnavailable", "Service is unavailable. Please try again later.");
}

/// <summary>One set of temporary credentials handed out by a granted AssumeRole call.</summary>
internal sealed record IssuedCredentials(
    string AccessKeyId,
    string SecretAccessKey,
    string SessionToken,
    DateTimeOffset Expiration,
    string AssumedRoleId,
    string AssumedRoleArn);
