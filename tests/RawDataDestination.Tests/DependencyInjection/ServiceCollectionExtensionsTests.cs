using Microsoft.Extensions.Options;
using RawDataDestination.DependencyInjection;

namespace RawDataDestination.Tests.DependencyInjection;

/// <summary><c>AddS3RoleDestination</c>: named options, validation at start, and what the container provides.</summary>
public class ServiceCollectionExtensionsTests
{
    private static void Valid(S3RoleDestinationOptions options, string bucket = "customer-bucket", string roleArn = "arn:aws:iam::123456789012:role/SegmentS3Upload")
    {
        options.Region = "us-west-2";
        options.Bucket = bucket;
        options.RoleArn = roleArn;
        options.ExternalId = "ext-id-123";
    }

    /// <summary>A container with one destination, <paramref name="name"/>, bound from <paramref name="section"/> of <paramref name="settings"/> ("Key=Value" lines).</summary>
    private static ServiceProvider DestinationFromSettings(string name, string section, params string[] settings)
    {
        var services = new ServiceCollection();
        services.AddS3RoleDestination(name, InMemorySettings.Of(settings).GetSection(section));
        return services.BuildServiceProvider();
    }

    [Test]
    public void AddS3RoleDestination_TwoNames_GivesOneDestinationEachByKeyAndFromTheFactory()
    {
        var services = new ServiceCollection();
        services.AddSingleton<AWSCredentials>(new BasicAWSCredentials("BASEKEY", "base-secret"));
        services.AddS3RoleDestination("staging", o => Valid(o, "staging-bucket/raw"));
        services.AddS3RoleDestination("production", o => Valid(o, "production-bucket"));
        using ServiceProvider provider = services.BuildServiceProvider();

        var factory = provider.GetRequiredService<IS3RoleDestinationFactory>();
        S3RoleDestination staging = provider.GetRequiredKeyedService<S3RoleDestination>("staging");
        S3RoleDestination production = factory.GetDestination("production");

        Assert.That(staging, Is.SameAs(factory.GetDestination("staging")));
        Assert.That(production, Is.SameAs(provider.GetRequiredKeyedService<S3RoleDestination>("production")));
        Assert.That(staging.Location.ToString(), Is.EqualTo("staging-bucket/raw"));
        Assert.That(production.Location.ToString(), Is.EqualTo("production-bucket"));
        Assert.That(staging.Credentials, Is.SameAs(production.Credentials), "the same role, external id and base credentials share one credential cache");
    }

    [Test]
    public void AddS3RoleDestination_DifferentRoles_GetCredentialCachesOfTheirOwn()
    {
        var services = new ServiceCollection();
        services.AddSingleton<AWSCredentials>(new BasicAWSCredentials("BASEKEY", "base-secret"));
        services.AddS3RoleDestination("a", o => Valid(o, roleArn: "arn:aws:iam::123456789012:role/A"));
        services.AddS3RoleDestination("b", o => Valid(o, roleArn: "arn:aws:iam::123456789012:role/B"));
        using ServiceProvider provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IS3RoleDestinationFactory>();

        Assert.That(factory.GetDestination("a").Credentials, Is.Not.SameAs(factory.GetDestination("b").Credentials));
    }

    [Test]
    public void AddS3RoleDestination_WithoutAName_RegistersTheDefaultDestinationUnkeyed()
    {
        var services = new ServiceCollection();
        services.AddS3RoleDestination(o => Valid(o));
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.That(provider.GetRequiredService<S3RoleDestination>().Location.BucketName, Is.EqualTo("customer-bucket"));
    }

    [Test]
    public void ValidateOnStart_WithBadOptions_FailsWithTheConstructorsProblemsEachOnceNamingTheDestination()
    {
        var services = new ServiceCollection();
        static void Configure(S3RoleDestinationOptions o)
        {
            Valid(o);
            o.Bucket = "s3://customer-bucket/raw";
            o.ExternalId = "";
        }

        services.AddS3RoleDestination("production", Configure);
        using ServiceProvider provider = services.BuildServiceProvider();
        var options = new S3RoleDestinationOptions();
        Configure(options);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.That(error!.Failures, Is.EqualTo(options.Problems().Select(problem => $"S3RoleDestination 'production': {problem.Message}")));
        Assert.That(error.Failures, Has.Count.EqualTo(2));
        Assert.That(error.OptionsName, Is.EqualTo("production"));
    }

    [Test]
    public void ValidateOnStart_WithBadOptionsFromConfiguration_NamesEachSettingByItsConfigurationPath()
    {
        using ServiceProvider provider = DestinationFromSettings(
            "production",
            "RawData:Production",
            "RawData:Production:Region=us-west-2",
            "RawData:Production:Bucket=s3://customer-bucket/raw",
            "RawData:Production:RoleArn=arn:aws:iam::111111111111:role/Segment",
            "RawData:Production:ExternalId=customer-external-id",
            "RawData:Production:ConnectTimeout=-00:00:01");

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.That(error!.Failures, Is.EqualTo(new[]
        {
            "S3RoleDestination 'production': RawData:Production:Bucket 's3://customer-bucket/raw' is a URI; enter the bucket name and optional path prefix instead: 'customer-bucket/raw'.",
            "S3RoleDestination 'production': RawData:Production:ConnectTimeout is -00:00:01; it must be greater than zero (the default is 5 seconds).",
        }));
    }

    [Test]
    public void GetDestination_WithAnUnknownName_SaysWhichNamesExist()
    {
        var services = new ServiceCollection();
        services.AddS3RoleDestination("production", o => Valid(o));
        using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IS3RoleDestinationFactory>().GetDestination("prod"));

        Assert.That(error!.Message, Does.Contain("'prod'").And.Contain("Registered: 'production'"));
    }

    [Test]
    public void AddS3RoleDestination_FromAConfigurationSection_BindsEverySetting()
    {
        using ServiceProvider provider = DestinationFromSettings(
            "migration",
            "RawData",
            "RawData:Region=eu-west-1",
            "RawData:Bucket=mybucket/segment-logs/test",
            "RawData:RoleArn=arn:aws:iam::123456789012:role/SegmentS3Upload",
            "RawData:ExternalId=ext-id-123",
            "RawData:Acl=None",
            "RawData:RetryTimeLimit=00:01:00");

        S3RoleDestinationOptions options = provider.GetRequiredService<IOptionsMonitor<S3RoleDestinationOptions>>().Get("migration");
        S3RoleDestination destination = provider.GetRequiredKeyedService<S3RoleDestination>("migration");

        Assert.That((options.Region, options.Acl, options.RetryTimeLimit), Is.EqualTo(("eu-west-1", ObjectAcl.None, TimeSpan.FromMinutes(1))));
        Assert.That((options.RoleArn, options.ExternalId), Is.EqualTo(("arn:aws:iam::123456789012:role/SegmentS3Upload", "ext-id-123")));
        Assert.That((destination.Credentials.RoleArn, destination.Credentials.ExternalId), Is.EqualTo(("arn:aws:iam::123456789012:role/SegmentS3Upload", "ext-id-123")), "the destination assumes the bound role with the bound external id");
        Assert.That(destination.Location.BucketName, Is.EqualTo("mybucket"));
        Assert.That(destination.Location.KeyPrefix, Is.EqualTo("segment-logs/test/segment-logs/"));
    }
}
