using System.Globalization;
using System.Text.Json;
using Amazon.Runtime;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.Routing;
using RawDataDestination.S3;

namespace RawDataDestination.KafkaToS3;

/// <summary>
/// The <c>--tenants FILE</c>: the customers this worker delivers for, mapped onto the library's
/// <see cref="TenantDestinationsOptions"/>. Every problem is collected and reported at once, each naming the tenant, the
/// field and the fix, so a bad file stops the worker at start (exit 2) instead of refusing a customer's batches later.
/// </summary>
/// <remarks>
/// <code>
/// {"tenants":[{"name":"acme","sources":["src-a","src-b"],"region":"us-east-1","bucket":"bucket/prefix",
///              "roleArn":"arn:aws:iam::123456789012:role/x","externalId":"...",
///              "acl":"bucket-owner-full-control","sse":"aws:kms","kmsKeyId":"arn:aws:kms:...",
///              "expectedBucketOwner":"123456789012"}]}
/// </code>
/// <c>name</c> (default: the first source), <c>acl</c>, <c>sse</c>, <c>kmsKeyId</c> and <c>expectedBucketOwner</c> are optional. <c>acl</c> is one of
/// S3's canned ACLs <c>bucket-owner-full-control</c> (the default), <c>bucket-owner-read</c>, <c>private</c>, or
/// <c>none</c> (no ACL header, for buckets with ACLs disabled). <c>sse</c> is S3's own word for
/// <c>x-amz-server-side-encryption</c>: <c>AES256</c> (SSE-S3) or <c>aws:kms</c> (SSE-KMS, with <c>kmsKeyId</c>);
/// without it, the bucket's default encryption applies. <c>expectedBucketOwner</c> is the 12-digit id of the account that
/// must own the bucket, as a string: every PutObject carries it, and S3 refuses a bucket of another account.
/// </remarks>
internal static class TenantsFile
{
    private const string ExampleRoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    private static readonly string[] Fields = ["name", "sources", "region", "bucket", "roleArn", "externalId", "acl", "sse", "kmsKeyId", "expectedBucketOwner"];

    /// <summary>The fields a tenant may leave out, each a string when given.</summary>
    private static readonly string[] Optional = ["acl", "sse", "kmsKeyId", "expectedBucketOwner"];

    private static readonly Dictionary<string, ObjectAcl> Acls = new(StringComparer.Ordinal)
    {
        ["bucket-owner-full-control"] = ObjectAcl.BucketOwnerFullControl,
        ["bucket-owner-read"] = ObjectAcl.BucketOwnerRead,
        ["private"] = ObjectAcl.Private,
        ["none"] = ObjectAcl.None,
    };

    private static readonly Dictionary<string, ObjectEncryption> Encryptions = new(StringComparer.Ordinal)
    {
        ["AES256"] = ObjectEncryption.Aes256,
        ["aws:kms"] = ObjectEncryption.Kms,
    };

    /// <summary>Reads and checks the file at <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="defaults">The settings every tenant shares (endpoints); the file's values go over them.</param>
    /// <exception cref="UsageException">The file cannot be read (or is a directory) or is invalid; the message lists every problem.</exception>
    public static TenantDestinationsOptions Load(string path, S3RoleDestinationOptions defaults)
    {
        string json = OptionFile.ReadAllText("--tenants", path, "give the path of a JSON file such as {\"tenants\":[...]}.");
        return Parse(json, path, defaults);
    }

    /// <summary>Checks <paramref name="json"/>, the content of <paramref name="path"/>.</summary>
    /// <exception cref="UsageException">The JSON is invalid; the message lists every problem.</exception>
    public static TenantDestinationsOptions Parse(string json, string path, S3RoleDestinationOptions defaults)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException exception)
        {
            throw new UsageException($"--tenants '{path}' is not JSON{Where(exception)} ({Reason(exception)}); write {{\"tenants\":[{{\"sources\":[...],\"region\":...,\"bucket\":...,\"roleArn\":...,\"externalId\":...}}]}}.");
        }

        using (document)
        {
            var problems = new List<string>();
            var options = new TenantDestinationsOptions { Defaults = defaults };
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("tenants", out JsonElement tenants)
                || tenants.ValueKind != JsonValueKind.Array)
            {
                throw new UsageException($"--tenants '{path}' has no \"tenants\" array; write {{\"tenants\":[{{\"sources\":[...],\"region\":...,\"bucket\":...,\"roleArn\":...,\"externalId\":...}}]}}.");
            }

            bool givenTwice = document.RootElement.EnumerateObject().Count(p => p.Name == "tenants") > 1;
            if (tenants.GetArrayLength() == 0 && !givenTwice)
            {
                throw new UsageException($"--tenants '{path}' lists no tenant; add one object per customer to \"tenants\".");
            }

            foreach (JsonProperty property in document.RootElement.EnumerateObject().Where(p => p.Name != "tenants"))
            {
                problems.Add($"'{path}' has an unknown field \"{property.Name}\"; the file holds only \"tenants\".");
            }

            if (givenTwice)
            {
                // A JSON reader keeps the last: the tenants of the others would be dropped without a word.
                problems.Add($"'{path}' gives \"tenants\" twice; put every tenant in one \"tenants\" array.");
            }

            var owners = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            var buckets = new Dictionary<string, string>(StringComparer.Ordinal);
            int index = 0;
            foreach (JsonElement element in tenants.EnumerateArray())
            {
                if (Read(element, index, path, problems) is { } tenant)
                {
                    string who = Who(tenant, index);
                    if (tenant.Name is { } name && !names.TryAdd(name, who))
                    {
                        problems.Add($"{who}: \"name\" '{name}' is also the name of {names[name]}; give each tenant its own name.");
                    }
                    else if (tenant.Name is null && tenant.Sources.Count > 0 && !names.TryAdd(tenant.Sources[0], who))
                    {
                        // The name defaults to the first source: the tenant's circuit breaker, copier and staging are keyed by it.
                        problems.Add($"{who}: its name '{tenant.Sources[0]}' (its first source; it has no \"name\") is also the name of {names[tenant.Sources[0]]}; give it a \"name\" of its own.");
                    }

                    foreach (string source in tenant.Sources)
                    {
                        if (!owners.TryAdd(source, who) && owners[source] != who)
                        {
                            problems.Add($"{who}: source '{source}' is also listed by {owners[source]}; list it under one tenant (a source's events go to one customer's bucket).");
                        }
                    }

                    if (BucketAndPrefix(tenant.Bucket) is { } bucket && !buckets.TryAdd(bucket, who))
                    {
                        // Staged keys name the customer's bucket and prefix, not the tenant: two tenants there would share
                        // one staging prefix, and each one's copier would move the other's batches with its own role.
                        problems.Add($"{who}: \"bucket\" '{bucket}' is also the bucket and path prefix of {buckets[bucket]}; list both tenants' sources under one tenant, or give each its own path prefix.");
                    }

                    CheckSettings(tenant, defaults, who, problems);
                    options.Tenants.Add(tenant);
                }

                index++;
            }

            return problems.Count > 0
                ? throw new UsageException($"--tenants '{path}' is invalid:{Environment.NewLine}" + string.Join(Environment.NewLine, problems))
                : options;
        }
    }

    /// <summary>
    /// Where the JSON went wrong as an editor counts it, <c> at line 3, byte 19</c>: the reader counts both from 0
    /// (its message said <c>LineNumber: 2 | BytePositionInLine: 18</c>, one line above the error).
    /// </summary>
    private static string Where(JsonException exception) =>
        exception.LineNumber is { } line && exception.BytePositionInLine is { } position
            ? string.Create(CultureInfo.InvariantCulture, $" at line {line + 1}, byte {position + 1}")
            : "";

    /// <summary>The reader's explanation without its own 0-based position, which <see cref="Where"/> gives.</summary>
    private static string Reason(JsonException exception)
    {
        int position = exception.Message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return position < 0 ? exception.Message : exception.Message[..position];
    }

    /// <summary>A tenant's bucket and path prefix as one string (<c>bucket/path/prefix</c>), or <see langword="null"/> when it is missing or invalid (reported by <see cref="CheckSettings"/>).</summary>
    private static string? BucketAndPrefix(string? bucket)
    {
        try
        {
            return bucket is null ? null : BucketLocation.Parse(bucket).ToString();
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// How messages name a tenant: <c>tenant 'acme' (tenants[2])</c>, by its name or else its first source (the name it
    /// takes); only its place, <c>tenants[2]</c>, when it has neither.
    /// </summary>
    private static string Who(TenantOptions tenant, int index) =>
        (tenant.Name is { Length: > 0 } named ? named : tenant.Sources.FirstOrDefault()) is { } name
            ? string.Create(CultureInfo.InvariantCulture, $"tenant '{name}' (tenants[{index}])")
            : string.Create(CultureInfo.InvariantCulture, $"tenants[{index}]");

    private static TenantOptions? Read(JsonElement element, int index, string path, List<string> problems)
    {
        string at = string.Create(CultureInfo.InvariantCulture, $"tenants[{index}]");
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{at} in '{path}' is {element.ValueKind.ToString().ToLowerInvariant()}; each tenant is an object such as {{\"sources\":[\"src-a\"],\"region\":\"us-east-1\",...}}.");
            return null;
        }

        var tenant = new TenantOptions { Name = Text(element, "name") };
        var sourceProblems = new List<string>(); // named once the tenant's name is known: its first valid source, without "name"
        if (element.TryGetProperty("sources", out JsonElement sources) && sources.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement source in sources.EnumerateArray())
            {
                if (source.ValueKind == JsonValueKind.String && source.GetString() is { Length: > 0 } id)
                {
                    if (!SourceIdRules.IsValid(id, out string? reason))
                    {
                        // A record with this source id is refused (InvalidSourceId), so the tenant would never get it.
                        sourceProblems.Add($"\"sources\" holds '{id}', which no record can carry: {reason}");
                    }
                    else if (tenant.Sources.Contains(id))
                    {
                        // Harmless as written, but most often a copy whose edit was forgotten: the source meant is missing.
                        sourceProblems.Add($"\"sources\" holds '{id}' twice; list it once (if the second was meant to be another source, write that one).");
                    }
                    else
                    {
                        tenant.Sources.Add(id);
                    }
                }
                else
                {
                    sourceProblems.Add($"\"sources\" holds {source.GetRawText()}; each source is a non-empty string, the source id its records carry.");
                }
            }
        }

        string who = Who(tenant, index);
        problems.AddRange(sourceProblems.Select(problem => $"{who}: {problem}"));
        if (tenant.Name is { Length: 0 } || (element.TryGetProperty("name", out JsonElement nameValue) && nameValue.ValueKind != JsonValueKind.String))
        {
            problems.Add($"{who}: \"name\" must be a non-empty string; leave it out to name the tenant after its first source.");
        }

        foreach (JsonProperty property in element.EnumerateObject().Where(p => Array.IndexOf(Fields, p.Name) < 0))
        {
            string? close = Fields.FirstOrDefault(f => string.Equals(f, property.Name, StringComparison.OrdinalIgnoreCase));
            problems.Add($"{who}: unknown field \"{property.Name}\"; {(close is null ? "the fields are " + string.Join(", ", Fields) : $"write \"{close}\"")}.");
        }

        foreach (string twice in element.EnumerateObject().GroupBy(p => p.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            // A JSON reader keeps the last value: the file would not say which one the customer meant.
            problems.Add($"{who}: \"{twice}\" is given twice; keep one.");
        }

        if (element.TryGetProperty("sources", out JsonElement given) && given.ValueKind != JsonValueKind.Array)
        {
            problems.Add($"{who}: \"sources\" is {given.GetRawText()}, not an array; write it as a list of source ids, such as \"sources\":[\"src-a\"].");
        }
        else if (tenant.Sources.Count == 0 && (!element.TryGetProperty("sources", out given) || given.GetArrayLength() == 0))
        {
            problems.Add($"{who}: \"sources\" is missing or empty; list the source ids whose records go to this customer, such as \"sources\":[\"src-a\"].");
        }

        tenant.Region = Required(element, "region", who, "the bucket's AWS region, such as \"region\":\"us-west-2\"", problems);
        tenant.Bucket = Required(element, "bucket", who, "the customer's bucket with an optional path prefix, such as \"bucket\":\"acme-logs/rawdata\"", problems);
        tenant.RoleArn = Required(element, "roleArn", who, $"the ARN of the role the customer created, such as \"roleArn\":\"{ExampleRoleArn}\"", problems);
        tenant.ExternalId = Required(element, "externalId", who, "the external id the role's trust policy requires", problems);
        if (Text(element, "acl") is { } acl)
        {
            if (Acls.TryGetValue(acl, out ObjectAcl value))
            {
                tenant.Acl = value;
            }
            else
            {
                problems.Add($"{who}: \"acl\" is '{acl}'; use bucket-owner-full-control (the default), bucket-owner-read, private, or none (no ACL header, for buckets with ACLs disabled).");
            }
        }

        if (Text(element, "sse") is { } sse)
        {
            if (Encryptions.TryGetValue(sse, out ObjectEncryption value))
            {
                tenant.Encryption = value;
            }
            else
            {
                problems.Add($"{who}: \"sse\" is '{sse}'; use AES256 (SSE-S3) or aws:kms (SSE-KMS, with \"kmsKeyId\"), or leave it out for the bucket's default encryption.");
            }
        }

        tenant.KmsKeyId = Text(element, "kmsKeyId");
        if (tenant.Encryption == ObjectEncryption.Kms && tenant.KmsKeyId is null)
        {
            problems.Add($"{who}: \"sse\" is aws:kms but \"kmsKeyId\" is missing; add the KMS key's ARN, id or alias, such as \"kmsKeyId\":\"alias/acme-logs\".");
        }
        else if (tenant.KmsKeyId is not null && tenant.Encryption != ObjectEncryption.Kms)
        {
            problems.Add($"{who}: \"kmsKeyId\" is given but \"sse\" is not aws:kms; add \"sse\":\"aws:kms\" to encrypt with that key, or remove \"kmsKeyId\".");
        }

        tenant.ExpectedBucketOwner = Text(element, "expectedBucketOwner"); // the library's rule checks it, in the file's words

        foreach (string field in Optional)
        {
            if (element.TryGetProperty(field, out JsonElement value) && value.ValueKind != JsonValueKind.String)
            {
                problems.Add($"{who}: \"{field}\" is {value.GetRawText()}, not a string; write its value in quotes.");
            }
        }

        return tenant;
    }

    private static string? Text(JsonElement element, string field) =>
        element.TryGetProperty(field, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Required(JsonElement element, string field, string who, string what, List<string> problems)
    {
        if (Text(element, field) is { Length: > 0 } value)
        {
            return value;
        }

        if (!element.TryGetProperty(field, out JsonElement given))
        {
            // A field written in other letters ("externalID") is said once, as the unknown field it is, with the name to write.
            if (!element.EnumerateObject().Any(p => string.Equals(p.Name, field, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add($"{who}: \"{field}\" is missing; add {what}.");
            }
        }
        else if (given.ValueKind == JsonValueKind.String)
        {
            // Present and empty, as the operator sees it in the file: "missing" sent them looking for a field that is there.
            problems.Add($"{who}: \"{field}\" is empty (\"\"); write {what}.");
        }
        else
        {
            problems.Add($"{who}: \"{field}\" is {given.GetRawText()}, not a string; write {what}.");
        }

        return null;
    }

    /// <summary>
    /// The library's own rules for the tenant's settings over the defaults (region, bucket, ARN, external id...), as
    /// <see cref="S3RoleDestination"/> checks them, each message prefixed with the tenant and naming the settings as the
    /// file does (<see cref="TenantWords.InFile"/>). A field already reported missing is not reported again, and does not
    /// hide the others' problems: every problem is listed at once.
    /// </summary>
    private static void CheckSettings(TenantOptions tenant, S3RoleDestinationOptions defaults, string who, List<string> problems)
    {
        if (tenant.Sources.Count == 0)
        {
            return; // already reported as missing; with no source, there is nothing to resolve the tenant's settings by
        }

        string[] missing = [.. new (string Setting, string? Value)[] { ("Region", tenant.Region), ("Bucket", tenant.Bucket), ("RoleArn", tenant.RoleArn), ("ExternalId", tenant.ExternalId) }
            .Where(field => field.Value is null).Select(field => field.Setting)];
        var single = new TenantDestinationsOptions { Defaults = defaults };
        single.Tenants.Add(tenant);
        using var resolver = new TenantDestinationResolver(single);
        if (resolver.Resolve(tenant.Sources[0])?.Options is not { } merged)
        {
            return;
        }

        // The settings named as the file has them: "region", not Region.
        List<SettingProblem> found = [.. merged.Problems(TenantWords.InFile).Where(problem => !missing.Contains(problem.Setting, StringComparer.Ordinal))];
        problems.AddRange(found.Select(problem => $"{who}: {problem.Message}"));
        if (found.Count > 0 || missing.Length > 0)
        {
            return;
        }

        try
        {
            // Anonymous base credentials: only the settings are checked; nothing is called and no credential is looked up.
            new S3RoleDestination(merged, new AnonymousAWSCredentials()).Dispose();
        }
        catch (ArgumentException exception)
        {
            string message = exception.Message.Replace(" (Parameter 'options')", string.Empty, StringComparison.Ordinal);
            foreach (string line in message.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                problems.Add($"{who}: {line}");
            }
        }
    }
}
