using System.Reflection;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary><see cref="TenantCopier"/>'s settings for the customer's bucket: the tenant's own, with one attempt per pass.</summary>
public class KafkaTenantCopierTests
{
    [Test]
    public void OneAttemptPerPass_EveryOtherSetting_IsTheTenants()
    {
        S3RoleDestinationOptions tenant = EverySetting.Changed<S3RoleDestinationOptions>();

        S3RoleDestinationOptions copier = TenantCopier.OneAttemptPerPass(tenant);

        Assert.That(copier.RetryTimeLimit, Is.EqualTo(TimeSpan.Zero), "one attempt per pass");
        Assert.Multiple(() =>
        {
            foreach (PropertyInfo property in EverySetting.Of<S3RoleDestinationOptions>().Where(p => p.Name != nameof(S3RoleDestinationOptions.RetryTimeLimit)))
            {
                Assert.That(property.GetValue(copier), Is.EqualTo(property.GetValue(tenant)), $"{property.Name}: the tenant's, not the default");
            }
        });
    }
}
