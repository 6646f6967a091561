using RawDataDestination.Personas;

namespace RawDataDestination.Tests.Personas;

public class AudienceMembershipTests
{
    [TestCase("Order Completed Last 30days", "order_completed_last_30days")]
    [TestCase("30 Day Active Users", "30_day_active_users")]
    [TestCase("Users2024 Q3", "users2024_q3")]
    [TestCase("  VIP -- Customers!! ", "vip_customers")]
    [TestCase("Cart.Abandoners (EU)", "cart_abandoners_eu")]
    [TestCase("high-value & loyal", "high_value_loyal")]
    [TestCase("already_snake_case", "already_snake_case")]
    [TestCase("ALL CAPS", "all_caps")]
    [TestCase("iPhone Users", "iphone_users")]
    [TestCase("Größe Kunden", "größe_kunden")]
    [TestCase("Café Visitors", "café_visitors")]
    [TestCase("Cafe\u0301 Visitors", "café_visitors")] // decomposed é is composed first
    [TestCase("Ünïcödé Fans", "ünïcödé_fans")]
    [TestCase("日本 ユーザー", "日本_ユーザー")]
    [TestCase("Ελληνικά Κοινό", "ελληνικά_κοινό")]
    [TestCase("emoji 🎉 fans", "emoji_fans")]
    public void TraitName_FollowsTheSnakeCaseRule(string audience, string expected)
    {
        Assert.That(AudienceMembership.TraitName(audience), Is.EqualTo(expected));
    }

    [TestCase("")]
    [TestCase("!!! ---")]
    public void TraitName_WithoutALetterOrDigit_IsRefused(string audience)
    {
        var error = Assert.Throws<ArgumentException>(() => AudienceMembership.TraitName(audience));

        Assert.That(error!.Message, Does.Contain("no letter or digit"));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void IdentifyEvent_SetsTheTraitToWhetherTheUserIsInTheAudience(bool entered)
    {
        byte[] json = AudienceMembership.IdentifyEvent("Order Completed Last 30days", entered, "user-42", null, new DateTimeOffset(2023, 11, 24, 10, 0, 0, TimeSpan.Zero), "m-1");

        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        Assert.That(root.GetProperty("type").GetString(), Is.EqualTo("identify"));
        Assert.That(root.GetProperty("userId").GetString(), Is.EqualTo("user-42"));
        Assert.That(root.GetProperty("traits").GetProperty("order_completed_last_30days").GetBoolean(), Is.EqualTo(entered));
        Assert.That(root.GetProperty("timestamp").GetString(), Is.EqualTo("2023-11-24T10:00:00.000Z"));
        Assert.That(root.GetProperty("context").GetProperty("personas").GetProperty("computation_key").GetString(), Is.EqualTo("order_completed_last_30days"));
    }

    [Test]
    public void IdentifyEvent_WithoutAnyId_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => AudienceMembership.IdentifyEvent("VIP", true, null, "", DateTimeOffset.UnixEpoch));
    }

    [Test]
    public async Task IdentifyEvent_IsAcceptedByTheBufferAndKeepsNonAsciiTraitNamesReadable()
    {
        var consumer = new RecordingConsumer();
        await using (var buffer = new BatchBuffer(new BatchBufferOptions(), consumer, new FakeTimeProvider(Start)))
        {
            await buffer.AppendAsync("personas", AudienceMembership.IdentifyEvent("Größe Kunden", true, null, "anon-1", new DateTimeOffset(2023, 11, 24, 9, 0, 0, TimeSpan.Zero)));
            await buffer.FlushAsync();
        }

        Assert.That(consumer.AllLines.Single(), Does.Contain("\"traits\":{\"größe_kunden\":true}"));
    }
}
