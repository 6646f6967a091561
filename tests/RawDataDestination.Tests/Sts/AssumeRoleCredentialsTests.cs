using Moq;

namespace RawDataDestination.Tests.Sts;

/// <summary>
/// <see cref="AssumeRoleCredentials"/> refuses what the destination's settings refuse, through the library's factory and
/// through the public constructor that 1.x keeps (obsolete) until 2.0.
/// </summary>
public class AssumeRoleCredentialsTests
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload";

    [Test]
    public void Create_WithoutAnExternalId_IsRefusedByTheExternalIdRule() =>
        Assert.That(
            () => AssumeRoleCredentials.Create(Mock.Of<IAmazonSecurityTokenService>(), new RoleSession(RoleArn, null!, "rawdata", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5)),
            Throws.ArgumentException.With.Property(nameof(ArgumentException.ParamName)).EqualTo("externalId").And.Message.StartsWith(AssumeRoleRules.ExternalIdError(null)!));

    [Test]
    public void Create_WithAUserArnForTheRole_IsRefusedByTheRoleArnRule() =>
        Assert.That(
            () => AssumeRoleCredentials.Create(Mock.Of<IAmazonSecurityTokenService>(), new RoleSession("arn:aws:iam::123456789012:user/alice", "ext-id-123", "rawdata", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5)),
            Throws.ArgumentException.With.Property(nameof(ArgumentException.ParamName)).EqualTo("roleArn").And.Message.StartsWith(AssumeRoleRules.RoleArnError("arn:aws:iam::123456789012:user/alice")!));

    [Test]
    public void Create_WithValidSettings_KeepsTheRoleArn() =>
        Assert.That(
            AssumeRoleCredentials.Create(Mock.Of<IAmazonSecurityTokenService>(), new RoleSession(RoleArn, "ext-id-123", "rawdata", TimeSpan.FromHours(1)), TimeSpan.FromMinutes(5)).RoleArn,
            Is.EqualTo(RoleArn));

    // These two check that the public constructor, obsolete in 1.x and removed in 2.0, still works as shipped.
#pragma warning disable CS0618
    [Test]
    public void Constructor_WithoutAnExternalId_IsRefusedByTheExternalIdRule() =>
        Assert.That(
            () => new AssumeRoleCredentials(Mock.Of<IAmazonSecurityTokenService>(), RoleArn, null!, "rawdata", TimeSpan.FromHours(1), TimeSpan.FromMinutes(5)),
            Throws.ArgumentException.With.Property(nameof(ArgumentException.ParamName)).EqualTo("externalId").And.Message.StartsWith(AssumeRoleRules.ExternalIdError(null)!));

    [Test]
    public void Constructor_WithValidSettings_KeepsTheRoleArn() =>
        Assert.That(
            new AssumeRoleCredentials(Mock.Of<IAmazonSecurityTokenService>(), RoleArn, "ext-id-123", "rawdata", TimeSpan.FromHours(1), TimeSpan.FromMinutes(5)).RoleArn,
            Is.EqualTo(RoleArn));
#pragma warning restore CS0618
}
