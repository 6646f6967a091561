namespace RawDataDestination.Tests.Support;

/// <summary>Makes sure tests/peers/node_modules holds the pinned s3rver, running <c>npm ci</c> once if it does not.</summary>
internal static class NodeModules
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static string S3rverScript => Path.Combine(RepoPaths.Peers, "node_modules", "s3rver", "bin", "s3rver.js");

    /// <summary>s3rver with S3's body checks (Content-MD5, x-amz-checksum-sha256: BadDigest), which s3rver lacks; same command line.</summary>
    public static string S3rverWithChecksumsScript => Path.Combine(RepoPaths.Peers, "s3rver-with-checksums.js");

    public static async Task EnsureInstalledAsync()
    {
        if (File.Exists(S3rverScript))
        {
            return;
        }

        await Gate.WaitAsync();
        try
        {
            if (File.Exists(S3rverScript))
            {
                return;
            }

            // A file lock as well, so two test processes do not run npm ci in the same folder at once.
            await using var crossProcess = await AcquireFileLockAsync(Path.Combine(RepoPaths.Peers, ".npm-ci.lock"));
            if (!File.Exists(S3rverScript))
            {
                await RunNpmCiAsync();
            }
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task RunNpmCiAsync()
    {
        var (exitCode, stdout, stderr) = await ChildProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5), RepoPaths.Peers);
        if (exitCode != 0 || !File.Exists(S3rverScript))
        {
            throw new InvalidOperationException(
                $"npm ci in {RepoPaths.Peers} failed ({exitCode}):{Environment.NewLine}{stdout}{stderr}");
        }
    }

    private static async Task<FileStream> AcquireFileLockAsync(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }
        }
    }
}
