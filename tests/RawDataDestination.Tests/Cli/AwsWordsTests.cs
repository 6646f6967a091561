namespace RawDataDestination.Tests.Cli;

/// <summary>
/// AWS's words stay AWS's: every message the library can compose (in its own words, and in another program's) and the
/// README never mangle an IAM name (no <c>sts:--external-id</c>), never show the SDK's placeholders for what it could
/// not read, and every IAM JSON snippet in them is valid policy JSON.
/// </summary>
public partial class AwsWordsTests
{
    /// <summary>Words like rawdata's: flags with dashes, to catch a message built by rewriting names inside other words.</summary>
    private static readonly SettingWords FlagWords = new(setting => "--" + Kebab(setting), (setting, value) => $"add --{Kebab(setting)} {value}");

    private static readonly string[] Never = ["sts:--", "--external-id\"", "HttpErrorResponseException", "Exception of type", "Signature V4a", "CrtIntegration"];

    [Test]
    public void EveryMessage_KeepsAwsWordsAndHasNoSdkPlaceholder()
    {
        List<string> messages = Messages().ToList();

        Assert.That(messages, Has.Count.GreaterThan(100));
        foreach (string message in messages)
        {
            Assert.That(Never.Where(word => message.Contains(word, StringComparison.Ordinal)), Is.Empty, message);
        }
    }

    [Test]
    public void EveryIamSnippetInAMessage_IsValidPolicyJson()
    {
        List<string> snippets = Messages().SelectMany(IamSnippets).Distinct().ToList();

        Assert.That(snippets, Is.Not.Empty, "the trust-policy messages give their condition as JSON");
        foreach (string snippet in snippets)
        {
            Assert.That(PolicyProblems(snippet), Is.Empty, snippet);
        }
    }

    [Test]
    public async Task EveryIamSnippetInTheReadme_IsValidPolicyJson()
    {
        string readme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "README.md"));
        List<string> blocks = JsonBlock().Matches(readme).Select(match => match.Groups[1].Value).ToList();
        List<string> policies = blocks.Where(block => block.Contains("\"Statement\"", StringComparison.Ordinal)).ToList();
        List<string> inline = IamSnippets(JsonBlock().Replace(readme, string.Empty)).ToList();

        Assert.That(policies, Has.Count.GreaterThanOrEqualTo(3), "the trust policy, the role's policy and the stage's policy");
        Assert.That(inline, Is.Not.Empty, "the conditions quoted in the prose");
        foreach (string block in blocks)
        {
            Assert.That(() => JsonDocument.Parse(block).Dispose(), Throws.Nothing, block);
        }

        foreach (string snippet in policies.Concat(inline))
        {
            Assert.That(PolicyProblems(snippet), Is.Empty, snippet);
        }

        Assert.That(Never.Where(word => readme.Contains(word, StringComparison.Ordinal) && word != "Signature V4a"), Is.Empty);
    }

    [Test]
    public void PolicyProblems_OfAMangledCondition_AreFound()
    {
        Assert.That(PolicyProblems("\"Condition\": { \"StringEquals\": { \"sts:--external-id\": \"x\" } }"), Is.Not.Empty);
        Assert.That(PolicyProblems("{ \"Version\": \"2012-10-17\", \"Statement\": [{ \"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\" ]}"), Is.Not.Empty, "not JSON");
        Assert.That(PolicyProblems("{ \"Version\": \"2012-10-17\", \"Statement\": [{ \"Effect\": \"Permit\", \"Action\": \"s3:PutObject\", \"Resource\": \"*\" }] }"), Is.Not.Empty);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Rawdata_RefusingAnExternalId_NamesTheFlagAndKeepsTheConditionKeyAsIamSpellsIt()
    {
        var (exitCode, _, stderr) = await RawdataProgram.RunAsync(
            ["ship", "--region", "us-east-1", "--bucket", "raw-bucket", "--role-arn", "arn:aws:iam::123456789012:role/SegmentS3Upload", "--external-id", "a b", "--source-id", "src"]);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--external-id 'a b' contains a space").And.Contain("the sts:ExternalId condition"));
        Assert.That(stderr, Does.Not.Contain("sts:--"));
    }

    /// <summary>Every message the library composes for settings, refusals and failures, over many inputs, in both kinds of words.</summary>
    private static IEnumerable<string> Messages()
    {
        foreach (SettingWords words in new[] { SettingWords.Properties, FlagWords })
        {
            foreach (string? region in new[] { null, "", "US-EAST-1", " us-east-1", "us-wst-2", "mars-1" })
            {
                yield return RegionRules.Error(region, allowUnknown: false, "Region", words) ?? string.Empty;
                yield return RegionRules.Error(region, allowUnknown: false, "StsRegion", words) ?? string.Empty;
            }

            foreach (string? arn in new[] { null, "SegmentS3Upload", "arn:aws:iam::123:role/x", "arn:aws:sts::123456789012:assumed-role/r/s", "arn:aws:s3:::b", "arn:aws:iam:us-east-1:123456789012:role/r", " arn:aws:iam::123456789012:role/r" })
            {
                yield return AssumeRoleRules.RoleArnError(arn, words) ?? string.Empty;
            }

            foreach (string? id in new[] { null, "a", "a b", " ext-id ", new string('x', 1300), "ext\u0001id" })
            {
                yield return AssumeRoleRules.ExternalIdError(id, words) ?? string.Empty;
            }

            foreach (string? value in new[] { "", "../x", ".", new string('s', 200) })
            {
                yield return SourceIdRules.Error(value, words) ?? string.Empty;
                yield return AssumeRoleRules.SessionNameError(value, words) ?? string.Empty;
                yield return KmsKeyRules.Error(value, words) ?? string.Empty;
                yield return ServiceUrlRules.Error("StsServiceUrl", value, words) ?? string.Empty;
            }

            var bad = new S3RoleDestinationOptions
            {
                Region = "us-wst-2", Bucket = "s3://x/y", RoleArn = "role", ExternalId = "a", RoleSessionName = "x", SessionDuration = TimeSpan.FromDays(1),
                StsRegion = "EU", ServiceUrl = new Uri("ftp://x"), Encryption = ObjectEncryption.Kms, KmsKeyId = "k", RetryTimeLimit = TimeSpan.FromSeconds(-1),
            };
            foreach (SettingProblem problem in bad.Problems(words))
            {
                yield return problem.Message;
            }

            foreach (SettingProblem problem in new RawDataDestination.Batching.BatchBufferOptions { MaxEventBytes = 1, MaxBatchBytes = 10, CompressionThreads = 0, SpoolDirectory = "" }.Problems(words))
            {
                yield return problem.Message;
            }

            foreach (SettingProblem problem in new RawDataDestination.Staging.StagingOptions { Bucket = "s3://b", Region = "x" }.Problems(words))
            {
                yield return problem.Message;
            }

            foreach (DestinationException explained in Explanations())
            {
                yield return explained.Describe(words);
            }
        }

        var refusal = new AmazonSecurityTokenServiceException("denied", ErrorType.Sender, "AccessDenied", "r", HttpStatusCode.Forbidden);
        yield return StsExplanations.ForTrustPolicy(refusal, "arn:aws:iam::123456789012:role/r", "ext-123", SettingWords.Properties);
        yield return StsExplanations.ForTrustPolicy(refusal, "arn:aws:iam::123456789012:role/r", "ext-123", FlagWords);
        yield return StsExplanations.ForExternalIdNotRequired("arn:aws:iam::123456789012:role/r", "ext-123");
    }

    /// <summary>
    /// The mapping's explanations of STS's and S3's answers (hand-built here: this test is about words, the mapping's own
    /// tests use real answers); STS's as the destination passes them on.
    /// </summary>
    private static IEnumerable<DestinationException> Explanations()
    {
        var endpoints = new[] { new StsEndpoint(null, "us-east-1"), new StsEndpoint(new Uri("http://127.0.0.1:4569"), "us-east-1") };
        string[] stsCodes = ["AccessDenied", "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "RegionDisabledException", "ValidationError", "MalformedPolicyDocument", "Throttling", "New"];
        foreach (StsEndpoint endpoint in endpoints)
        {
            foreach (string code in stsCodes)
            {
                yield return DestinationException.From(StsExplanations.ForAssumeRole(new AmazonSecurityTokenServiceException("words of STS", ErrorType.Sender, code, "r", HttpStatusCode.Forbidden), "arn:aws:iam::123456789012:role/r", "ext-123", endpoint));
            }

            yield return DestinationException.From(StsExplanations.ForAssumeRole(new AmazonSecurityTokenServiceException("The service returned an error. See inner exception for details.", ErrorType.Unknown, null, "r", HttpStatusCode.Forbidden), "arn:aws:iam::123456789012:role/r", "ext-123", endpoint));
            foreach (Exception failure in Failures())
            {
                yield return DestinationException.From(StsExplanations.Explain(failure, "arn:aws:iam::123456789012:role/r", "ext-123", endpoint, CancellationToken.None)!);
            }
        }

        string[] s3Codes = ["AccessDenied", "KMS.DisabledException", "NoSuchBucket", "PermanentRedirect", "AuthorizationHeaderMalformed", "AccessControlListNotSupported", "InvalidAccessKeyId", "ExpiredToken", "InvalidArgument", "SlowDown", "New"];
        foreach (bool staging in new[] { false, true })
        {
            foreach (Uri? url in new[] { null, new Uri("http://127.0.0.1:4568") })
            {
                var target = new S3Target(staging, BucketLocation.Parse("bucket/prefix"), "us-east-1", url);
                foreach (string code in s3Codes)
                {
                    yield return ErrorExplanations.ForS3(new AmazonS3Exception("words of S3; expecting 'eu-west-1'", ErrorType.Sender, code, "r", HttpStatusCode.BadRequest), target)!;
                }

                yield return ErrorExplanations.ForS3(new AmazonS3Exception("Exception of type 'Amazon.Runtime.Internal.HttpErrorResponseException' was thrown.", ErrorType.Unknown, null, "r", HttpStatusCode.Forbidden), target)!;
                foreach (Exception failure in Failures())
                {
                    yield return ErrorExplanations.ForS3(failure, target)!;
                }
            }
        }
    }

    private static IEnumerable<Exception> Failures() =>
    [
        new AWSCommonRuntimeException("Attempting to make a request that requires an implementation of AWS Signature V4a. Add a reference to the AWSSDK.Extensions.CrtIntegration NuGet package."),
        new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known"),
        new HttpRequestException("Connection refused", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)),
        new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout", new TimeoutException()),
        new IOException("Connection reset by peer"),
        new InvalidOperationException("Something else"),
    ];

    /// <summary>
    /// The IAM JSON in a text: each JSON object, and each <c>"Condition": {...}</c> or <c>"StringEquals": {...}</c>
    /// fragment (given with its key), as written, braces balanced.
    /// </summary>
    private static IEnumerable<string> IamSnippets(string text)
    {
        foreach (Match start in SnippetStart().Matches(text))
        {
            int open = text.IndexOf('{', start.Index);
            int depth = 0;
            for (int i = open; i < text.Length; i++)
            {
                depth += text[i] switch { '{' => 1, '}' => -1, _ => 0 };
                if (depth == 0)
                {
                    yield return text[start.Index..(i + 1)];
                    break;
                }
            }
        }
    }

    /// <summary>What makes <paramref name="snippet"/> not valid IAM policy JSON (a whole policy, a statement, or a fragment with its key); empty when it is.</summary>
    private static List<string> PolicyProblems(string snippet)
    {
        var problems = new List<string>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(snippet.TrimStart().StartsWith('{') ? snippet : "{" + snippet + "}");
        }
        catch (JsonException exception)
        {
            return [$"not JSON: {exception.Message}"];
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.TryGetProperty("Statement", out JsonElement statements))
            {
                Check(root.TryGetProperty("Version", out JsonElement version) && version.GetString() == "2012-10-17", "Version is not 2012-10-17");
                foreach (JsonElement statement in Items(statements))
                {
                    CheckStatement(statement);
                }
            }
            else if (root.TryGetProperty("Effect", out _))
            {
                CheckStatement(root);
            }
            else if (root.TryGetProperty("Condition", out JsonElement condition))
            {
                CheckCondition(condition);
            }
            else
            {
                CheckCondition(root);
            }
        }

        return problems;

        void Check(bool ok, string problem)
        {
            if (!ok)
            {
                problems.Add(problem);
            }
        }

        void CheckStatement(JsonElement statement)
        {
            foreach (JsonProperty property in statement.EnumerateObject())
            {
                Check(property.Name is "Sid" or "Effect" or "Principal" or "NotPrincipal" or "Action" or "NotAction" or "Resource" or "NotResource" or "Condition", $"unknown statement element '{property.Name}'");
            }

            Check(statement.TryGetProperty("Effect", out JsonElement effect) && effect.GetString() is "Allow" or "Deny", "Effect is not Allow or Deny");
            if (statement.TryGetProperty("Action", out JsonElement actions))
            {
                foreach (JsonElement action in Items(actions))
                {
                    Check(ActionName().IsMatch(action.GetString() ?? string.Empty), $"action '{action}' is not service:Action");
                }
            }

            if (statement.TryGetProperty("Condition", out JsonElement condition))
            {
                CheckCondition(condition);
            }
        }

        void CheckCondition(JsonElement condition)
        {
            Check(condition.ValueKind == JsonValueKind.Object, "a condition is an object");
            foreach (JsonProperty test in condition.EnumerateObject())
            {
                Check(ConditionOperator().IsMatch(test.Name), $"'{test.Name}' is not a condition operator");
                Check(test.Value.ValueKind == JsonValueKind.Object, $"'{test.Name}' does not hold an object of condition keys");
                if (test.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (JsonProperty key in test.Value.EnumerateObject())
                    {
                        Check(ConditionKey().IsMatch(key.Name), $"'{key.Name}' is not a condition key (service:Name)");
                    }
                }
            }
        }
    }

    /// <summary>The items of an IAM element that is one value or an array of them.</summary>
    private static IEnumerable<JsonElement> Items(JsonElement element) =>
        element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().ToList() : [element];

    private static string Kebab(string setting) => KebabBoundary().Replace(setting.Replace(" ", string.Empty, StringComparison.Ordinal), "-$1").ToLowerInvariant();

    [GeneratedRegex(@"```json\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex(@"""(Condition|StringEquals|StringLike)""\s*:\s*\{")]
    private static partial Regex SnippetStart();

    [GeneratedRegex(@"^[a-z0-9-]+:[A-Za-z0-9*]+$")]
    private static partial Regex ActionName();

    [GeneratedRegex(@"^(ForAllValues:|ForAnyValue:)?(String|Numeric|Date|Bool|Binary|IpAddress|NotIpAddress|Arn|Null)[A-Za-z]*$")]
    private static partial Regex ConditionOperator();

    [GeneratedRegex(@"^[a-z0-9-]+:[A-Za-z][A-Za-z0-9_/-]*$")]
    private static partial Regex ConditionKey();

    [GeneratedRegex(@"(?<!^)([A-Z])")]
    private static partial Regex KebabBoundary();
}
