using System.Diagnostics.CodeAnalysis;
using RawDataDestination.Internal;

namespace RawDataDestination.S3;

/// <summary>
/// Where the destination writes: an S3 bucket and an optional path prefix inside it, parsed from the
/// "Bucket" setting, which is <c>bucket</c> or <c>bucket/path/prefix</c> (as in Segment's AWS S3 destination).
/// </summary>
/// <remarks>
/// Objects are written under <see cref="KeyPrefix"/>, i.e. <c>segment-logs/</c> or <c>{prefix}/segment-logs/</c>.
/// </remarks>
public readonly partial record struct BucketLocation
{
    private const string Setting = "Bucket";
    private const string Expected = "enter the bucket name and an optional path prefix, like 'my-bucket' or 'my-bucket/path/prefix'";

    private readonly string? _bucketName;
    private readonly string? _prefix;

    private BucketLocation(string bucketName, string prefix)
    {
        _bucketName = bucketName;
        _prefix = prefix;
    }

    /// <summary>Gets the name of the S3 bucket, e.g. <c>my-bucket</c>.</summary>
    public string BucketName => _bucketName ?? string.Empty;

    /// <summary>
    /// Gets the path prefix inside the bucket, e.g. <c>path/prefix</c>; empty when there is none.
    /// It never starts or ends with '/'.
    /// </summary>
    public string Prefix => _prefix ?? string.Empty;

    /// <summary>
    /// Gets the prefix of every object key the destination writes: <c>segment-logs/</c>, or
    /// <c>{Prefix}/segment-logs/</c> when there is a prefix.
    /// </summary>
    public string KeyPrefix => ObjectKeyLayout.KeyPrefix(Prefix);

    /// <summary>Parses the "Bucket" setting: <c>bucket</c> or <c>bucket/path/prefix</c>.</summary>
    /// <param name="value">The setting's value.</param>
    /// <returns>The bucket location.</returns>
    /// <exception cref="FormatException">The value is not a valid bucket location; the message says why and what to enter.</exception>
    public static BucketLocation Parse(string? value) =>
        TryParse(value, out BucketLocation location, out string? error) ? location : throw new FormatException(error);

    /// <summary>Tries to parse the "Bucket" setting: <c>bucket</c> or <c>bucket/path/prefix</c>.</summary>
    /// <param name="value">The setting's value.</param>
    /// <param name="location">The bucket location when the value is valid; otherwise <see langword="default"/>.</param>
    /// <returns><see langword="true"/> when the value is valid.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out BucketLocation location) =>
        TryParse(value, out location, out _);

    /// <summary>Tries to parse the "Bucket" setting, giving the reason when it is not valid.</summary>
    /// <param name="value">The setting's value.</param>
    /// <param name="location">The bucket location when the value is valid; otherwise <see langword="default"/>.</param>
    /// <param name="error">The error message when the value is not valid; otherwise <see langword="null"/>.</param>
    /// <param name="setting">The setting's property name, for the message: "Bucket", or "Staging Bucket".</param>
    /// <param name="words">How the message names settings; the default is their property names.</param>
    /// <returns><see langword="true"/> when the value is valid.</returns>
    internal static bool TryParse([NotNullWhen(true)] string? value, out BucketLocation location, [NotNullWhen(false)] out string? error, string setting = Setting, SettingWords? words = null)
    {
        location = default;
        error = Validate(value, out BucketLocation parsed, (words ?? SettingWords.Properties).Name(setting));
        if (error is not null)
        {
            return false;
        }

        location = parsed;
        return true;
    }

    /// <summary>Returns the setting's canonical form: <c>bucket</c> or <c>bucket/prefix</c>.</summary>
    /// <returns>The bucket name, followed by '/' and the prefix when there is one.</returns>
    public override string ToString() => Prefix.Length == 0 ? BucketName : BucketName + "/" + Prefix;

    /// <summary>Creates a location without validation; for tests of code that consumes locations.</summary>
    internal static BucketLocation CreateUnchecked(string bucketName, string prefix) => new(bucketName, prefix);
}
