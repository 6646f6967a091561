namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>The KafkaToS3 sample's <c>--tenants</c> file: mapped onto the library's tenant options, or refused with every problem named.</summary>
public class KafkaTenantsFileTests
{
    private const string Role = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    private static readonly S3RoleDestinationOptions Defaults = new() { ServiceUrl = new Uri("http://127.0.0.1:9000"), StsServiceUrl = new Uri("http://127.0.0.1:9001") };

    private static string Problems(string json) =>
        Assert.Throws<UsageException>(() => TenantsFile.Parse(json, "tenants.json", Defaults))!.Message;

    [Test]
    public void Parse_AValidFile_MapsEveryTenantOntoTheLibrarysOptionsOverTheDefaults()
    {
        TenantDestinationsOptions options = TenantsFile.Parse($$"""
            {"tenants":[
              {"sources":["src-a","src-b"],"region":"us-east-1","bucket":"acme/logs","roleArn":"{{Role}}","externalId":"acme-id"},
              {"name":"globex","sources":["src-c"],"region":"eu-west-1","bucket":"globex","roleArn":"{{Role}}","externalId":"globex-id","acl":"none","sse":"aws:kms","kmsKeyId":"alias/globex","expectedBucketOwner":"123456789012"},
              {"sources":["src-d"],"region":"us-west-2","bucket":"initech","roleArn":"{{Role}}","externalId":"initech-id","acl":"bucket-owner-read","sse":"AES256"}
            ]}
            """, "tenants.json", Defaults);

        Assert.That(options.Defaults, Is.SameAs(Defaults));
        using var resolver = new TenantDestinationResolver(options);
        TenantDestination acme = resolver.Resolve("src-b")!;
        Assert.That((acme.Tenant, acme.Options.Region, acme.Options.Bucket, acme.Options.ExternalId, acme.Options.Acl, acme.Options.Encryption, acme.Options.ServiceUrl),
            Is.EqualTo(("src-a", "us-east-1", "acme/logs", "acme-id", ObjectAcl.BucketOwnerFullControl, ObjectEncryption.BucketDefault, Defaults.ServiceUrl)));
        TenantDestination globex = resolver.Resolve("src-c")!;
        Assert.That((globex.Tenant, globex.Options.Acl, globex.Options.Encryption, globex.Options.KmsKeyId), Is.EqualTo(("globex", ObjectAcl.None, ObjectEncryption.Kms, "alias/globex")));
        Assert.That((acme.Options.ExpectedBucketOwner, globex.Options.ExpectedBucketOwner), Is.EqualTo(((string?)null, "123456789012")), "optional: no expected owner unless given");
        TenantDestination initech = resolver.Resolve("src-d")!;
        Assert.That((initech.Options.Acl, initech.Options.Encryption), Is.EqualTo((ObjectAcl.BucketOwnerRead, ObjectEncryption.Aes256)));
        Assert.That(resolver.Resolve("src-e"), Is.Null);
    }

    [Test]
    public void Parse_NotJson_IsRefusedSayingWhereAndWhatToWrite()
    {
        string message = Problems("{\"tenants\": [ {\"sources\": [\"a\"] ");

        Assert.That(message, Does.StartWith("--tenants 'tenants.json' is not JSON at line 1, byte ").And.Contain("write {\"tenants\":[{\"sources\":[...]"));
    }

    [Test]
    public void Parse_NotJson_NamesTheLineAndByteAsAnEditorCountsThem()
    {
        // The error is on the file's third line, at its 19th byte (the second value's opening quote).
        string message = Problems("{\"tenants\":[\n  {\"sources\":[\"a\"],\n   \"bucket\":\"bbb\" \"region\":\"x\"}\n]}\n");

        Assert.That(message, Does.StartWith("--tenants 'tenants.json' is not JSON at line 3, byte 19 ('\"' is invalid after a value.").And.Not.Contain("LineNumber"));
    }

    [Test]
    public void Parse_AFieldGivenTwice_IsRefusedNamingIt()
    {
        // JSON readers keep the last of two values, so this tenant's events went to eu-west-1 without a word.
        string message = Problems($$"""
            {"tenants":[
              {"sources":["ios"],"region":"us-east-1","bucket":"globex","roleArn":"{{Role}}","externalId":"globex-id"}
            ],
            "tenants":[
              {"sources":["web"],"region":"us-east-1","bucket":"acme","roleArn":"{{Role}}","externalId":"acme-id","region":"eu-west-1"}
            ]}
            """);

        Assert.That(message, Does.Contain("'tenants.json' gives \"tenants\" twice; put every tenant in one \"tenants\" array."));
        Assert.That(message, Does.Contain("tenant 'web' (tenants[0]): \"region\" is given twice; keep one."));
    }

    [Test]
    public void Parse_AnUnknownFieldBesideTenants_IsRefusedNamingIt()
    {
        string message = Problems($$"""
            {"tenants":[{"sources":["web"],"region":"us-east-1","bucket":"acme","roleArn":"{{Role}}","externalId":"acme-id"}],
             "defaults":{"region":"eu-west-1"}
            }
            """);

        Assert.That(message, Does.Contain("'tenants.json' has an unknown field \"defaults\"; the file holds only \"tenants\"."));
    }

    [Test]
    public void Parse_SourcesThatAreNotAListOfIds_AreNamedForWhatTheyAre()
    {
        // Both were also, or only, said to be "missing or empty".
        string message = Problems($$"""
            {"tenants":[
              {"sources":"web","region":"us-east-1","bucket":"acme","roleArn":"{{Role}}","externalId":"acme-id"},
              {"name":"globex","sources":[null],"region":"us-east-1","bucket":"globex","roleArn":"{{Role}}","externalId":"globex-id"}
            ]}
            """);

        Assert.That(message, Does.Contain("tenants[0]: \"sources\" is \"web\", not an array; write it as a list of source ids, such as \"sources\":[\"src-a\"]."));
        Assert.That(message, Does.Contain("tenant 'globex' (tenants[1]): \"sources\" holds null; each source is a non-empty string"));
        Assert.That(message, Does.Not.Contain("missing or empty").And.Not.Contain("tenant '?'"), "a tenant with neither name nor source is named by its place alone");
    }

    [Test]
    public void Parse_TenantsGivenTwiceTheLastEmpty_SaysItIsGivenTwiceNotThatThereIsNoTenant()
    {
        // It said "lists no tenant": a JSON reader keeps the last "tenants", and the first one's tenant was out of sight.
        string message = Problems($$"""
            {"tenants":[{"sources":["web"],"region":"us-east-1","bucket":"acme","roleArn":"{{Role}}","externalId":"acme-id"}],"tenants":[]}
            """);

        Assert.That(message, Does.Contain("gives \"tenants\" twice; put every tenant in one \"tenants\" array.").And.Not.Contain("lists no tenant"), message);
    }

    [Test]
    public void Parse_AFieldThatIsNotAStringOrAnEmptyName_SaysTheFixAndNamesTheTenantAfterItsSource()
    {
        // "region":7 said only "must be a string."; "name":"" named the tenant '' in every problem.
        string message = Problems($$"""
            {"tenants":[{"name":"","sources":["web"],"region":7,"bucket":"acme","roleArn":"{{Role}}","externalId":"acme-id","acl":true}]}
            """);

        Assert.That(message, Says.All(
            "tenant 'web' (tenants[0]): \"region\" is 7, not a string; write the bucket's AWS region, such as \"region\":\"us-west-2\".",
            "tenant 'web' (tenants[0]): \"acl\" is true, not a string; write its value in quotes.",
            "tenant 'web' (tenants[0]): \"name\" must be a non-empty string"));
        Assert.That(message, Does.Not.Contain("tenant ''"), message);
    }

    [Test]
    public void Parse_AnUnnamedTenantWithABadSource_IsNamedAfterItsFirstValidSourceInEveryProblem()
    {
        // Its source problems said "tenant '?' (tenants[0])", its others "tenant 'web' (tenants[0])": two names for one tenant.
        string message = Problems($$"""
            {"tenants":[{"sources":["a b",7,"web"],"region":"us-wst-2","bucket":"acme","roleArn":"{{Role}}","externalId":"acme-id"}]}
            """);

        Assert.That(message, Says.All(
            "tenant 'web' (tenants[0]): \"sources\" holds 'a b', which no record can carry",
            "tenant 'web' (tenants[0]): \"sources\" holds 7; each source is a non-empty string",
            "tenant 'web' (tenants[0]): \"region\" 'us-wst-2'"));
        Assert.That(message, Does.Not.Contain("'?'"), message);
    }

    [TestCase("[]", "has no \"tenants\" array")]
    [TestCase("{\"customers\":[]}", "has no \"tenants\" array")]
    [TestCase("{\"tenants\":[]}", "lists no tenant; add one object per customer")]
    public void Parse_WithoutTenants_IsRefused(string json, string expected)
    {
        Assert.That(Problems(json), Does.Contain(expected));
    }

    [Test]
    public void Parse_MissingAndMistypedFields_AreEachNamedWithTheTenantAndTheFix()
    {
        string message = Problems("""
            {"tenants":[
              {"sources":["web"],"bucket":"acme","externalId":"x-1","externalID":"typo"},
              {"name":"globex","sources":[],"region":"us-east-1","bucket":"globex","roleArn":7,"externalId":"g-1"},
              "not an object"
            ]}
            """);

        Assert.That(message, Says.StartingWith(
            "--tenants 'tenants.json' is invalid:",
            "tenant 'web' (tenants[0]): \"region\" is missing; add the bucket's AWS region, such as \"region\":\"us-west-2\".",
            "tenant 'web' (tenants[0]): \"roleArn\" is missing; add the ARN of the role the customer created, such as \"roleArn\":\"arn:aws:iam::123456789012:role/SegmentS3Upload\".",
            "tenant 'web' (tenants[0]): unknown field \"externalID\"; write \"externalId\".",
            "tenant 'globex' (tenants[1]): \"sources\" is missing or empty; list the source ids whose records go to this customer",
            "tenant 'globex' (tenants[1]): \"roleArn\" is 7, not a string; write the ARN of the role the customer created, such as \"roleArn\":\"arn:aws:iam::123456789012:role/SegmentS3Upload\".",
            "tenants[2] in 'tenants.json' is string; each tenant is an object"));
    }

    [Test]
    public void Parse_ATenantWithAFieldMissing_StillNamesEveryProblemOfItsOtherFieldsAtOnce()
    {
        // It named only the missing "externalId": the bad region, bucket and ARN came one run later.
        string message = Problems("""
            {"tenants":[{"sources":["web"],"region":"us-wst-2","bucket":"s3://acme/logs","roleArn":"role/x"}]}
            """);

        Assert.That(message, Says.All(
            "tenant 'web' (tenants[0]): \"externalId\" is missing",
            "tenant 'web' (tenants[0]): \"region\" 'us-wst-2'",
            "tenant 'web' (tenants[0]): \"bucket\" 's3://acme/logs'",
            "tenant 'web' (tenants[0]): \"roleArn\" 'role/x'"));
        Assert.That(message.Split('\n').Count(line => line.Contains("\"externalId\"", StringComparison.Ordinal)), Is.EqualTo(1), "the missing field is named once\n" + message);
    }

    [Test]
    public void Parse_ASourceListedByTwoTenants_IsRefusedNamingBoth()
    {
        string message = Problems($$"""
            {"tenants":[
              {"sources":["web","ios"],"region":"us-east-1","bucket":"acme","roleArn":"{{Role}}","externalId":"a-1"},
              {"name":"globex","sources":["ios"],"region":"us-east-1","bucket":"globex","roleArn":"{{Role}}","externalId":"g-1"},
              {"name":"globex","sources":["tv"],"region":"us-east-1","bucket":"globex2","roleArn":"{{Role}}","externalId":"g-2"}
            ]}
            """);

        Assert.That(message, Does.Contain("tenant 'globex' (tenants[1]): source 'ios' is also listed by tenant 'web' (tenants[0]); list it under one tenant (a source's events go to one customer's bucket)."));
        Assert.That(message, Does.Contain("tenant 'globex' (tenants[2]): \"name\" 'globex' is also the name of tenant 'globex' (tenants[1]); give each tenant its own name."));
    }

    [Test]
    public void Parse_ATenantNamedAfterItsFirstSourceAndAnotherOfThatName_IsRefusedNamingBoth()
    {
        // A tenant without "name" is named after its first source; two tenants of one name would share a circuit
        // breaker, and the stage would know only one of them (the other's batches could be neither staged nor copied).
        string message = Problems($$"""
            {"tenants":[
              {"name":"web","sources":["acme-web"],"region":"us-east-1","bucket":"acme","roleArn":"{{Role}}","externalId":"a-1"},
              {"sources":["web"],"region":"us-east-1","bucket":"globex","roleArn":"{{Role}}","externalId":"g-1"},
              {"sources":["tv"],"region":"us-east-1","bucket":"initech","roleArn":"{{Role}}","externalId":"i-1"},
              {"name":"tv","sources":["initech-tv"],"region":"us-east-1","bucket":"initech2","roleArn":"{{Role}}","externalId":"i-2"}
            ]}
            """);

        Assert.That(message, Says.All(
            "tenant 'web' (tenants[1]): its name 'web' (its first source; it has no \"name\") is also the name of tenant 'web' (tenants[0]); give it a \"name\" of its own.",
            "tenant 'tv' (tenants[3]): \"name\" 'tv' is also the name of tenant 'tv' (tenants[2]); give each tenant its own name."));
    }

    [Test]
    public void Parse_TwoTenantsWithOneBucketAndPrefix_IsRefusedNamingBoth()
    {
        // Staged keys name the bucket and prefix, not the tenant: each tenant's copier would move the other's batches.
        string message = Problems($$"""
            {"tenants":[
              {"name":"acme","sources":["acme-web"],"region":"us-east-1","bucket":"shared/logs","roleArn":"{{Role}}","externalId":"a-1"},
              {"name":"globex","sources":["globex-web"],"region":"us-east-1","bucket":"shared/logs/","roleArn":"{{Role}}","externalId":"g-1"},
              {"name":"initech","sources":["initech-web"],"region":"us-east-1","bucket":"shared/logs/initech","roleArn":"{{Role}}","externalId":"i-1"}
            ]}
            """);

        Assert.That(message, Says.All("tenant 'globex' (tenants[1]): \"bucket\" 'shared/logs' is also the bucket and path prefix of tenant 'acme' (tenants[0]); list both tenants' sources under one tenant, or give each its own path prefix."));
        Assert.That(message, Does.Not.Contain("initech"), "a prefix below another is a place of its own");
    }

    [Test]
    public void Parse_ASourceIdNoRecordCanCarry_IsRefusedWithTheLibrarysRule()
    {
        string message = Problems($$"""
            {"tenants":[
              {"name":"acme","sources":["acme web","..","acme-ios"],"region":"us-east-1","bucket":"acme","roleArn":"{{Role}}","externalId":"a-1"},
              {"name":"globex","sources":["{{new string('g', 129)}}"],"region":"us-east-1","bucket":"globex","roleArn":"{{Role}}","externalId":"g-1"}
            ]}
            """);

        Assert.That(message, Says.All(
            "tenant 'acme' (tenants[0]): \"sources\" holds 'acme web', which no record can carry: ",
            "tenant 'acme' (tenants[0]): \"sources\" holds '..', which no record can carry: ",
            "tenant 'globex' (tenants[1]): \"sources\" holds 'ggg"));
        Assert.That(message, Does.Not.Contain("acme-ios"));
    }

    [Test]
    public void Parse_ASourceListedTwiceByOneTenant_IsRefusedNamingIt()
    {
        // It was taken once without a word: most often a copied line whose edit was forgotten, the source meant missing.
        string message = Problems($$"""
            {"tenants":[{"name":"acme","sources":["acme-web","acme-ios","acme-web"],"region":"us-east-1","bucket":"acme","roleArn":"{{Role}}","externalId":"a-1"}]}
            """);

        Assert.That(message, Does.Contain("tenant 'acme' (tenants[0]): \"sources\" holds 'acme-web' twice; list it once"), message);
        Assert.That(message, Does.Not.Contain("acme-ios"), message);
    }

    [Test]
    public void Parse_InvalidSettings_AreRefusedWithTheLibrarysRulesAndTheTenant()
    {
        string message = Problems($$"""
            {"tenants":[
              {"sources":["web"],"region":"us-wst-2","bucket":"s3://acme/logs","roleArn":"{{Role}}","externalId":"a-1"},
              {"sources":["ios"],"region":"us-east-1","bucket":"globex","roleArn":"{{Role}}","externalId":"g-1","acl":"public-read","sse":"aws:kms"},
              {"sources":["tv"],"region":"us-east-1","bucket":"initech","roleArn":"{{Role}}","externalId":"i-1","sse":"aes","kmsKeyId":"alias/k"}
            ]}
            """);

        Assert.That(message, Says.All(
            "tenant 'web' (tenants[0]): \"region\" 'us-wst-2'",
            "tenant 'web' (tenants[0]): \"bucket\" 's3://acme/logs'",
            "tenant 'ios' (tenants[1]): \"acl\" is 'public-read'; use bucket-owner-full-control (the default), bucket-owner-read, private, or none",
            "tenant 'ios' (tenants[1]): \"sse\" is aws:kms but \"kmsKeyId\" is missing; add the KMS key's ARN, id or alias",
            "tenant 'tv' (tenants[2]): \"sse\" is 'aes'; use AES256 (SSE-S3) or aws:kms (SSE-KMS, with \"kmsKeyId\"), or leave it out for the bucket's default encryption.",
            "tenant 'tv' (tenants[2]): \"kmsKeyId\" is given but \"sse\" is not aws:kms"));
    }

    [Test]
    public void Parse_AnExpectedBucketOwnerThatIsNoAccountId_IsRefusedWithTheLibrarysRuleInTheFilesWords()
    {
        // An account id written as a JSON number loses nothing here, but one with leading zeros would: it must be a string.
        string message = Problems($$"""
            {"tenants":[
              {"sources":["web"],"region":"us-east-1","bucket":"acme","roleArn":"{{Role}}","externalId":"a-1","expectedBucketOwner":"12345678901"},
              {"sources":["ios"],"region":"us-east-1","bucket":"globex","roleArn":"{{Role}}","externalId":"g-1","expectedBucketOwner":123456789012}
            ]}
            """);

        Assert.That(message, Does.Contain("tenant 'web' (tenants[0]): \"expectedBucketOwner\" '12345678901' has 11 digits; an AWS account id has exactly 12"), message);
        Assert.That(message, Does.Contain("tenant 'ios' (tenants[1]): \"expectedBucketOwner\" is 123456789012, not a string; write its value in quotes."), message);
        Assert.That(message, Does.Not.Contain("ExpectedBucketOwner"), "named as the file has it");
    }

    [Test]
    public void Parse_InvalidSettings_NameEachAsTheFileHasItNotAsTheLibrarysProperty()
    {
        // The library's rules, composed in the file's words: they said "Region 'us-wst-2'" and "RoleArn '...'", names
        // the file does not have.
        string message = Problems("""
            {"tenants":[{"sources":["web"],"region":"us-wst-2","bucket":"s3://acme/logs","roleArn":"role/x","externalId":"a-1"}]}
            """);

        Assert.That(message, Does.Contain("\"roleArn\" 'role/x'"), message);
        Assert.That(message, Does.Not.Contain("Region '").And.Not.Contain("Bucket '").And.Not.Contain("RoleArn '"), message);
    }
}
