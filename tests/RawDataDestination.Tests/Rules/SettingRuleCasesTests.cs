namespace RawDataDestination.Tests.Rules;

/// <summary>
/// Every single-value setting rule (<see cref="SourceIdRules"/>, <see cref="AssumeRoleRules"/>, <see cref="RegionRules"/>,
/// <see cref="ServiceUrlRules"/>, <see cref="KmsKeyRules"/>, <see cref="BucketOwnerRules"/>, <see cref="BucketLocation"/>) against its cases in
/// setting-cases.json: the values it accepts, and for each value it refuses, the message's opening (the setting and
/// the value as given) and the words that say why and what to enter. Each case is written once, as data; what needs
/// code (long values, several calls) stays in the rule's own test class.
/// </summary>
public class SettingRuleCasesTests
{
    private static readonly Dictionary<string, Func<string?, string?>> RuleOf = new()
    {
        ["SourceId"] = value => SourceIdRules.Error(value),
        ["RoleArn"] = value => AssumeRoleRules.RoleArnError(value),
        ["ExternalId"] = value => AssumeRoleRules.ExternalIdError(value),
        ["RoleSessionName"] = value => AssumeRoleRules.SessionNameError(value),
        ["Region"] = value => RegionRules.Error(value),
        ["S3ServiceUrl"] = value => ServiceUrlRules.Error("S3ServiceUrl", value),
        ["StsServiceUrl"] = value => ServiceUrlRules.Error("StsServiceUrl", value),
        ["KmsKeyId"] = value => KmsKeyRules.Error(value),
        ["ExpectedBucketOwner"] = value => BucketOwnerRules.Error(value),
        ["Bucket"] = value => BucketLocation.TryParse(value, out _, out string? error) ? null : error,
    };

    private static readonly Lazy<JsonDocument> Cases = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "RawDataDestination.Tests", "Rules", "setting-cases.json"))));

    [Test]
    public void Cases_NameOnlyRulesThisClassCalls() =>
        Assert.That(Rules().Select(rule => rule.Name), Is.EquivalentTo(RuleOf.Keys));

    [TestCaseSource(nameof(ValidCases))]
    public void Rule_AValidValue_GivesNoMessage(string rule, string? value) =>
        Assert.That(RuleOf[rule](value), Is.Null);

    [TestCaseSource(nameof(RefusedCases))]
    public void Rule_ARefusedValue_SaysWhyInTheSettingsWords(string rule, string? value, string start, string[] contains) =>
        Assert.That(RuleOf[rule](value), Says.StartingWith(start, contains));

    [TestCaseSource(nameof(WholeMessageCases))]
    public void Rule_ARefusedValue_GivesTheWholeMessage(string rule, string? value, string message) =>
        Assert.That(RuleOf[rule](value), Is.EqualTo(message));

    private static IEnumerable<TestCaseData> ValidCases() =>
        from rule in Rules()
        from value in rule.Value.GetProperty("valid").EnumerateArray()
        select Case(rule.Name, value.GetString(), "valid");

    private static IEnumerable<TestCaseData> RefusedCases() =>
        from rule in Rules()
        from refused in Groups(rule, "starts")
        let words = refused.Group.GetProperty("contains").EnumerateArray().Select(word => word.GetString()!)
        let row = refused.Row.EnumerateArray().ToArray()
        select Case(rule.Name, row[0].GetString(), WhatItSays(refused.Group), row[1].GetString()!, words.Concat(row.Skip(2).Select(word => word.GetString()!)).ToArray());

    private static IEnumerable<TestCaseData> WholeMessageCases() =>
        from rule in Rules()
        from refused in Groups(rule, "is")
        select Case(rule.Name, refused.Row[0].GetString(), WhatItSays(refused.Group), refused.Row[1].GetString()!);

    private static IEnumerable<JsonProperty> Rules() =>
        Cases.Value.RootElement.EnumerateObject().Where(rule => rule.Name != "//");

    private static IEnumerable<(JsonElement Group, JsonElement Row)> Groups(JsonProperty rule, string kind) =>
        from grouped in rule.Value.GetProperty("refused").EnumerateArray()
        where grouped.TryGetProperty(kind, out _)
        from row in grouped.GetProperty(kind).EnumerateArray()
        select (grouped, row);

    private static string WhatItSays(JsonElement group) => group.GetProperty("says").GetString()!;

    private static TestCaseData Case(string rule, string? value, string says, params object[] expected) =>
        new TestCaseData([rule, value, .. expected]).SetArgDisplayNames(rule, value is null ? "null" : SettingText.Quote(value), says);
}
