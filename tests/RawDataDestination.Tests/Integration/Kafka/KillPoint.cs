namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>Where a run is killed: <see cref="Delay"/> (real time) after its output first satisfies <see cref="Ready"/>, which <see cref="What"/> names.</summary>
internal sealed record KillPoint(Func<IReadOnlyCollection<string>, bool> Ready, string What, TimeSpan Delay);
