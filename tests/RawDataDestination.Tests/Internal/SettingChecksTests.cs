namespace RawDataDestination.Tests.Internal;

/// <summary><see cref="SettingChecks"/>: the one wording of a value out of its range, and how durations and sizes are said.</summary>
public class SettingChecksTests
{
    [Test]
    public void Require_WhenNotValid_SaysTheValueTheRuleAndTheDefaultInTheCallersWords()
    {
        var check = new SettingChecks(CommandLineWords.Flags);

        check.Require(valid: true, "Fine", 1, "at least 1", 2);
        check.Require(valid: false, "PollInterval", TimeSpan.FromSeconds(-1), "greater than zero", TimeSpan.FromMinutes(1));

        Assert.That(check.Problems, Is.EqualTo(new[] { new SettingProblem("PollInterval", "--pollinterval is -00:00:01; it must be greater than zero (the default is 1 minute).") }));
    }

    [Test]
    public void Add_ARulesMessageOrNull_KeepsOnlyTheMessage()
    {
        var check = new SettingChecks(null);

        check.Add("Region", null);
        check.Add("Bucket", "Bucket is not set; enter it.");

        Assert.That(check.Problems, Is.EqualTo(new[] { new SettingProblem("Bucket", "Bucket is not set; enter it.") }));
    }

    [Test]
    public void ThrowIfAny_SomeProblems_ThrowsOneExceptionWithALineEach()
    {
        var problems = new List<SettingProblem> { new("A", "A is 0."), new("B", "B is 0.") };

        var error = Assert.Throws<ArgumentException>(() => SettingChecks.ThrowIfAny(problems, "options"));

        Assert.That(error!.ParamName, Is.EqualTo("options"));
        Assert.That(error.Message, Does.StartWith("A is 0." + Environment.NewLine + "B is 0."));
        Assert.That(() => SettingChecks.ThrowIfAny([], "options"), Throws.Nothing);
    }

    [TestCase(0, "zero")]
    [TestCase(200, "200 milliseconds")]
    [TestCase(1_000, "1 second")]
    [TestCase(30_000, "30 seconds")]
    [TestCase(2_400_000, "40 minutes")]
    [TestCase(3_600_000, "1 hour")]
    [TestCase(172_800_000, "2 days")]
    [TestCase(90_000_000, "25 hours")]
    [TestCase(1_500, "1500 milliseconds")]
    public void Duration_AnyWholeUnit_IsSaidInTheLargestUnitThatFits(long milliseconds, string said) =>
        Assert.That(SettingChecks.Duration(TimeSpan.FromMilliseconds(milliseconds)), Is.EqualTo(said));

    [Test]
    public void Duration_NotAWholeMillisecond_IsSaidAsGiven() =>
        Assert.That(SettingChecks.Duration(TimeSpan.FromTicks(15)), Is.EqualTo("00:00:00.0000015"));

    [TestCase(1, "1 byte")]
    [TestCase(2, "2 bytes")]
    [TestCase(1000, "1000 bytes")]
    [TestCase(1024, "1 KB")]
    [TestCase(32_768, "32 KB")]
    [TestCase(104_857_600, "100 MB")]
    [TestCase(10_737_418_240, "10 GB")]
    [TestCase(1_572_864, "1536 KB")]
    public void Size_AnyByteCount_IsSaidInTheLargestExactUnit(long bytes, string said) =>
        Assert.That(SettingChecks.Size(bytes), Is.EqualTo(said));
}
