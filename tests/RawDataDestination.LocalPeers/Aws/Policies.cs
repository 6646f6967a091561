using System.Text.Json;
using System.Text.Json.Nodes;

namespace RawDataDestination.LocalPeers.Aws;

/// <summary>
/// The IAM policy documents of the least-privilege setup: what a customer attaches to the role it creates for the
/// service, and what the operator allows the service's own identity.
/// </summary>
internal static class Policies
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The role's trust policy: only <paramref name="servicePrincipalArn"/> may assume it, and only with
    /// <paramref name="externalId"/> (Condition StringEquals sts:ExternalId). A <see langword="null"/> external id
    /// leaves the condition out: the confused-deputy mistake the setup check warns about.
    /// </summary>
    public static string CustomerTrust(string servicePrincipalArn, string? externalId)
    {
        var statement = new JsonObject
        {
            ["Effect"] = "Allow",
            ["Principal"] = new JsonObject { ["AWS"] = servicePrincipalArn },
            ["Action"] = "sts:AssumeRole",
        };
        if (externalId is not null)
        {
            statement["Condition"] = new JsonObject { ["StringEquals"] = new JsonObject { ["sts:ExternalId"] = externalId } };
        }

        return Document(statement);
    }

    /// <summary>
    /// The role's permission policy: <c>s3:PutObject</c> and <c>s3:PutObjectAcl</c> on
    /// <c>arn:aws:s3:::{bucket}/{prefix/}segment-logs/*</c> for each prefix ("" for none), and
    /// <c>kms:GenerateDataKey</c> on the customer's key when objects are encrypted with it. Nothing else: no read, no list.
    /// </summary>
    public static string CustomerPermissions(string bucket, IEnumerable<string> prefixes, string? kmsKeyArn)
    {
        var resources = new JsonArray();
        foreach (string prefix in prefixes)
        {
            string trimmed = prefix.Trim('/');
            resources.Add((JsonNode)$"arn:aws:s3:::{bucket}/{(trimmed.Length == 0 ? string.Empty : trimmed + "/")}segment-logs/*");
        }

        var statements = new List<JsonObject>
        {
            new()
            {
                ["Effect"] = "Allow",
                ["Action"] = new JsonArray("s3:PutObject", "s3:PutObjectAcl"),
                ["Resource"] = resources.Count == 1 ? resources[0]!.DeepClone() : resources,
            },
        };
        if (kmsKeyArn is not null)
        {
            statements.Add(new JsonObject { ["Effect"] = "Allow", ["Action"] = "kms:GenerateDataKey", ["Resource"] = kmsKeyArn });
        }

        return Document([.. statements]);
    }

    /// <summary>The service identity's permission to assume one customer's role (one such policy per customer).</summary>
    public static string ServiceAssumeRole(string roleArn) =>
        Document(new JsonObject { ["Effect"] = "Allow", ["Action"] = "sts:AssumeRole", ["Resource"] = roleArn });

    /// <summary>
    /// The service identity's use of its own staging bucket: put, get and delete under the stage prefix, and list limited
    /// to it (README, Staging).
    /// </summary>
    public static string ServiceStaging(string bucket, string stagePrefix)
    {
        string under = stagePrefix.Trim('/').Length == 0 ? string.Empty : stagePrefix.Trim('/') + "/";
        return Document(
            new JsonObject
            {
                ["Effect"] = "Allow",
                ["Action"] = new JsonArray("s3:PutObject", "s3:GetObject", "s3:DeleteObject"),
                ["Resource"] = $"arn:aws:s3:::{bucket}/{under}*",
            },
            new JsonObject
            {
                ["Effect"] = "Allow",
                ["Action"] = "s3:ListBucket",
                ["Resource"] = $"arn:aws:s3:::{bucket}",
                ["Condition"] = new JsonObject { ["StringLike"] = new JsonObject { ["s3:prefix"] = under + "*" } },
            });
    }

    /// <summary>Everything: for the administrator who sets the account up (and reads back what was written).</summary>
    public static string Administrator() =>
        Document(new JsonObject { ["Effect"] = "Allow", ["Action"] = "*", ["Resource"] = "*" });

    private static string Document(params JsonObject[] statements) =>
        new JsonObject { ["Version"] = "2012-10-17", ["Statement"] = new JsonArray([.. statements]) }.ToJsonString(Indented);
}
