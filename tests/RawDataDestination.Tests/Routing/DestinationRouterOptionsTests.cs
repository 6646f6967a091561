namespace RawDataDestination.Tests.Routing;

/// <summary><see cref="DestinationRouterOptions.Problems"/>, the home of the router's option rule, and the constructor that uses it.</summary>
public class DestinationRouterOptionsTests
{
    [Test]
    public void Problems_Defaults_ReturnsNone() =>
        Assert.That(new DestinationRouterOptions().Problems(), Is.Empty);

    [TestCase("00:00:00")]
    [TestCase("-00:00:01")]
    public void Problems_IdleTimeoutNotAboveZero_NamesItsValueRangeAndDefault(string value) =>
        Assert.That(
            new DestinationRouterOptions { DestinationIdleTimeout = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) }.Problems(),
            Is.EqualTo(new[] { new SettingProblem("DestinationIdleTimeout", $"DestinationIdleTimeout is {value}; it must be greater than zero (the default is 10 minutes).") }));

    [Test]
    public void DestinationRouter_WithBadOptions_ThrowsTheOptionsProblems()
    {
        var options = new DestinationRouterOptions { DestinationIdleTimeout = TimeSpan.Zero };

        var error = Assert.Throws<ArgumentException>(() => new DestinationRouter(new TenantDestinationResolver(new TenantDestinationsOptions()), options).Dispose());

        Assert.That(error!.ParamName, Is.EqualTo("options"));
        Assert.That(error.Message, Does.StartWith(options.Problems().Single().Message));
    }
}
