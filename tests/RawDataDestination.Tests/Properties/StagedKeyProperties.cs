using CsCheck;

namespace RawDataDestination.Tests.Properties;

/// <summary>
/// Staged keys over random (stage prefix, bucket, customer prefix, source) tuples: no two tuples give one staged key
/// (the right bucket, always), and a staged key parses back into the triple it was made from.
/// </summary>
public class StagedKeyProperties
{
    private static readonly DateOnly Day = new(2023, 11, 24);

    /// <summary>
    /// Tuples from small pools in which folder names are also bucket names, so the pieces of one tuple can line up with
    /// another's as in issue 20 (stage prefix A with bucket B against bucket A with customer prefix B).
    /// </summary>
    private static readonly Gen<Tuple> Tight =
        Gen.Select(
            Gen.OneOf("aaa", "bbb", "ccc.d").Array[0, 2],
            Gen.OneOf("aaa", "bbb", "ccc.d"),
            Gen.OneOf("aaa", "bbb", "~aaa", "segment-logs", "ccc.d").Array[0, 2],
            Gen.OneOf("src", "aaa"),
            Gen.OneOf("1700820000000.b1.gz", "1700820000001.b1.gz"),
            (stage, bucket, prefix, source, file) => new Tuple(string.Join('/', stage), bucket, string.Join('/', prefix), source, file));

    /// <summary>Tuples with random valid names: folders of letters, digits, '.', '-', '~', '_' and a non-ASCII letter.</summary>
    private static readonly Gen<Tuple> Wide =
        Gen.Select(
            Folder.Where(f => !f.StartsWith('~')).Array[0, 3],
            Gen.String[Gen.Char["abz09.-"], 3, 20].Where(b => BucketLocation.BucketNameError(b, b) is null),
            Folder.Array[0, 3],
            Gen.String[Gen.Char["aZ09_-.~"], 1, 12].Where(s => RawDataDestination.Batching.SourceIdRules.Error(s) is null),
            Gen.Long[0, 9_999_999_999_999].Select(ms => BatchNaming.FileName(DateTimeOffset.FromUnixTimeMilliseconds(ms), "id-1")),
            (stage, bucket, prefix, source, file) => new Tuple(string.Join('/', stage), bucket, string.Join('/', prefix), source, file));

    private static Gen<string> Folder => Gen.String[Gen.Char["ab~.-_é"], 1, 8].Where(f => f is not "." and not "..");

    [Test]
    public void Staged_OverTightTuples_NoTwoTuplesGiveOneKey() =>
        Tight.Array[2, 40].Sample(tuples => NoTwoGiveOneKey(tuples, StagedKey), iter: 2_000);

    [Test]
    public void Staged_OverWideTuples_NoTwoTuplesGiveOneKey() =>
        Wide.Array[2, 40].Sample(tuples => NoTwoGiveOneKey(tuples, StagedKey), iter: 1_000);

    [Test]
    public void Staged_OverWideTuples_ParsesBackIntoItsTriple() =>
        Wide.Sample(tuple =>
        {
            string customerKey = tuple.CustomerKey();
            string staged = StagedKey(tuple);

            Assert.That(StagingKeys.TryParseStaged(staged, out string stagePrefix, out string bucket, out string parsedKey), Is.True, staged);
            Assert.That((stagePrefix, bucket, parsedKey), Is.EqualTo((tuple.StagePrefix, tuple.Bucket, customerKey)));
            Assert.That(StagingKeys.TryParse(staged, StagingKeys.DestinationPrefix(tuple.Stage(), tuple.Destination()), out StagedBatchIdentity identity), Is.True);
            Assert.That(identity.SourceId, Is.EqualTo(tuple.Source));
        }, iter: 2_000);

    [Test]
    public void Staged_OverTightTuplesWithOrWithoutAnIdentityTag_NoTwoGiveOneKeyAndEachParsesBack() =>
        Gen.Select(Tight, Gen.OneOf("", "t1", "a0")).Array[2, 40].Sample(
            tagged =>
            {
                foreach (IGrouping<string, (Tuple Tuple, string Tag)> sameKey in tagged.Distinct().Select(t => (Tuple: t.Item1, Tag: t.Item2)).GroupBy(t => StagingKeys.Staged(t.Tuple.Stage(), t.Tuple.Destination(), t.Tuple.CustomerKey(), t.Tag.Length == 0 ? null : t.Tag)))
                {
                    Assert.That(sameKey.Count(), Is.EqualTo(1), $"{sameKey.Key} from {string.Join(" and ", sameKey)}");
                    (Tuple tuple, string tag) = sameKey.Single();
                    Assert.That(StagingKeys.TryParseStaged(sameKey.Key, out string stagePrefix, out string bucket, out string customerKey, out string parsedTag), Is.True, sameKey.Key);
                    Assert.That((stagePrefix, bucket, customerKey, parsedTag), Is.EqualTo((tuple.StagePrefix, tuple.Bucket, tuple.CustomerKey(), tag)), sameKey.Key);
                }
            },
            iter: 2_000);

    /// <summary>The property has teeth: over the same tight tuples, the layout before issue 20 (<c>{stage-prefix/}{bucket}/{key}</c>) collides.</summary>
    [Test]
    public void OldLayout_OverTightTuples_IsFoundToCollide()
    {
        static string OldKey(Tuple tuple) => (tuple.StagePrefix.Length == 0 ? "" : tuple.StagePrefix + "/") + tuple.Bucket + "/" + tuple.CustomerKey();

        var failure = Assert.Throws<CsCheckException>(() => Tight.Array[2, 40].Sample(tuples => NoTwoGiveOneKey(tuples, OldKey), iter: 2_000, threads: 1));
        TestContext.Out.WriteLine(failure!.Message);
        Assert.That(failure.Message + failure.InnerException, Does.Contain(" and Tuple {"), "two tuples, one key");
    }

    private static string StagedKey(Tuple tuple) => StagingKeys.Staged(tuple.Stage(), tuple.Destination(), tuple.CustomerKey());

    private static void NoTwoGiveOneKey(Tuple[] tuples, Func<Tuple, string> key)
    {
        foreach (IGrouping<string, Tuple> sameKey in tuples.Distinct().GroupBy(key))
        {
            Assert.That(sameKey.Count(), Is.EqualTo(1), $"{sameKey.Key} from {string.Join(" and ", sameKey)}");
        }
    }

    /// <summary>One setup's batch: where it is staged (stage prefix) and where it goes (bucket, customer prefix, source, file name).</summary>
    private sealed record Tuple(string StagePrefix, string Bucket, string CustomerPrefix, string Source, string FileName)
    {
        public BucketLocation Stage() => BucketLocation.Parse(StagePrefix.Length == 0 ? "ops-staging" : "ops-staging/" + StagePrefix);

        public BucketLocation Destination() => BucketLocation.Parse(CustomerPrefix.Length == 0 ? Bucket : Bucket + "/" + CustomerPrefix);

        public string CustomerKey() => ObjectKeyLayout.Build(Destination(), Source, Day, FileName);
    }
}
