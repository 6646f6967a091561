using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RawDataDestination.Batching;
using RawDataDestination.DependencyInjection;
using RawDataDestination.Internal;
using RawDataDestination.Routing;
using RawDataDestination.S3;

namespace RawDataDestination;

/// <summary>Registers <see cref="S3RoleDestination"/>s with named, validated options, and a <see cref="BatchBuffer"/> that feeds one.</summary>
/// <remarks>
/// <para>
/// Each call registers one named destination: its options (validated at start, with <c>ValidateOnStart</c>, by the rules
/// and messages of the destination's constructor), a keyed <see cref="S3RoleDestination"/> singleton under
/// the name, and <see cref="IS3RoleDestinationFactory"/>. The destination for <see cref="Options.DefaultName"/> (the
/// overloads without a name) is also registered without a key.
/// </para>
/// <para>
/// A <see cref="TimeProvider"/>, an <c>ILoggerFactory</c> and an <c>Amazon.Runtime.AWSCredentials</c> (the base
/// credentials that call STS) registered in the container are used; without them, the system clock, no logging and the
/// AWS SDK's default credential chain. Destinations with the same role share one credential cache.
/// </para>
/// </remarks>
public static class RawDataDestinationServiceCollectionExtensions
{
    /// <summary>Registers the default destination, configured by <paramref name="configure"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The options builder, for more configuration.</returns>
    public static OptionsBuilder<S3RoleDestinationOptions> AddS3RoleDestination(this IServiceCollection services, Action<S3RoleDestinationOptions> configure) =>
        services.AddS3RoleDestination(Options.DefaultName, configure);

    /// <summary>Registers the destination named <paramref name="name"/>, configured by <paramref name="configure"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The destination's name: its options' name and its service key.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The options builder, for more configuration.</returns>
    public static OptionsBuilder<S3RoleDestinationOptions> AddS3RoleDestination(this IServiceCollection services, string name, Action<S3RoleDestinationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddS3RoleDestinationCore(name).Configure(configure);
    }

    /// <summary>Registers the destination named <paramref name="name"/>, bound to a configuration section.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The destination's name: its options' name and its service key.</param>
    /// <param name="configuration">The section, with keys named as the options' properties (<c>Region</c>, <c>Bucket</c>, <c>RoleArn</c>, <c>ExternalId</c>, ...).</param>
    /// <returns>The options builder, for more configuration.</returns>
    public static OptionsBuilder<S3RoleDestinationOptions> AddS3RoleDestination(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        OptionsBuilder<S3RoleDestinationOptions> builder = services.AddS3RoleDestinationCore(name);
        return BindTo(services, builder, DestinationValidator(services), name, configuration);
    }

    /// <summary>
    /// Registers one <see cref="BatchBuffer"/>, as itself and as <see cref="IBatchBuffer"/>, with options configured by
    /// <paramref name="configure"/> and validated at start.
    /// </summary>
    /// <remarks>
    /// The buffer delivers to the <see cref="ISealedBatchConsumer"/> registered in the container, or else to the default
    /// <see cref="S3RoleDestination"/> (<see cref="AddS3RoleDestination(IServiceCollection, Action{S3RoleDestinationOptions})"/>).
    /// It uses the container's <see cref="TimeProvider"/> and logger when there are any. The container disposes it,
    /// which seals and delivers what is open within <see cref="BatchBufferOptions.ShutdownTimeout"/>.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The options builder, for more configuration.</returns>
    public static OptionsBuilder<BatchBufferOptions> AddBatchBuffer(this IServiceCollection services, Action<BatchBufferOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddBatchBufferCore().Configure(configure);
    }

    /// <summary>Registers one <see cref="BatchBuffer"/>, with options bound to a configuration section and validated at start.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section, with keys named as the options' properties (<c>MaxBatchBytes</c>, <c>FlushInterval</c>, <c>SpoolDirectory</c>, ...).</param>
    /// <returns>The options builder, for more configuration.</returns>
    public static OptionsBuilder<BatchBufferOptions> AddBatchBuffer(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        OptionsBuilder<BatchBufferOptions> builder = services.AddBatchBufferCore();
        return BindTo(services, builder, BufferValidator(services), Options.DefaultName, configuration);
    }

    /// <summary>
    /// Registers the customers one service delivers for: <see cref="TenantDestinationsOptions"/> bound to
    /// <paramref name="configuration"/> (reloaded on change), a <see cref="TenantDestinationResolver"/> as
    /// <see cref="IDestinationResolver"/>, and a <see cref="DestinationRouter"/> as the <see cref="ISealedBatchConsumer"/>
    /// that <see cref="AddBatchBuffer(IServiceCollection, Action{BatchBufferOptions})"/> delivers to. Each customer is a
    /// lane: one whose role, bucket or endpoint is broken never slows the others.
    /// </summary>
    /// <remarks>
    /// The router uses the container's <see cref="TimeProvider"/>, <c>ILoggerFactory</c> and
    /// <c>Amazon.Runtime.AWSCredentials</c> (the base credentials that call STS) when there are any. A change of the
    /// section reaches the batches sealed after it, without a restart. The tenants are validated at start
    /// (<c>ValidateOnStart</c>): what is everyone's (an invalid setting of <c>Defaults</c>, a value of the wrong form
    /// outside a tenant's entry, no tenant at all, or no tenant able to deliver) stops the host, each problem named by its
    /// configuration path (<c>Tenants:Defaults:ConnectTimeout</c>) with its fix. What is one tenant's own (its invalid
    /// setting or value of the wrong form, its name, its sources) does not: as after a reload, each problem is logged
    /// (<c>Tenants:Tenants:2:Bucket</c> and the fix) and only that tenant is parked, so a restart after such a reload
    /// still serves everyone else.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section: <c>Defaults</c> (settings every customer shares) and <c>Tenants</c> (each with <c>Name</c>, <c>Sources</c>, <c>Region</c>, <c>Bucket</c>, <c>RoleArn</c>, <c>ExternalId</c>...).</param>
    /// <param name="configureRouter">Sets the router's options, such as the idle timeout of destinations; optional.</param>
    /// <returns>The options builder of the tenants, for more configuration.</returns>
    public static OptionsBuilder<TenantDestinationsOptions> AddTenantDestinations(this IServiceCollection services, IConfiguration configuration, Action<DestinationRouterOptions>? configureRouter = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var routerOptions = new DestinationRouterOptions();
        configureRouter?.Invoke(routerOptions);
        services.TryAddSingleton<IDestinationResolver>(static provider => new TenantDestinationResolver(
            provider.GetRequiredService<IOptionsMonitor<TenantDestinationsOptions>>(),
            logger: provider.GetService<Microsoft.Extensions.Logging.ILogger<TenantDestinationResolver>>()));
        services.TryAddSingleton(provider => new DestinationRouter(
            provider.GetRequiredService<IDestinationResolver>(),
            routerOptions,
            provider.GetService<Amazon.Runtime.AWSCredentials>(),
            provider.GetService<TimeProvider>(),
            provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.TryAddSingleton<ISealedBatchConsumer>(static provider => provider.GetRequiredService<DestinationRouter>());
        services.AddSingleton<IValidateOptions<TenantDestinationsOptions>>(new TenantDestinationsValidator((configuration as IConfigurationSection)?.Path ?? string.Empty));
        services.AddSingleton<IOptionsChangeTokenSource<TenantDestinationsOptions>>(new ConfigurationChangeTokenSource<TenantDestinationsOptions>(Options.DefaultName, configuration));
        string? section = (configuration as IConfigurationSection)?.Path;
        return services.AddOptions<TenantDestinationsOptions>()
            .Configure(options => BindTenants(configuration, section, options))
            .ValidateOnStart();
    }

    /// <summary>
    /// Binds <paramref name="options"/> to <paramref name="configuration"/>. A value of the wrong form outside the tenants'
    /// entries (in <c>Defaults</c>) makes the whole section unreadable; one in a tenant's entry parks that tenant alone: it
    /// is kept, with its name and sources, and the value named as its problem. Binding the whole options, the binder would
    /// skip such an entry without a word (its sources refused as listed by no tenant, the tenants after it named by the
    /// wrong index).
    /// </summary>
    private static void BindTenants(IConfiguration configuration, string? section, TenantDestinationsOptions options)
    {
        options.Section = string.IsNullOrEmpty(section) ? null : section;
        configuration = OneVersion(configuration, section);
        if (!ConfigurationBinding.TryBind(configuration, options, out string? problem))
        {
            options.Unreadable = problem;
            return;
        }

        options.Tenants.Clear();
        foreach (IConfigurationSection entry in configuration.GetSection(nameof(TenantDestinationsOptions.Tenants)).GetChildren())
        {
            var tenant = new TenantOptions();
            if (!ConfigurationBinding.TryBind(entry, tenant, out problem))
            {
                tenant = new TenantOptions { Name = entry[nameof(TenantOptions.Name)], Unreadable = problem };
                foreach (IConfigurationSection source in entry.GetSection(nameof(TenantOptions.Sources)).GetChildren())
                {
                    if (source.Value is not null)
                    {
                        tenant.Sources.Add(source.Value);
                    }
                }
            }

            options.Tenants.Add(tenant);
        }
    }

    /// <summary>
    /// A copy of <paramref name="configuration"/> as one version of its sources gave it. The binding reads the section key by
    /// key, and a file provider that reloads in between (a tenants file replaced while the host starts) gave a bind half of
    /// the old file and half of the new: a tenant gone, another listed twice, one with no settings, bound until the next
    /// reload. The copy is taken again while a reload fired during it (its token changed); one that lands after the copy
    /// fires the options' change token and is bound in turn.
    /// </summary>
    private static IConfiguration OneVersion(IConfiguration configuration, string? section)
    {
        const int Attempts = 10;
        for (int attempt = 1; ; attempt++)
        {
            Microsoft.Extensions.Primitives.IChangeToken reload = configuration.GetReloadToken();
            List<KeyValuePair<string, string?>> values = [.. configuration.AsEnumerable().Where(pair => pair.Value is not null)];
            if (!reload.HasChanged || attempt == Attempts)
            {
                IConfigurationRoot copy = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
                return string.IsNullOrEmpty(section) ? copy : copy.GetSection(section);
            }
        }
    }

    private static OptionsBuilder<BatchBufferOptions> AddBatchBufferCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        BufferValidator(services);
        services.TryAddSingleton(static provider => new BatchBuffer(
            provider.GetRequiredService<IOptions<BatchBufferOptions>>().Value,
            provider.GetService<ISealedBatchConsumer>() ?? provider.GetRequiredService<S3RoleDestination>(),
            provider.GetService<TimeProvider>(),
            provider.GetService<Microsoft.Extensions.Logging.ILogger<BatchBuffer>>()));
        services.TryAddSingleton<IBatchBuffer>(static provider => provider.GetRequiredService<BatchBuffer>());
        return services.AddOptions<BatchBufferOptions>().ValidateOnStart();
    }

    private static OptionsBuilder<S3RoleDestinationOptions> AddS3RoleDestinationCore(this IServiceCollection services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        Names(services).Add(name);
        services.TryAddSingleton<IS3RoleDestinationFactory>(provider => new S3RoleDestinationFactory(
            provider.GetRequiredService<IOptionsMonitor<S3RoleDestinationOptions>>(),
            provider.GetRequiredService<S3RoleDestinationNames>(),
            provider.GetService<TimeProvider>(),
            provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            provider.GetService<Amazon.Runtime.AWSCredentials>()));
        DestinationValidator(services);

        // The factory builds each destination once; disposing it twice (factory and container) is harmless.
        services.AddKeyedSingleton(name, static (provider, key) => provider.GetRequiredService<IS3RoleDestinationFactory>().GetDestination((string)key!));
        if (name == Options.DefaultName)
        {
            services.TryAddSingleton(static provider => provider.GetRequiredService<IS3RoleDestinationFactory>().GetDestination(Options.DefaultName));
        }

        return services.AddOptions<S3RoleDestinationOptions>(name).ValidateOnStart();
    }

    /// <summary>The validator of the buffer's options: the constructor's rules and messages.</summary>
    private static SettingsValidator<BatchBufferOptions> BufferValidator(IServiceCollection services) =>
        Validator<BatchBufferOptions>(services, static (options, words) => options.Problems(words), static _ => nameof(BatchBuffer));

    /// <summary>The validator of the destinations' options: the constructor's rules and messages.</summary>
    private static SettingsValidator<S3RoleDestinationOptions> DestinationValidator(IServiceCollection services) =>
        Validator<S3RoleDestinationOptions>(services, static (options, words) => options.Problems(words), static name => $"{nameof(S3RoleDestination)} '{name}'");

    /// <summary>The one validator of <typeparamref name="TOptions"/> in <paramref name="services"/>, registered on first use.</summary>
    private static SettingsValidator<TOptions> Validator<TOptions>(IServiceCollection services, Func<TOptions, SettingWords?, List<SettingProblem>> problems, Func<string, string> subject)
        where TOptions : class
    {
        foreach (ServiceDescriptor descriptor in services)
        {
            if (descriptor.ServiceType == typeof(IValidateOptions<TOptions>) && descriptor.ImplementationInstance is SettingsValidator<TOptions> existing)
            {
                return existing;
            }
        }

        var validator = new SettingsValidator<TOptions>(problems, subject);
        services.AddSingleton<IValidateOptions<TOptions>>(validator);
        return validator;
    }

    /// <summary>
    /// Binds the options named <paramref name="name"/> to <paramref name="configuration"/> (and follows its changes), as
    /// <c>OptionsBuilder.Bind</c> does, through <paramref name="validator"/>: problems then name each setting by its
    /// configuration path (<c>Buffer:MaxBatchBytes</c>), and a value of the wrong form is one of them.
    /// </summary>
    private static OptionsBuilder<TOptions> BindTo<TOptions>(IServiceCollection services, OptionsBuilder<TOptions> builder, SettingsValidator<TOptions> validator, string name, IConfiguration configuration)
        where TOptions : class
    {
        validator.BoundTo(name, (configuration as IConfigurationSection)?.Path ?? string.Empty);
        services.AddSingleton<IOptionsChangeTokenSource<TOptions>>(new ConfigurationChangeTokenSource<TOptions>(name, configuration));
        return builder.Configure(options => validator.Bind(configuration, options));
    }

    private static S3RoleDestinationNames Names(IServiceCollection services)
    {
        foreach (ServiceDescriptor descriptor in services)
        {
            if (descriptor.ServiceType == typeof(S3RoleDestinationNames) && descriptor.ImplementationInstance is S3RoleDestinationNames existing)
            {
                return existing;
            }
        }

        var names = new S3RoleDestinationNames();
        services.AddSingleton(names);
        return names;
    }
}
