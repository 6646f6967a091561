namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// A role ARN of one AWS partition with a region of another (<c>arn:aws-cn:...</c> with <c>--region us-east-1</c>) can
/// never work: <c>rawdata</c> refuses it with exit 2 before any call, naming both values and the partition each implies.
/// It was taken, and the spool's record took its partition from the region alone (QA-J J5c).
/// </summary>
public class RoleRegionPartitionTests
{
    [TestCase("verify")]
    [TestCase("ship")]
    public async Task Rawdata_WithARoleAndARegionOfTwoPartitions_ExitsTwoNamingBothAndTheirPartitions(string verb)
    {
        const string ChinaRole = "arn:aws-cn:iam::123456789012:role/SegmentS3Upload";
        string[] arguments = ["--region", "us-east-1", "--bucket", "cust-bucket", "--role-arn", ChinaRole, "--external-id", "ext-id-42", "--endpoint-url", "http://127.0.0.1:9", "--sts-endpoint-url", "http://127.0.0.1:9"];
        string[] command = verb == "ship" ? [verb, .. arguments, "--source-id", "partition"] : [verb, .. arguments];

        var (exitCode, _, stderr) = await RawdataProgram.RunAsync(command);

        Assert.That(exitCode, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain($"--role-arn '{ChinaRole}' is a role of partition 'aws-cn', but --region 'us-east-1' is a region of partition 'aws'"), stderr);
    }
}
