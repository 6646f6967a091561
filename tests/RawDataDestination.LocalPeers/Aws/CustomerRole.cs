namespace RawDataDestination.LocalPeers.Aws;

/// <summary>A customer's role as created: its ARN and the two policies the customer attached.</summary>
/// <param name="RoleArn">The role's ARN.</param>
/// <param name="TrustPolicy">Who may assume the role, and with which external id.</param>
/// <param name="PermissionPolicy">What the role may do.</param>
internal sealed record CustomerRole(string RoleArn, string TrustPolicy, string PermissionPolicy);
