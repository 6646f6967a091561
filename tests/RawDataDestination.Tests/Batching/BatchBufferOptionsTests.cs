namespace RawDataDestination.Tests.Batching;

/// <summary>
/// <see cref="BatchBufferOptions.Problems"/>, the one home of the buffer's option rules: every bad setting, its message
/// (value, valid range, default) and its setting. The constructor and the DI validator are tested only for using it.
/// </summary>
public class BatchBufferOptionsTests
{
    private static readonly TestCaseData[] BadSettings =
    [
        BadSetting.Case<BatchBufferOptions>("MaxEventBytes", o => o.MaxEventBytes = 1, "MaxEventBytes is 1; it must be at least 2 bytes (the default is 32 KB)."),
        BadSetting.Case<BatchBufferOptions>("MaxBatchBytes", o => o.MaxBatchBytes = 1023, "MaxBatchBytes is 1023; it must be at least 1 KB and at least MaxEventBytes, which is 32768 (the default is 100 MB)."),
        BadSetting.Case<BatchBufferOptions>("MaxBatchBytes", o => o.MaxBatchBytes = 2048, "MaxBatchBytes is 2048; it must be at least 1 KB and at least MaxEventBytes, which is 32768 (the default is 100 MB)."),
        BadSetting.Case<BatchBufferOptions>("MaxBatchBytes", o => o.MaxBatchBytes = 5L << 30, "MaxBatchBytes is 5368709120; it must be at most 5112 MB, so that a batch's object stays within S3's 5 GB for one PutObject (this library never uploads in parts), with room for gzip's growth of data that does not compress (the default is 100 MB)."),
        BadSetting.Case<BatchBufferOptions>("FlushInterval", o => { o.FlushInterval = TimeSpan.FromDays(2); o.FlushOffset = TimeSpan.Zero; }, "FlushInterval is 2.00:00:00; it must be between 1 second and 1 day (the default is 1 hour)."),
        BadSetting.Case<BatchBufferOptions>("FlushOffset", o => o.FlushOffset = TimeSpan.FromHours(1), "FlushOffset is 01:00:00; it must be at least zero and less than FlushInterval, which is 01:00:00 (the default is 40 minutes)."),
        BadSetting.Case<BatchBufferOptions>("FlushOffset", o => o.FlushOffset = TimeSpan.FromSeconds(-1), "FlushOffset is -00:00:01; it must be at least zero and less than FlushInterval, which is 01:00:00 (the default is 40 minutes)."),
        BadSetting.Case<BatchBufferOptions>("CompressionThreads", o => o.CompressionThreads = 65, "CompressionThreads is 65; it must be from 1 to 64 (the default is 1)."),
        BadSetting.Case<BatchBufferOptions>("MaxPendingBatches", o => o.MaxPendingBatches = 0, "MaxPendingBatches is 0; it must be at least 1 (the default is 32)."),
        BadSetting.Case<BatchBufferOptions>("MaxPendingBatchesPerLane", o => o.MaxPendingBatchesPerLane = 0, "MaxPendingBatchesPerLane is 0; it must be at least 1 (the default is 8)."),
        BadSetting.Case<BatchBufferOptions>("MaxConcurrentUploads", o => o.MaxConcurrentUploads = 0, "MaxConcurrentUploads is 0; it must be from 1 to 64 (the default is 16)."),
        BadSetting.Case<BatchBufferOptions>("MaxConcurrentUploadsPerLane", o => o.MaxConcurrentUploadsPerLane = 65, "MaxConcurrentUploadsPerLane is 65; it must be from 1 to 64 (the default is 4)."),
        BadSetting.Case<BatchBufferOptions>("RetryBaseDelay", o => { o.RetryBaseDelay = TimeSpan.Zero; o.RetryMaxDelay = TimeSpan.FromSeconds(1); }, "RetryBaseDelay is 00:00:00; it must be greater than zero (the default is 1 second)."),
        BadSetting.Case<BatchBufferOptions>("RetryMaxDelay", o => o.RetryMaxDelay = TimeSpan.FromMilliseconds(500), "RetryMaxDelay is 00:00:00.5000000; it must be at least RetryBaseDelay, which is 00:00:01, and at most 1 day (the default is 1 minute)."),
        BadSetting.Case<BatchBufferOptions>("RetryMaxDelay", o => o.RetryMaxDelay = TimeSpan.FromDays(2), "RetryMaxDelay is 2.00:00:00; it must be at least RetryBaseDelay, which is 00:00:01, and at most 1 day (the default is 1 minute)."),
        BadSetting.Case<BatchBufferOptions>("AttemptTimeout", o => o.AttemptTimeout = TimeSpan.Zero, "AttemptTimeout is 00:00:00; it must be from 10 milliseconds to 1 day, or Timeout.InfiniteTimeSpan (the default is 5 minutes)."),
        BadSetting.Case<BatchBufferOptions>("AttemptTimeout", o => o.AttemptTimeout = TimeSpan.FromMilliseconds(5), "AttemptTimeout is 00:00:00.0050000; it must be from 10 milliseconds to 1 day, or Timeout.InfiniteTimeSpan (the default is 5 minutes)."),
        BadSetting.Case<BatchBufferOptions>("AttemptTimeout", o => o.AttemptTimeout = TimeSpan.FromDays(2), "AttemptTimeout is 2.00:00:00; it must be from 10 milliseconds to 1 day, or Timeout.InfiniteTimeSpan (the default is 5 minutes)."),
        BadSetting.Case<BatchBufferOptions>("RetryBudget", o => o.RetryBudget = TimeSpan.FromSeconds(-2), "RetryBudget is -00:00:02; it must be from zero to 30 days, or Timeout.InfiniteTimeSpan to wait for ever (the default is 5 minutes)."),
        BadSetting.Case<BatchBufferOptions>("RetryBudget", o => o.RetryBudget = TimeSpan.FromDays(31), "RetryBudget is 31.00:00:00; it must be from zero to 30 days, or Timeout.InfiniteTimeSpan to wait for ever (the default is 5 minutes)."),
        BadSetting.Case<BatchBufferOptions>("MaxOpenBatches", o => o.MaxOpenBatches = 0, "MaxOpenBatches is 0; it must be at least 1 (the default is 20000)."),
        BadSetting.Case<BatchBufferOptions>("MaxSpoolBytes", o => o.MaxSpoolBytes = 1000, "MaxSpoolBytes is 1000; it must be at least 1 MB (the default is 10 GB)."),
        BadSetting.Case<BatchBufferOptions>("SpoolDirectory", o => o.SpoolDirectory = "", "SpoolDirectory is empty; it must be a directory path, or null for no spool (the default is null: no spool)."),
        BadSetting.Case<BatchBufferOptions>("ShutdownTimeout", o => o.ShutdownTimeout = TimeSpan.FromSeconds(-1), "ShutdownTimeout is -00:00:01; it must be from zero to 30 days (the default is 30 seconds)."),
        BadSetting.Case<BatchBufferOptions>("ShutdownTimeout", o => o.ShutdownTimeout = TimeSpan.FromDays(31), "ShutdownTimeout is 31.00:00:00; it must be from zero to 30 days (the default is 30 seconds)."),
    ];

    [Test]
    public void Problems_Defaults_ReturnsNone() =>
        Assert.That(new BatchBufferOptions().Problems(), Is.Empty);

    [TestCase(2, 1024)]
    [TestCase(1024, 1024)]
    public void Problems_AtTheLowestBounds_ReturnsNone(int maxEventBytes, long maxBatchBytes) =>
        Assert.That(new BatchBufferOptions { MaxEventBytes = maxEventBytes, MaxBatchBytes = maxBatchBytes, FlushInterval = TimeSpan.FromSeconds(1), FlushOffset = TimeSpan.Zero, RetryBudget = Timeout.InfiniteTimeSpan, AttemptTimeout = Timeout.InfiniteTimeSpan, MaxSpoolBytes = 1024 * 1024 }.Problems(), Is.Empty);

    [Test]
    public void Problems_AtTheHighestBatchSize_ReturnsNone() =>
        Assert.That(new BatchBufferOptions { MaxBatchBytes = (5L << 30) - (8L << 20) }.Problems(), Is.Empty);

    [TestCaseSource(nameof(BadSettings))]
    public void Problems_OneBadSetting_NamesItsValueRangeAndDefault(string setting, Action<BatchBufferOptions> breakIt, string message) =>
        Assert.That(BadSetting.ProblemsAfter(new BatchBufferOptions(), breakIt, options => options.Problems()), Is.EqualTo(new[] { new SettingProblem(setting, message) }));

    [TestCaseSource(nameof(BadSettings))]
    public void Problems_OneBadSetting_SaysTheDefaultThePropertyHas(string setting, Action<BatchBufferOptions> breakIt, string message)
    {
        var options = new BatchBufferOptions();
        breakIt(options);
        object? initial = typeof(BatchBufferOptions).GetProperty(setting)!.GetValue(new BatchBufferOptions());

        Assert.That(message, Does.EndWith($"(the default is {Said(initial)})."));
    }

    [Test]
    public void Problems_SeveralBadSettings_ReturnsEveryOneInOneCall()
    {
        var options = new BatchBufferOptions { MaxEventBytes = 1, FlushInterval = TimeSpan.Zero, MaxOpenBatches = 0, ShutdownTimeout = TimeSpan.FromSeconds(-1) };

        Assert.That(
            options.Problems().Select(problem => problem.Setting),
            Is.EqualTo(new[] { "MaxEventBytes", "FlushInterval", "FlushOffset", "MaxOpenBatches", "ShutdownTimeout" }));
    }

    [Test]
    public void Problems_InOtherWords_NamesTheSettingsInThem()
    {
        Assert.That(
            new BatchBufferOptions { MaxBatchBytes = 10 }.Problems(CommandLineWords.Flags).Single().Message,
            Is.EqualTo("--maxbatchbytes is 10; it must be at least 1 KB and at least --maxeventbytes, which is 32768 (the default is 100 MB)."));
    }

    [Test]
    public async Task BatchDelivered_WhenSet_ReceivesTheConsumersReceiptForEachBatch()
    {
        var receipts = new System.Collections.Concurrent.ConcurrentQueue<BatchReceipt>();
        var options = new BatchBufferOptions { BatchDelivered = receipts.Enqueue };
        var consumer = new RecordingConsumer();
        await using (var buffer = new BatchBuffer(options, consumer))
        {
            await buffer.AppendAsync("a", "{\"n\":1}"u8.ToArray());
            await buffer.AppendAsync("b", "{\"n\":2}"u8.ToArray());
            await buffer.FlushAsync();
        }

        Assert.That(receipts.Select(receipt => receipt.Location), Is.EquivalentTo(consumer.Batches.Select(batch => "memory:" + batch.FileName)));
        Assert.That(receipts.Sum(receipt => receipt.EventCount), Is.EqualTo(2));
    }


    /// <summary>How a message says a property's initial value: a duration in words, a size in bytes in units, a count as it is.</summary>
    private static string Said(object? initial) => initial switch
    {
        TimeSpan duration => SettingChecks.Duration(duration),
        null => "null: no spool",
        long bytes => SettingChecks.Size(bytes),
        int count when count % 1024 == 0 => SettingChecks.Size(count),
        int count => SettingChecks.Given(count),
        _ => initial.ToString()!,
    };
}
