#!/usr/bin/env bash
# The packages as a job author uses them, outside this repository's tree: install the template from the local feed
# (into a hive of its own), create a job with 'dotnet new recoflow-job', 'dotnet test' it against the packages just
# packed, install the recoflow tool from the same feed with --tool-path, and run the created job with it.
# Usage: .ci/template-check.sh PACKAGES_DIR   (build.ps1 template-check packs first, then runs this)
set -euo pipefail
packages="$(cd "${1:?usage: template-check.sh PACKAGES_DIR}" && pwd)"
api=$(ls "$packages"/RecoFlow.Api.*.nupkg | grep -v '\.snupkg$' | head -n 1)
version=$(basename "$api" .nupkg); version=${version#RecoFlow.Api.}
work=$(mktemp -d "${TMPDIR:-/tmp}/recoflow-template-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { echo "==> template-check: $*"; }

# NuGet: the local feed plus the sources already configured. Packages go to a folder of this check's own, so the
# RecoFlow packages are the ones just packed (not a cached build of the same version); everything else is read from
# the usual global folder when it is there.
global="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config>
    <add key="globalPackagesFolder" value="$work/packages" />
  </config>
  <fallbackPackageFolders>
    <add key="global" value="$global" />
  </fallbackPackageFolders>
  <packageSources>
    <add key="recoflow-local" value="$packages" />
  </packageSources>
</configuration>
XML
unset NUGET_PACKAGES
cd "$work"

step "dotnet new install RecoFlow.Templates::$version (hive $work/hive)"
dotnet new install "RecoFlow.Templates::$version" --add-source "$packages" --debug:custom-hive "$work/hive"

step 'dotnet new recoflow-job -o ClickCounts'
dotnet new recoflow-job -o ClickCounts --debug:custom-hive "$work/hive"
grep -q "Version=\"$version\"" ClickCounts/ClickCounts/ClickCounts.csproj \
  || { echo "template-check: the created project does not ask for RecoFlow $version" >&2; exit 1; }

step 'dotnet test ClickCounts'
dotnet test ClickCounts/ClickCounts.slnx -c Release

step "dotnet tool install RecoFlow.Cli --version $version --tool-path tools"
dotnet tool install RecoFlow.Cli --version "$version" --tool-path "$work/tools" --add-source "$packages"

step 'dotnet publish ClickCounts, then recoflow run it'
dotnet publish ClickCounts/ClickCounts -c Release -o "$work/out"
"$work/tools/recoflow" run "$work/out" --job-class ClickCounts.ClicksPerMinute \
  --param input="$work/ClickCounts/ClickCounts/clicks.jsonl" --param output="$work/counts.jsonl"
expected='{"user":"alice","start":0,"end":60000,"clicks":2}'
if ! grep -qxF "$expected" "$work/counts.jsonl" || [ "$(wc -l < "$work/counts.jsonl")" -ne 4 ]; then
  echo "template-check: unexpected output of the job:" >&2
  cat "$work/counts.jsonl" >&2
  exit 1
fi
step "passed: RecoFlow $version template, packages and tool"
