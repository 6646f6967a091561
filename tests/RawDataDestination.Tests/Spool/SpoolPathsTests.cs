namespace RawDataDestination.Tests.Spool;

/// <summary>The name the spool renames an untrusted entry to, beside it, and reading it back: what tells rawdata an entry of its spool folder is the spool's own.</summary>
public class SpoolPathsTests
{
    [TestCase("tmp")]
    [TestCase("spool.lock")]
    [TestCase("journal")]
    public void SetAsideFrom_TheNameSetAsidePathGives_IsTheNameItWasRenamedFrom(string name)
    {
        string aside = Path.GetFileName(SpoolPaths.SetAsidePath(Path.Combine("/spool", name)));

        Assert.That(aside, Does.Match($"^{Regex.Escape(name)}\\.untrusted-[0-9a-f]{{8}}$"));
        Assert.That(SpoolPaths.SetAsideFrom(aside), Is.EqualTo(name));
    }

    [TestCase("tmp")]
    [TestCase("notes.txt")]
    [TestCase(".untrusted-89a88adb")]
    [TestCase("tmp.untrusted-89a88ad")]
    [TestCase("tmp.untrusted-89a88adbc")]
    [TestCase("tmp.untrusted-89A88ADB")]
    [TestCase("tmp.untrusted-89a88adb.txt")]
    public void SetAsideFrom_ANameTheSpoolDoesNotGive_IsNull(string name) =>
        Assert.That(SpoolPaths.SetAsideFrom(name), Is.Null);
}
