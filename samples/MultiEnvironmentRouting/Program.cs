// Multi-environment routing: staging sources go to the staging role and bucket, production sources to production,
// each environment with its own role and external id. One batch buffer; a consumer routes each sealed batch by its
// source id to the environment's destination.
//
//   dotnet MultiEnvironmentRouting.dll \
//       --Destinations:staging:Region us-east-1 --Destinations:staging:Bucket staging-bucket \
//       --Destinations:staging:RoleArn arn:aws:iam::111111111111:role/Staging --Destinations:staging:ExternalId STAGING-ID \
//       --Destinations:production:... (the same keys) \
//       --Routes:web-staging staging --Routes:web production --Routes:ios production [--Sources web,ios,unknown]
//
// It sends a few events from every source (the routed ones, or those --Sources lists), flushes, prints where each batch
// went, and exits. A source without a route is refused before any of its events are buffered: stderr names it and the
// fix, nothing of it is sent anywhere, and the exit code is 1.
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RawDataDestination;
using RawDataDestination.Batching;
using RawDataDestination.DependencyInjection;
using RawDataDestination.MultiEnvironmentRouting;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
foreach (IConfigurationSection environment in builder.Configuration.GetSection("Destinations").GetChildren())
{
    builder.Services.AddS3RoleDestination(environment.Key, environment);
}

Dictionary<string, string> routes = builder.Configuration.GetSection("Routes").GetChildren().ToDictionary(r => r.Key, r => r.Value!, StringComparer.Ordinal);
string[] sources = builder.Configuration["Sources"] is { Length: > 0 } listed
    ? listed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    : [.. routes.Keys];
using IHost host = builder.Build();
var router = new EnvironmentRouter(routes, host.Services.GetRequiredService<IS3RoleDestinationFactory>());
int refused = 0;

await using (var buffer = new BatchBuffer(new BatchBufferOptions(), router))
{
    foreach (string source in sources)
    {
        if (!router.HasRoute(source))
        {
            Console.Error.WriteLine($"refused: {EnvironmentRouter.NoRoute(source)}");
            refused++;
            continue;
        }

        for (int i = 0; i < 3; i++)
        {
            await buffer.AppendAsync(source, Encoding.UTF8.GetBytes($"{{\"type\":\"track\",\"messageId\":\"{source}-{i}\",\"event\":\"Signed Up\"}}"));
        }
    }

    await buffer.FlushAsync();
}

foreach (string line in router.Delivered)
{
    Console.WriteLine(line);
}

return refused == 0 ? 0 : 1;
