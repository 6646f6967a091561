using RawDataDestination.Internal;

namespace RawDataDestination.Aws;

/// <summary>
/// The six parts of an ARN, <c>arn:{partition}:{service}:{region}:{account}:{resource}</c>, and the rules every ARN a
/// setting takes shares (the partitions and the account id), so the role ARN and the KMS key ARN read them alike.
/// </summary>
/// <param name="Partition">The partition, such as <c>aws</c>.</param>
/// <param name="Service">The service, such as <c>iam</c>.</param>
/// <param name="Region">The region; empty for global services.</param>
/// <param name="Account">The account id.</param>
/// <param name="Resource">The resource, such as <c>role/name</c>.</param>
internal readonly record struct AwsArn(string Partition, string Service, string Region, string Account, string Resource)
{
    /// <summary>The partitions a setting's ARN may name, for a message.</summary>
    public const string KnownPartitions = "'aws', 'aws-cn' or 'aws-us-gov'";

    /// <summary>Splits <paramref name="value"/>, which starts with <c>arn:</c>, into its parts; false when it has fewer than six.</summary>
    public static bool TrySplit(string value, out AwsArn arn)
    {
        string[] parts = value.Split(':', 6);
        arn = parts.Length < 6 ? default : new AwsArn(parts[1], parts[2], parts[3], parts[4], parts[5]);
        return parts.Length == 6;
    }

    /// <summary>True for the partitions of <see cref="KnownPartitions"/>.</summary>
    public static bool IsKnownPartition(string partition) => partition is "aws" or "aws-cn" or "aws-us-gov";

    /// <summary>True for an AWS account id: exactly 12 digits.</summary>
    public static bool IsAccountId(string value) => value.Length == 12 && SettingText.IsAll(value, char.IsAsciiDigit);
}
