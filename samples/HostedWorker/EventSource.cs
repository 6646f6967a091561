using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace RawDataDestination.HostedWorker;

/// <summary>Stands in for whatever receives events: writes generated events (or stdin's lines) into the channel, then completes it.</summary>
internal sealed class EventSource(Channel<ReceivedEvent> channel, IOptions<WorkerOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        WorkerOptions worker = options.Value;
        try
        {
            if (worker.Events > 0)
            {
                for (int i = 0; i < worker.Events && !stoppingToken.IsCancellationRequested; i++)
                {
                    string json = $"{{\"type\":\"track\",\"messageId\":\"worker-{i}\",\"event\":\"Order Completed\",\"properties\":{{\"revenue\":{i % 100}.5}}}}";
                    await channel.Writer.WriteAsync(new ReceivedEvent(worker.SourceId, Encoding.UTF8.GetBytes(json)), stoppingToken);
                }
            }
            else
            {
                // A read of the console's stdin does not end when its token is cancelled: stop waiting for it instead,
                // or a stop with stdin still open waits out the host's ShutdownTimeout before the buffer even starts.
                using var stdin = new StreamReader(Console.OpenStandardInput());
                while (await stdin.ReadLineAsync(stoppingToken).AsTask().WaitAsync(stoppingToken) is { } line)
                {
                    await channel.Writer.WriteAsync(new ReceivedEvent(worker.SourceId, Encoding.UTF8.GetBytes(line)), stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is in the channel is still drained by the batching service.
        }
        finally
        {
            channel.Writer.TryComplete();
        }
    }
}
