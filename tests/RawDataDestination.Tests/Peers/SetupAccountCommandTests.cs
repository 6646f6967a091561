namespace RawDataDestination.Tests.Peers;

/// <summary><c>localpeers setup-account</c>, as samples/demo.sh runs it, on a fresh moto with IAM enforced.</summary>
[NonParallelizable]
public sealed class SetupAccountCommandTests
{
    private const string Bucket = "demo-like-bucket";
    private const string ExternalId = "setup-external-id";

    [Test]
    public async Task SetupAccount_OnAFreshMoto_PrintsThePoliciesAndLeavesARoleOnlyTheServiceMayAssumeWithTheExternalId()
    {
        (PeerProcess moto, Uri endpoint) = await MotoPeer.StartServerAsync();
        await using PeerProcess stopped = moto;
        string envFile = Path.GetTempFileName();
        try
        {
            var (exit, stdout, stderr) = await LocalPeersProgram.RunAsync(
                "setup-account", "--endpoint", endpoint.ToString(), "--bucket", Bucket, "--prefix", "team/raw",
                "--role-name", "SegmentS3Upload", "--external-id", ExternalId, "--env-file", envFile);

            Assert.That(exit, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain("\"sts:ExternalId\": \"" + ExternalId + "\"").And.Contain("\"AWS\": \"arn:aws:iam::123456789012:user/rawdata-service\""));
            Assert.That(stdout, Does.Contain("\"Resource\": \"arn:aws:s3:::demo-like-bucket/team/raw/segment-logs/*\"").And.Contain("\"s3:PutObjectAcl\""));
            Dictionary<string, string> variables = (await File.ReadAllLinesAsync(envFile))
                .Select(l => l.Split('=', 2))
                .ToDictionary(p => p[0], p => p[1].Trim('\''));

            var service = new BasicAWSCredentials(variables["SERVICE_ACCESS_KEY_ID"], variables["SERVICE_SECRET_ACCESS_KEY"]);
            using var sts = new AmazonSecurityTokenServiceClient(service, new AmazonSecurityTokenServiceConfig { ServiceURL = endpoint.ToString(), AuthenticationRegion = "us-east-1" });
            AssumeRoleRequest assume = new() { RoleArn = variables["ROLE_ARN"], RoleSessionName = "setup-test", ExternalId = ExternalId };
            Credentials role = (await sts.AssumeRoleAsync(assume)).Credentials;
            using AmazonS3Client s3 = RawDataDestination.LocalPeers.Aws.AccountSetup.CreateS3Client(endpoint, new SessionAWSCredentials(role.AccessKeyId, role.SecretAccessKey, role.SessionToken));
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "team/raw/segment-logs/src/x.gz", ContentBody = "{}", UseChunkEncoding = false });
            assume.ExternalId = null;
            Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => sts.AssumeRoleAsync(assume), "no external id: refused");
            Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "elsewhere/x.gz", ContentBody = "{}", UseChunkEncoding = false }), "outside the prefix: refused");

            var (listExit, listed, listError) = await LocalPeersProgram.RunAsync(
                "list", "--endpoint", endpoint.ToString(), "--bucket", Bucket, "--access-key-id", variables["ADMIN_ACCESS_KEY_ID"], "--secret-access-key", variables["ADMIN_SECRET_ACCESS_KEY"]);
            Assert.That(listExit, Is.Zero, listError);
            Assert.That(listed, Is.EqualTo("team/raw/segment-logs/src/x.gz\t2\n"), "the administrator reads back what the role wrote");
        }
        finally
        {
            File.Delete(envFile);
        }
    }
}
