namespace RawDataDestination.Tests.Staging;

/// <summary>
/// <see cref="StagingOptions.Problems"/>, the one home of the staging settings' rules: which rule guards each setting,
/// and every range's message; and the validated copy the consumer and the copier are built from.
/// </summary>
public class StagingOptionsTests
{
    private static readonly TestCaseData[] BadRanges =
    [
        BadSetting.Case<StagingOptions>("Staging WarnBeforeExpiry", o => o.WarnBeforeExpiry = TimeSpan.FromDays(7), "Staging WarnBeforeExpiry is 7.00:00:00; it must be at least zero and less than Staging Retention, which is 7.00:00:00 (the default is 2 days)."),
        BadSetting.Case<StagingOptions>("Staging ParkedRetryInterval", o => o.ParkedRetryInterval = TimeSpan.Zero, "Staging ParkedRetryInterval is 00:00:00; it must be greater than zero (the default is 1 hour)."),
        BadSetting.Case<StagingOptions>("Staging PollInterval", o => o.PollInterval = TimeSpan.FromSeconds(-1), "Staging PollInterval is -00:00:01; it must be greater than zero (the default is 1 minute)."),
        BadSetting.Case<StagingOptions>("Staging MaxConcurrentCopies", o => o.MaxConcurrentCopies = 0, "Staging MaxConcurrentCopies is 0; it must be from 1 to 64 (the default is 4)."),
        BadSetting.Case<StagingOptions>("Staging MaxConcurrentCopies", o => o.MaxConcurrentCopies = 65, "Staging MaxConcurrentCopies is 65; it must be from 1 to 64 (the default is 4)."),
        BadSetting.Case<StagingOptions>("Staging RequestTimeout", o => o.RequestTimeout = TimeSpan.Zero, "Staging RequestTimeout is 00:00:00; it must be greater than zero (the default is 2 minutes)."),
    ];

    [Test]
    public void Problems_ValidBucketAndRegionWithDefaults_ReturnsNone() =>
        Assert.That(Valid().Problems(), Is.Empty);

    [TestCaseSource(nameof(BadRanges))]
    public void Problems_OneSettingOutOfRange_NamesItsValueRangeAndDefault(string setting, Action<StagingOptions> breakIt, string message) =>
        Assert.That(BadSetting.ProblemsAfter(Valid(), breakIt, options => options.Problems()), Is.EqualTo(new[] { new SettingProblem(setting, message) }));

    [Test]
    public void Problems_RetentionNotAboveZero_NamesItAndTheWarningThatCannotFitInIt()
    {
        StagingOptions options = Valid();
        options.Retention = TimeSpan.Zero;

        Assert.That(options.Problems(), Is.EqualTo(new[]
        {
            new SettingProblem("Staging Retention", "Staging Retention is 00:00:00; it must be greater than zero (the default is 7 days)."),
            new SettingProblem("Staging WarnBeforeExpiry", "Staging WarnBeforeExpiry is 2.00:00:00; it must be at least zero and less than Staging Retention, which is 00:00:00 (the default is 2 days)."),
        }));
    }

    [Test]
    public void Problems_EachSingleValueSetting_IsGuardedByItsRuleUnderItsStagingName()
    {
        var options = new StagingOptions { Bucket = "s3://ops-staging", Region = "US-EAST-1", ServiceUrl = new Uri("ftp://x") };

        List<SettingProblem> problems = options.Problems();

        Assert.That(problems.Select(problem => problem.Setting), Is.EqualTo(new[] { "Staging Bucket", "Staging Region", "Staging ServiceUrl" }));
        Assert.That(problems.Select(problem => problem.Message), Has.All.StartWith("Staging "));
    }

    [Test]
    public void Problems_ARegionTheSdkDoesNotKnow_IsRefusedUnlessAllowedNamingTheClosestAndTheSettingThatTakesIt()
    {
        // It was taken, and every batch then failed to stage, at s3.us-wst-2.amazonaws.com.
        var options = new StagingOptions { Bucket = "ops-staging", Region = "us-wst-2" };

        Assert.That(options.Problems(), Is.EqualTo(new[]
        {
            new SettingProblem("Staging Region", "Staging Region 'us-wst-2' is not an AWS region this version of the AWS SDK knows; did you mean 'us-west-2'? If 'us-wst-2' is a region newer than the SDK, set Staging AllowUnknownRegion to true to accept it."),
        }));
        options.AllowUnknownRegion = true;
        Assert.That(options.Problems(), Is.Empty);
    }

    [Test]
    public void Problems_AStagePrefixFolderStartingWithTheBucketMark_IsRefusedAsTheBucket() =>
        Assert.That(new StagingOptions { Bucket = "ops-staging/rawdata/~old", Region = "us-east-1" }.Problems().Select(problem => problem.Setting), Is.EqualTo(new[] { "Staging Bucket" }));

    [Test]
    public void From_ValidOptions_CopiesThemWithTheDocumentedDefaults()
    {
        StagingSettings settings = StagingSettings.From(Valid());

        Assert.That(settings.Location.BucketName, Is.EqualTo("ops-staging"));
        Assert.That(settings.Location.Prefix, Is.EqualTo("rawdata"));
        Assert.That(settings.Retention, Is.EqualTo(TimeSpan.FromDays(7)));
        Assert.That(settings.WarnBeforeExpiry, Is.EqualTo(TimeSpan.FromDays(2)));
        Assert.That(settings.ParkedRetryInterval, Is.EqualTo(TimeSpan.FromHours(1)));
    }

    [Test]
    public void StagingConsumer_WithBadOptions_ThrowsEveryProblemOfTheOptionsRules()
    {
        StagingOptions options = Valid();
        options.Bucket = "";
        options.MaxConcurrentCopies = 0;

        var error = Assert.Throws<ArgumentException>(() => new StagingConsumer(options, BucketLocation.Parse("acme-logs")));

        Assert.That(error!.ParamName, Is.EqualTo("options"));
        Assert.That(error.Message, Does.StartWith(string.Join(Environment.NewLine, options.Problems().Select(problem => problem.Message))));
    }

    private static StagingOptions Valid() => new() { Bucket = "ops-staging/rawdata", Region = "us-east-1" };
}
