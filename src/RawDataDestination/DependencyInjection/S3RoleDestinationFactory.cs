using System.Collections.Concurrent;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.DependencyInjection;

/// <summary>Builds each named destination once, from the container's options, clock, logging and base credentials.</summary>
internal sealed class S3RoleDestinationFactory(
    IOptionsMonitor<S3RoleDestinationOptions> options,
    S3RoleDestinationNames names,
    TimeProvider? timeProvider = null,
    ILoggerFactory? loggerFactory = null,
    AWSCredentials? baseCredentials = null) : IS3RoleDestinationFactory, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<S3RoleDestination>> _destinations = new(StringComparer.Ordinal);

    public S3RoleDestination GetDestination(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!names.Contains(name))
        {
            throw new InvalidOperationException($"No S3RoleDestination is registered under the name '{name}'. Register it with services.AddS3RoleDestination(\"{name}\", ...). Registered: {names.Describe()}.");
        }

        return _destinations.GetOrAdd(name, key => new Lazy<S3RoleDestination>(() => Create(key))).Value;
    }

    public void Dispose()
    {
        foreach (Lazy<S3RoleDestination> destination in _destinations.Values)
        {
            if (destination.IsValueCreated)
            {
                destination.Value.Dispose();
            }
        }
    }

    private S3RoleDestination Create(string name) =>
        new(options.Get(name), baseCredentials, timeProvider, loggerFactory);
}

/// <summary>The names registered with <c>AddS3RoleDestination</c>.</summary>
internal sealed class S3RoleDestinationNames
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public void Add(string name)
    {
        lock (_names)
        {
            _names.Add(name);
        }
    }

    public bool Contains(string name)
    {
        lock (_names)
        {
            return _names.Contains(name);
        }
    }

    public string Describe()
    {
        lock (_names)
        {
            return _names.Count == 0 ? "none" : string.Join(", ", _names.Order(StringComparer.Ordinal).Select(n => $"'{n}'"));
        }
    }
}
