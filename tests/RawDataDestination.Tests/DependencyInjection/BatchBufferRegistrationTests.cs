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
}
