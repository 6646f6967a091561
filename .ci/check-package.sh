#!/usr/bin/env bash
# Packs the library as a release would (a clean clone whose origin is the GitHub repository, CI build settings,
# SourceLink on) and checks what is inside: the README as package readme, the XML docs of its one target (net10.0), the license
# expression, the repository commit, a symbols package whose PDBs carry SourceLink, and a prerelease version while
# PublicAPI.Unshipped.txt lists members (a release version promises its whole surface, README "NuGet package").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

git clone -q "$root" "$work/repo"
git -C "$work/repo" remote set-url origin https://github.com/rawdatadestination/RawDataDestination.git
commit="$(git -C "$work/repo" rev-parse HEAD)"
dotnet pack "$work/repo/src/RawDataDestination/RawDataDestination.csproj" -c Release -o "$work/out" -nologo -v quiet \
  -p:ContinuousIntegrationBuild=true -p:ReleaseSourceLink=true

python3 - "$work/out" "$commit" "$work/repo/src/RawDataDestination/PublicAPI.Unshipped.txt" <<'PY'
import pathlib, re, sys, zipfile

out, commit, unshipped = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
nupkgs = [p for p in out.glob("RawDataDestination.*.nupkg")]
snupkgs = list(out.glob("RawDataDestination.*.snupkg"))
problems = []
if len(nupkgs) != 1 or len(snupkgs) != 1:
    sys.exit(f"expected one .nupkg and one .snupkg in {out}, found {sorted(p.name for p in out.iterdir())}")

with zipfile.ZipFile(nupkgs[0]) as package:
    names = set(package.namelist())
    nuspec = package.read(next(n for n in names if n.endswith(".nuspec"))).decode()
    # One target framework, net10.0: net8.0 left support on 2026-11-10 and CI tests only net10.0 (README, "Target framework").
    for required in ["README.md", "lib/net10.0/RawDataDestination.dll", "lib/net10.0/RawDataDestination.xml"]:
        if required not in names:
            problems.append(f"the package lacks {required}")
    for stale in sorted(n for n in names if n.startswith("lib/") and not n.startswith("lib/net10.0/")):
        problems.append(f"the package ships {stale}, for a target framework CI does not test")
    if "<readme>README.md</readme>" not in nuspec:
        problems.append("the nuspec names no package readme")
    if '<license type="expression">MIT</license>' not in nuspec:
        problems.append("the nuspec has no MIT license expression")
    if f'commit="{commit}"' not in nuspec:
        problems.append("the nuspec's repository element does not name the commit")
    version = re.search(r"<version>([^<]+)</version>", nuspec).group(1)
    added = [l for l in unshipped.read_text().splitlines() if l.strip() and not l.startswith("#")]
    if added and "-" not in version:
        problems.append(f"PublicAPI.Unshipped.txt lists {len(added)} members not in any release, yet the package is release version {version}: "
                        "give VersionSuffix a prerelease label, or ship them (move them to PublicAPI.Shipped.txt and raise VersionPrefix)")
    for dependency in ["AWSSDK.S3", "AWSSDK.SecurityToken"]:  # System.IO.Pipelines is part of net10.0
        if f'id="{dependency}"' not in nuspec:
            problems.append(f"the nuspec lacks the {dependency} dependency")

with zipfile.ZipFile(snupkgs[0]) as symbols:
    for framework in ["net10.0"]:
        pdb_name = f"lib/{framework}/RawDataDestination.pdb"
        if pdb_name not in symbols.namelist():
            problems.append(f"the symbols package lacks {pdb_name}")
            continue
        pdb = symbols.read(pdb_name)
        link = f"https://raw.githubusercontent.com/rawdatadestination/RawDataDestination/{commit}/".encode()
        if link not in pdb:
            problems.append(f"{pdb_name} has no SourceLink to {link.decode()}")

if problems:
    sys.exit("package check failed:\n  " + "\n  ".join(problems))
print(f"package check passed: {nupkgs[0].name} (README, XML docs for net10.0, MIT, commit {commit[:12]}) and {snupkgs[0].name} (SourceLink)")
PY
