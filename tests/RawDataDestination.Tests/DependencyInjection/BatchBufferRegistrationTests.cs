using Microsoft.Extensions.Options;

namespace RawDataDestination.Tests.DependencyInjection;

/// <summary><c>AddBatchBuffer</c>: options bound and validated at start, the container's consumer and clock.</summary>
public class BatchBufferRegistrationTests
{
    [Test]
    public async Task AddBatchBuffer_WithAConsumerInTheContainer_DeliversToItAndIsOneInstance()
    {
        var consumer = new RecordingConsumer();
        var services = new ServiceCollection();
        services.AddSingleton<ISealedBatchConsumer>(consumer);
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Start));
        services.AddBatchBuffer(o => { o.MaxBatchBytes = 4096; o.MaxEventBytes = 1024; });
        await using ServiceProvider provider = services.BuildServiceProvider();

        IBatchBuffer buffer = provider.GetRequiredService<IBatchBuffer>();
        Assert.That(buffer, Is.SameAs(provider.GetRequiredService<BatchBuffer>()));
        await buffer.AppendAsync("src", "{\"n\":1}"u8.ToArray());
        await buffer.FlushAsync();

        Assert.That(consumer.Batches, Has.Count.EqualTo(1));
        Assert.That(consumer.Batches.Single().FileName, Does.StartWith("1700820000000."), "sealed-at comes from the container's clock");
    }

    [Test]
    public void AddBatchBuffer_FromConfiguration_BindsTheSettings()
    {
        IConfiguration section = InMemorySettings.Of(
            "MaxBatchBytes=2048",
            "FlushInterval=00:10:00",
            "FlushOffset=00:05:00",
            "MaxEventBytes=1024");
        var services = new ServiceCollection();
        services.AddBatchBuffer(section);
        using ServiceProvider provider = services.BuildServiceProvider();

        BatchBufferOptions options = provider.GetRequiredService<IOptions<BatchBufferOptions>>().Value;
        Assert.That(options.MaxBatchBytes, Is.EqualTo(2048));
        Assert.That(options.FlushInterval, Is.EqualTo(TimeSpan.FromMinutes(10)));
        Assert.That(options.FlushOffset, Is.EqualTo(TimeSpan.FromMinutes(5)));
        Assert.That(options.MaxEventBytes, Is.EqualTo(1024));
    }

    [Test]
    public void AddBatchBuffer_InvalidOptions_FailsAtStartWithTheConstructorsProblemsEachOnce()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ISealedBatchConsumer>(new RecordingConsumer());
        static void Configure(BatchBufferOptions o)
        {
            o.FlushInterval = TimeSpan.Zero;
            o.MaxPendingBatches = 0;
            o.CompressionThreads = 65;
        }

        services.AddBatchBuffer(Configure);
        using ServiceProvider provider = services.BuildServiceProvider();
        var options = new BatchBufferOptions();
        Configure(options);

        var error = Assert.Throws<OptionsValidationException>(provider.GetRequiredService<IStartupValidator>().Validate);

        Assert.That(error!.Failures, Is.EqualTo(options.Problems().Select(problem => $"BatchBuffer: {problem.Message}")));
    }

    [Test]
    public void ValidateOnStart_WithBadOptionsFromConfiguration_NamesEachSettingByItsConfigurationPath()
    {
        IConfiguration configuration = InMemorySettings.Of(
            "Service:Buffer:MaxEventBytes=1024",
            "Service:Buffer:MaxBatchBytes=10",
            "Service:Buffer:FlushInterval=00:00:00");
        var services = new ServiceCollection();
        services.AddSingleton<ISealedBatchConsumer>(new RecordingConsumer());
        services.AddBatchBuffer(configuration.GetSection("Service:Buffer"));
        using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(provider.GetRequiredService<IStartupValidator>().Validate);

        Assert.That(error!.Failures, Is.EqualTo(new[]
        {
            "BatchBuffer: Service:Buffer:MaxBatchBytes is 10; it must be at least 1 KB and at least Service:Buffer:MaxEventBytes, which is 1024 (the default is 100 MB).",
            "BatchBuffer: Service:Buffer:FlushInterval is 00:00:00; it must be between 1 second and 1 day (the default is 1 hour).",
            "BatchBuffer: Service:Buffer:FlushOffset is 00:40:00; it must be at least zero and less than Service:Buffer:FlushInterval, which is 00:00:00 (the default is 40 minutes).",
        }));
    }

    [Test]
    public void ValidateOnStart_WithAValueOfTheWrongForm_FailsNamingItsPathTheValueAndTheFormWithTheOtherOptionsProblems()
    {
        Assert.That(StartupFailures("Buffer:MaxBatchBytes=10MB", "Destination:ResponseTimeout=ten seconds"), Is.EquivalentTo(new[]
        {
            "BatchBuffer: Buffer:MaxBatchBytes is '10MB', which is not a whole number; write it as one, such as 104857600.",
            "S3RoleDestination 'main': Destination:ResponseTimeout is 'ten seconds', which is not a duration; write it as [d.]hh:mm:ss[.fff], such as 00:00:30.",
        }));
    }

    [Test]
    public void ValidateOnStart_WithAValueHoldingQuotesAndALineBreak_StillNamesItsPathAndForm()
    {
        // The binder writes the value into its message between quotes, before the path: "Failed to convert configuration
        // value '10 ' at 'MB\n' at 'Buffer:MaxBatchBytes' to type 'System.Int64'." The value must not hide the path.
        IConfiguration configuration = InMemorySettings.Of("Buffer:MaxBatchBytes=10 ' at 'MB\n");
        var services = new ServiceCollection();
        services.AddSingleton<ISealedBatchConsumer>(new RecordingConsumer());
        services.AddBatchBuffer(configuration.GetSection("Buffer"));
        using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(provider.GetRequiredService<IStartupValidator>().Validate);

        Assert.That(error!.Failures, Has.Exactly(1).StartsWith("BatchBuffer: Buffer:MaxBatchBytes is '10 ").And.EndsWith(", which is not a whole number; write it as one, such as 104857600."));
    }

    [Test]
    public void ValidateOnStart_WithAMisspeltSetting_FailsNamingItsPathAndTheSettingItIsLikelyMeantFor()
    {
        // The binder passes over a key that names no setting: Buffer:MaxBatchByte left batches at 100 MB without a word.
        Assert.That(StartupFailures("Buffer:MaxBatchByte=1048576", "Destination:ExpectedBucketOwnr=111111111111"), Is.EquivalentTo(new[]
        {
            "BatchBuffer: Buffer:MaxBatchByte is not a setting, so it would be passed over without a word; did you mean Buffer:MaxBatchBytes?",
            "S3RoleDestination 'main': Destination:ExpectedBucketOwnr is not a setting, so it would be passed over without a word; did you mean Destination:ExpectedBucketOwner?",
        }));
    }

    /// <summary>
    /// What a host's start says of a buffer bound from <c>Buffer</c> and a destination "main" bound from
    /// <c>Destination</c> (a valid one, and <paramref name="lines"/>): every options validation failure.
    /// </summary>
    private static IEnumerable<string> StartupFailures(params string[] lines)
    {
        IConfiguration configuration = InMemorySettings.Of(
            [
                "Destination:Region=us-east-1",
                "Destination:Bucket=customer-bucket",
                "Destination:RoleArn=arn:aws:iam::111111111111:role/Segment",
                "Destination:ExternalId=customer-external-id",
                .. lines,
            ]);
        var services = new ServiceCollection();
        services.AddS3RoleDestination("main", configuration.GetSection("Destination"));
        services.AddSingleton<ISealedBatchConsumer>(new RecordingConsumer());
        services.AddBatchBuffer(configuration.GetSection("Buffer"));
        using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<AggregateException>(provider.GetRequiredService<IStartupValidator>().Validate);
        return [.. error!.InnerExceptions.SelectMany(e => ((OptionsValidationException)e).Failures)];
    }
}
