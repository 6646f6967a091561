namespace RawDataDestination.Tests.Support;

/// <summary>Runs the system's <c>gzip</c> on bytes, as a customer's tools would read an object.</summary>
internal static class SystemGzip
{
    /// <summary>Whether <c>gzip -t</c> accepts the bytes as a complete, valid gzip file.</summary>
    public static bool Test(byte[] gzip) => Run(gzip, "-t").ExitCode == 0;

    /// <summary>The bytes <c>gzip -dc</c> decompresses.</summary>
    public static byte[] Decompress(byte[] gzip)
    {
        var (exitCode, output) = Run(gzip, "-dc");
        Assert.That(exitCode, Is.Zero, "gzip -dc exit code");
        return output;
    }

    private static (int ExitCode, byte[] Output) Run(byte[] input, string arguments)
    {
        var start = new ProcessStartInfo("gzip", arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        Task copyOut = process.StandardOutput.BaseStream.CopyToAsync(output);
        Task drainErr = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        Task.WaitAll([copyOut, drainErr], TimeSpan.FromSeconds(60));
        Assert.That(process.WaitForExit(60_000), Is.True, "gzip finished");
        return (process.ExitCode, output.ToArray());
    }
}
