using System.Globalization;
using RawDataDestination.LocalPeers.Aws;

namespace RawDataDestination.LocalPeers;

/// <summary>
/// <c>localpeers setup-account</c>: on a fresh moto started with INITIAL_NO_AUTH_ACTION_COUNT=3 (IAM enforced after
/// that), sets up what a customer and the operator set up on AWS: the service's identity, the customer's bucket and a
/// role that trusts only that identity with the external id and may only put objects under the prefix. Prints the
/// policies it attached, and writes the keys and the role ARN as shell variables to <c>--env-file</c>.
/// </summary>
internal static class SetupAccountCommand
{
    public static async Task<int> RunAsync(CommandLine line, TextWriter output)
    {
        var endpoint = new Uri(line.Required("endpoint"));
        string bucket = line.Required("bucket");
        string prefix = line.Optional("prefix", string.Empty);
        string roleName = line.Required("role-name");
        string externalId = line.Required("external-id");
        string envFile = line.Required("env-file");

        AccessKey administrator = await AccountSetup.CreateAdministratorAsync(endpoint);
        using var account = new AccountSetup(endpoint, administrator);
        ServiceIdentity service = await account.CreateServiceIdentityAsync(line.Optional("service-user", "rawdata-service"));
        CustomerRole role = await account.CreateCustomerRoleAsync(
            new CustomerRoleSetup { RoleName = roleName, ExternalId = externalId, Bucket = bucket, Prefixes = [prefix] },
            service);

        await output.WriteLineAsync($"The service's identity (the operator's account): IAM user {service.Arn}, with an access key.");
        await output.WriteLineAsync($"It may only assume the customer's role (its policy):");
        await output.WriteLineAsync(Policies.ServiceAssumeRole(role.RoleArn));
        await output.WriteLineAsync();
        await output.WriteLineAsync($"The customer's bucket s3://{bucket} and role {role.RoleArn}.");
        await output.WriteLineAsync("Trust policy (who may assume the role, and with which external id):");
        await output.WriteLineAsync(role.TrustPolicy);
        await output.WriteLineAsync();
        await output.WriteLineAsync("Permission policy (what the role may do: put objects under the prefix, nothing else):");
        await output.WriteLineAsync(role.PermissionPolicy);

        string[] variables =
        [
            Variable("SERVICE_ACCESS_KEY_ID", service.Key.AccessKeyId),
            Variable("SERVICE_SECRET_ACCESS_KEY", service.Key.SecretAccessKey),
            Variable("ROLE_ARN", role.RoleArn),
            Variable("ADMIN_ACCESS_KEY_ID", administrator.AccessKeyId),
            Variable("ADMIN_SECRET_ACCESS_KEY", administrator.SecretAccessKey),
        ];
        await File.WriteAllLinesAsync(envFile, variables);
        return 0;
    }

    private static string Variable(string name, string value) =>
        string.Create(CultureInfo.InvariantCulture, $"{name}='{value.Replace("'", "'\\''", StringComparison.Ordinal)}'");
}
