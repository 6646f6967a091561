namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>The KafkaToS3 sample's option files (<c>--tenants</c>, <c>--kafka-config</c>) that can't be read.</summary>
public class KafkaOptionFileTests
{
    [Test]
    public void Load_ADirectoryForEitherFile_SaysItIsADirectoryNotThatAccessIsDenied()
    {
        // .NET's "Access to the path ... is denied" of a directory sent the user to its permissions.
        string directory = TestContext.CurrentContext.WorkDirectory;

        var config = Assert.Throws<UsageException>(() => KafkaConfigFile.Load(directory));
        var tenants = Assert.Throws<UsageException>(() => TenantsFile.Load(directory, new S3RoleDestinationOptions()));

        Assert.That(config!.Message, Is.EqualTo($"--kafka-config '{directory}' is a directory; give the path of a file of librdkafka settings, one name=value per line, such as security.protocol=SASL_SSL."));
        Assert.That(tenants!.Message, Is.EqualTo($"--tenants '{directory}' is a directory; give the path of a JSON file such as {{\"tenants\":[...]}}."));
    }

    [Test]
    public void Load_AFileThatDoesNotExist_SaysItCouldNotBeReadAndWhatToGive()
    {
        string missing = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"missing-{Guid.NewGuid():N}.json");

        var tenants = Assert.Throws<UsageException>(() => TenantsFile.Load(missing, new S3RoleDestinationOptions()));

        Assert.That(tenants!.Message, Does.StartWith($"--tenants '{missing}' could not be read (Could not find file").And.EndWith("); give the path of a JSON file such as {\"tenants\":[...]}."));
    }
}
