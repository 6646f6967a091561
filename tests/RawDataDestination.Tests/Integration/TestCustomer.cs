namespace RawDataDestination.Tests.Integration;

/// <summary>A customer of its own for one test: a fresh bucket, and a role that trusts the service's identity.</summary>
/// <param name="Bucket">The customer's bucket.</param>
/// <param name="RoleArn">The role's ARN.</param>
/// <param name="ExternalId">The external id the trust policy requires (<see langword="null"/>: none).</param>
/// <param name="Role">The role as created, with its policies.</param>
internal sealed record TestCustomer(string Bucket, string RoleArn, string? ExternalId, CustomerRole Role)
{
    /// <summary>Creates the bucket and the role on the shared moto, as the customer would, and lets the service assume it.</summary>
    /// <param name="name">A short name; the bucket and role get a unique suffix.</param>
    /// <param name="externalId">The external id the trust policy requires; <see langword="null"/> leaves the condition out.</param>
    /// <param name="prefixes">The prefixes the role may write under ("" for none).</param>
    public static async Task<TestCustomer> CreateAsync(string name, string? externalId, params string[] prefixes)
    {
        string suffix = Guid.NewGuid().ToString("N")[..12];
        string bucket = $"{name}-{suffix}".ToLowerInvariant();
        CustomerRole role = await SharedPeers.S3.Account.CreateCustomerRoleAsync(
            new CustomerRoleSetup { RoleName = $"{name}-{suffix}", ExternalId = externalId, Bucket = bucket, Prefixes = prefixes.Length == 0 ? [string.Empty] : prefixes },
            SharedPeers.Service);
        return new TestCustomer(bucket, role.RoleArn, externalId, role);
    }
}
