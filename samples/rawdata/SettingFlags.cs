using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Cli;

/// <summary>
/// The one table from the library's settings (property names) to the flags that set them. The library composes its
/// messages with <see cref="Words"/>, so they name flags from the start: no message is ever rewritten.
/// </summary>
internal static class SettingFlags
{
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["Region"] = DestinationOptions.Region.Name,
        ["StsRegion"] = DestinationOptions.StsRegion.Name,
        ["Bucket"] = DestinationOptions.Bucket.Name,
        ["RoleArn"] = DestinationOptions.RoleArn.Name,
        ["ExternalId"] = DestinationOptions.ExternalId.Name,
        ["RoleSessionName"] = DestinationOptions.RoleSessionName.Name,
        ["ServiceUrl"] = DestinationOptions.EndpointUrl.Name,
        ["StsServiceUrl"] = DestinationOptions.StsEndpointUrl.Name,
        ["AllowUnknownRegion"] = DestinationOptions.AllowUnknownRegion.Name,
        ["Acl"] = DestinationOptions.Acl.Name,
        ["Encryption"] = DestinationOptions.Sse.Name,
        ["KmsKeyId"] = DestinationOptions.KmsKeyId.Name,
        ["ExpectedBucketOwner"] = DestinationOptions.ExpectedBucketOwner.Name,
        ["ConditionalWrites"] = DestinationOptions.ConditionalWritesFlag.Name,
        ["RetryTimeLimit"] = ShipCommand.RetryTimeLimit.Name,
        ["RetryBudget"] = ShipCommand.RetryTimeLimit.Name,
        ["SourceId"] = ShipCommand.SourceId.Name,
        ["MaxBatchBytes"] = ShipCommand.MaxBatchBytes.Name,
        ["MaxEventBytes"] = ShipCommand.MaxEventBytes.Name,
        ["CompressionThreads"] = ShipCommand.CompressionThreads.Name,
        ["ShutdownTimeout"] = ShipCommand.ShutdownTimeout.Name,
        ["SpoolDirectory"] = ShipCommand.SpoolDir.Name,
        ["Staging Bucket"] = DeliverStagedCommand.StageBucket.Name,
        ["Staging Region"] = DeliverStagedCommand.StageRegion.Name,
        ["Staging ServiceUrl"] = DeliverStagedCommand.StageEndpointUrl.Name,
        ["Staging AllowUnknownRegion"] = DestinationOptions.AllowUnknownRegion.Name,
    };

    /// <summary>Gets the words of <c>rawdata</c>: flags, and "add --acl none".</summary>
    public static SettingWords Words { get; } = new(Name, Assign, Default);

    /// <summary>The flag of <paramref name="setting"/>; a setting no flag sets keeps its property name.</summary>
    public static string Name(string setting) => Flags.TryGetValue(setting, out string? flag) ? flag : setting;

    /// <summary>The default of a flag whose default is not the library's: --compression-threads is the number of processors.</summary>
    private static string? Default(string setting) => setting == "CompressionThreads"
        ? $"the number of processors, {ShipCommand.DefaultCompressionThreads} here"
        : null;

    private static string Assign(string setting, string value) => setting switch
    {
        "AllowUnknownRegion" or "Staging AllowUnknownRegion" when value == "true" => $"add {Name(setting)}",
        "Acl" when DestinationOptions.AclChoices.FirstOrDefault(choice => $"{nameof(ObjectAcl)}.{choice.Value}" == value).Key is { } choice => $"add {Name(setting)} {choice}",
        _ => $"give {Name(setting)} {value}",
    };
}
