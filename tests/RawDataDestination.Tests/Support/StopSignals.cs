namespace RawDataDestination.Tests.Support;

/// <summary>
/// The two signals that ask a program to stop, and the exit code it must end with after each (128 + the signal's number);
/// <see cref="Signals.Send"/> sends them.
/// </summary>
internal static class StopSignals
{
    /// <summary>INT and TERM, as <c>kill -INT</c> and <c>kill -TERM</c> name them.</summary>
    public static readonly string[] Names = ["INT", "TERM"];

    /// <summary>The cases <c>("INT", 130)</c> and <c>("TERM", 143)</c>: a test's <c>string signal, int exitCode</c>.</summary>
    public static readonly object[] WithExitCodes = [.. Names.Select(signal => new object[] { signal, ExitCode(signal) })];

    /// <summary>The exit code after <paramref name="signal"/>: 130 after INT, 143 after TERM.</summary>
    public static int ExitCode(string signal) => signal switch
    {
        "INT" or "TERM" => 128 + Signals.Number(signal),
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "INT or TERM"),
    };
}
