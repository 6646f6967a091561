#!/usr/bin/env bash
# Adds public API that is not yet declared to src/RawDataDestination/PublicAPI.Unshipped.txt, with the public API
# analyzer's own code fix (RS0016), then checks the build is clean. Run it after changing public API; review the diff.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
project="$root/src/RawDataDestination/RawDataDestination.csproj"
dotnet format analyzers "$project" --diagnostics RS0016 --severity info
dotnet build "$project" -c Release --no-incremental -nologo -v quiet
