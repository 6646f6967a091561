namespace RawDataDestination.Tests.Staging;

public class StagingKeysTests
{
    private static readonly BucketLocation Stage = BucketLocation.Parse("ops-staging/rawdata");
    private static readonly BucketLocation Customer = BucketLocation.Parse("acme-logs/team-a");

    [Test]
    public void Staged_PutsTheCustomerBucketAndKeyUnderTheStagePrefix()
    {
        string key = StagingKeys.Staged(Stage, Customer, "team-a/segment-logs/src/1700784000000/1700820000000.id.gz");

        Assert.That(key, Is.EqualTo("rawdata/~acme-logs/team-a/segment-logs/src/1700784000000/1700820000000.id.gz"));
        Assert.That(key, Does.StartWith(StagingKeys.DestinationPrefix(Stage, Customer)));
    }

    [Test]
    public void Staged_WithAnIdentityTag_PutsItAfterTheBucketAndParsesBackIntoEachPart()
    {
        const string Tag = "806c9c9cac5bbbdb56e6a3a46c880cb0";
        string key = StagingKeys.Staged(Stage, Customer, "team-a/segment-logs/src/1700784000000/1700820000000.id.gz", Tag);

        Assert.That(key, Is.EqualTo($"rawdata/~acme-logs~{Tag}/team-a/segment-logs/src/1700784000000/1700820000000.id.gz"));
        Assert.That(key, Does.StartWith(StagingKeys.DestinationPrefix(Stage, Customer, Tag)).And.StartWith(StagingKeys.AnyTagPrefix(Stage, "acme-logs")));
        Assert.That(key, Does.Not.StartWith(StagingKeys.DestinationPrefix(Stage, Customer)), "the untagged prefix does not list it");
        Assert.That(StagingKeys.TryParseStaged(key, out string stagePrefix, out string bucket, out string customerKey, out string tag), Is.True);
        Assert.That((stagePrefix, bucket, customerKey, tag), Is.EqualTo(("rawdata", "acme-logs", "team-a/segment-logs/src/1700784000000/1700820000000.id.gz", Tag)));
        Assert.That(StagingKeys.TryParseStaged(key, out _, out _, out _), Is.False, "the overload without a tag refuses tagged keys, as the version before did");
        Assert.That(StagingKeys.TryParse(key, StagingKeys.DestinationPrefix(Stage, Customer, "0" + Tag[1..]), out _), Is.False, "another identity's prefix does not parse it");
    }

    [TestCase("rawdata/~acme-logs~/team-a/segment-logs/src/1700784000000/1700820000000.id.gz")]
    [TestCase("rawdata/~acme-logs~ABC/team-a/segment-logs/src/1700784000000/1700820000000.id.gz")]
    [TestCase("rawdata/~acme-logs~a~b/team-a/segment-logs/src/1700784000000/1700820000000.id.gz")]
    [TestCase("rawdata/~~abc/team-a/segment-logs/src/1700784000000/1700820000000.id.gz")]
    public void TryParseStaged_ABucketFolderWithABadTag_IsRefused(string key)
    {
        Assert.That(StagingKeys.TryParseStaged(key, out _, out _, out _, out _), Is.False);
    }

    [Test]
    public void DestinationPrefix_WithoutStagePrefix_StartsWithTheCustomerBucket()
    {
        Assert.That(StagingKeys.DestinationPrefix(BucketLocation.Parse("ops-staging"), BucketLocation.Parse("acme-logs")), Is.EqualTo("~acme-logs/segment-logs/"));
    }

    [Test]
    public void TryParse_AStagedKey_GivesBackTheBatchIdentity()
    {
        string prefix = StagingKeys.DestinationPrefix(Stage, Customer);
        var sealedAt = new DateTimeOffset(2023, 11, 24, 10, 40, 0, 123, TimeSpan.Zero);
        string key = StagingKeys.Staged(Stage, Customer, ObjectKeyLayout.Build(Customer, "web-1", new DateOnly(2023, 11, 24), BatchNaming.FileName(sealedAt, "0190-abc")));

        Assert.That(StagingKeys.TryParse(key, prefix, out StagedBatchIdentity identity), Is.True);
        Assert.That(identity, Is.EqualTo(new StagedBatchIdentity("web-1", new DateOnly(2023, 11, 24), "0190-abc", sealedAt)));
    }

    [TestCase("rawdata/~acme-logs/team-a/segment-logs/src/1700784000000/1700820000000.id.gz.parked.json")]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/src/1700784000001/1700820000000.id.gz")]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/src/day/1700820000000.id.gz")]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/src/1700784000000/noid.gz")]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/bad source/1700784000000/1700820000000.id.gz")]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/extra/src/1700784000000/1700820000000.id.gz")]
    [TestCase("rawdata/~other-bucket/team-a/segment-logs/src/1700784000000/1700820000000.id.gz")]
    [TestCase("rawdata/acme-logs/team-a/segment-logs/src/1700784000000/1700820000000.id.gz")]
    public void TryParse_AKeyThisLibraryDidNotWrite_IsRefused(string key)
    {
        Assert.That(StagingKeys.TryParse(key, StagingKeys.DestinationPrefix(Stage, Customer), out _), Is.False);
    }

    [TestCase("rawdata/~acme-logs/team-a/segment-logs/x/segment-logs/src/1700784000000/1700820000000.id.gz", ExpectedResult = true)]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/x/segment-logs/src/1700784000000/1700820000000.id.gz.parked.json", ExpectedResult = true)]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/segment-logs/src/1700784000000/1700820000000.id.gz", ExpectedResult = true)]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/x/segment-logs/src/1700784000000/noid.gz", ExpectedResult = true)]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/src/1700784000000/1700820000000.id.gz", ExpectedResult = false)]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/src/1700784000000/1700820000000.id.gz.parked.json", ExpectedResult = false)]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/src/1700784000000/noid.gz", ExpectedResult = false)]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/extra/src/1700784000000/1700820000000.id.gz", ExpectedResult = false)]
    [TestCase("rawdata/~acme-logs/team-a/segment-logs/notes.txt", ExpectedResult = false)]
    public bool IsAnotherDestinations_AKeyUnderTheDestinationPrefix_IsWhenItsPathPrefixIsLonger(string key)
    {
        Assert.That(key, Does.StartWith(StagingKeys.DestinationPrefix(Stage, Customer)));
        return StagingKeys.IsAnotherDestinations(key, Customer);
    }

    [Test]
    public void IsAnotherDestinations_AStagedBatchOfADestinationWhosePrefixHoldsThisOnesKeyPrefix_IsAndDoesNotParseAsThisOnes()
    {
        BucketLocation nested = BucketLocation.Parse("acme-logs/team-a/segment-logs/x");
        string key = StagingKeys.Staged(Stage, nested, ObjectKeyLayout.Build(nested, "web-1", new DateOnly(2023, 11, 24), BatchNaming.FileName(TestBatches.SealedAt, "id")));

        Assert.That(key, Does.StartWith(StagingKeys.DestinationPrefix(Stage, Customer)), "listed under this destination's staging prefix");
        Assert.That(StagingKeys.TryParse(key, StagingKeys.DestinationPrefix(Stage, Customer), out _), Is.False);
        Assert.That(StagingKeys.IsAnotherDestinations(key, Customer), Is.True);
        Assert.That(StagingKeys.TryParse(key, StagingKeys.DestinationPrefix(Stage, nested), out _), Is.True, "its own destination's copier takes it");
        Assert.That(StagingKeys.IsAnotherDestinations(key, nested), Is.False);
    }

    [Test]
    public void IsMarker_GivesTheParkedBatchsKey()
    {
        Assert.That(StagingKeys.IsMarker("a/b.gz.parked.json", out string batch), Is.True);
        Assert.That(batch, Is.EqualTo("a/b.gz"));
        Assert.That(StagingKeys.IsMarker("a/b.gz", out _), Is.False);
        Assert.That(StagingKeys.Marker("a/b.gz"), Is.EqualTo("a/b.gz.parked.json"));
    }

    [Test]
    public void KeyLengthError_WhenTheStagePrefixPushesKeysPast1024Bytes_SaysSo()
    {
        Assert.That(StagingKeys.KeyLengthError(Stage, Customer), Is.Null);

        string? error = StagingKeys.KeyLengthError(BucketLocation.Parse("ops-staging/" + new string('p', 780)), Customer);

        Assert.That(error, Does.Contain("over S3's limit of 1024").And.Contain("shorter staging prefix"));
    }

    [Test]
    public void StagingConsumer_WhenStagedKeysCouldBeTooLong_IsRefused()
    {
        var options = new StagingOptions { Bucket = "ops-staging/" + new string('p', 780), Region = "us-east-1" };

        var exception = Assert.Throws<ArgumentException>(() => new StagingConsumer(options, Customer));
        Assert.That(exception!.Message, Does.Contain("over S3's limit of 1024"));
    }

    [Test]
    public void Staged_TheIssuesCollision_StagePrefixAWithBucketBAndNoStagePrefixWithBucketAPrefixB_GiveTwoKeys()
    {
        const string CustomerKey = "segment-logs/src/1700784000000/1700820000000.id.gz";

        string x = StagingKeys.Staged(BucketLocation.Parse("ops-staging/aaa-bucket"), BucketLocation.Parse("bbb-bucket"), CustomerKey);
        string y = StagingKeys.Staged(BucketLocation.Parse("ops-staging"), BucketLocation.Parse("aaa-bucket/bbb-bucket"), "bbb-bucket/" + CustomerKey);

        Assert.That(x, Is.EqualTo("aaa-bucket/~bbb-bucket/" + CustomerKey));
        Assert.That(y, Is.EqualTo("~aaa-bucket/bbb-bucket/" + CustomerKey));
        Assert.That(x, Does.Not.StartWith(StagingKeys.DestinationPrefix(BucketLocation.Parse("ops-staging"), BucketLocation.Parse("aaa-bucket/bbb-bucket"))));
    }

    [TestCase("ops-staging", "acme-logs", "segment-logs/s/1/2.id.gz", "")]
    [TestCase("ops-staging/rawdata", "acme-logs", "team-a/segment-logs/s/1/2.id.gz", "rawdata")]
    [TestCase("ops-staging/a/b.c/d-e", "acme.logs", "~x/acme-logs/segment-logs/s/1/2.id.gz", "a/b.c/d-e")]
    public void TryParseStaged_AStagedKey_GivesBackTheStagePrefixTheBucketAndTheCustomerKey(string stage, string bucket, string customerKey, string stagePrefix)
    {
        string staged = StagingKeys.Staged(BucketLocation.Parse(stage), BucketLocation.Parse(bucket), customerKey);

        Assert.That(StagingKeys.TryParseStaged(staged, out string parsedStagePrefix, out string parsedBucket, out string parsedKey), Is.True);
        Assert.That((parsedStagePrefix, parsedBucket, parsedKey), Is.EqualTo((stagePrefix, bucket, customerKey)));
    }

    [TestCase("rawdata/acme-logs/segment-logs/s/1/2.id.gz")]
    [TestCase("rawdata/~Acme/segment-logs/s/1/2.id.gz")]
    [TestCase("rawdata/~acme-logs/")]
    [TestCase("rawdata/~acme-logs")]
    public void TryParseStaged_AKeyWithoutABucketFolderOrKey_IsRefused(string key)
    {
        Assert.That(StagingKeys.TryParseStaged(key, out _, out _, out _), Is.False);
    }

    [TestCase("ops-staging", "~/start-probe")]
    [TestCase("ops-staging/rawdata", "rawdata/~/start-probe")]
    public void Probe_IsUnderTheStagePrefixAndNoStagedKey(string stage, string expected)
    {
        // KafkaToS3's start-up probe object: inside the prefix the operator's policy grants, never read as a staged batch.
        string probe = StagingKeys.Probe(BucketLocation.Parse(stage));

        Assert.That(probe, Is.EqualTo(expected));
        Assert.That(probe, Does.StartWith(StagingKeys.AnyDestinationPrefix(BucketLocation.Parse(stage))));
        Assert.That(StagingKeys.TryParseStaged(probe, out _, out _, out _), Is.False);
    }

    [Test]
    public void StagingOptions_WhenAFolderOfTheStagePrefixStartsWithTheBucketMark_IsRefusedNamingTheFolder()
    {
        var options = new StagingOptions { Bucket = "ops-staging/rawdata/~old", Region = "us-east-1" };

        var exception = Assert.Throws<ArgumentException>(() => new StagingConsumer(options, Customer));
        Assert.That(exception!.Message, Does.Contain("'~old'").And.Contain("Rename the folder"));
        Assert.That(StagingKeys.StagePrefixError(BucketLocation.Parse("ops-staging/raw~data")), Is.Null, "a '~' inside a folder name is fine");
    }
}
