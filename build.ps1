#!/usr/bin/env pwsh
# RecoFlow build entry point. Run through the local tool:
#   dotnet tool restore && dotnet pwsh -NoProfile ./build.ps1 <target> [args...]
# Targets: build, test [--fast], demo, bench, publish, pack, template-check, geo, help. See docs/building.md.
param(
    [string]$Target = 'build',
    [Parameter(ValueFromRemainingArguments)]$Rest
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $false

$Root = $PSScriptRoot
Set-Location $Root

$Solution = Join-Path $Root 'RecoFlow.sln'
$CliProject = Join-Path $Root 'engine/RecoFlow.Cli/RecoFlow.Cli.csproj'
$BenchProject = Join-Path $Root 'bench/RecoFlow.Bench/RecoFlow.Bench.csproj'
$Artifacts = Join-Path $Root 'artifacts'
$Configuration = 'Release'

$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

[string[]]$RestArgs = @()
if ($null -ne $Rest) { $RestArgs = @($Rest | ForEach-Object { [string]$_ }) }

function Write-Step([string]$Message) {
    Write-Host "==> $Message" -ForegroundColor Cyan
}

# Runs a native command without capturing its output (so it keeps the terminal);
# its exit code is in $LASTEXITCODE afterwards. Never throws on non-zero.
function Invoke-Native {
    param([Parameter(Mandatory)][string]$Exe, [string[]]$Arguments = @())
    & $Exe @Arguments
}

# Runs a native command and exits the script with its code when it fails.
function Invoke-Checked {
    param([Parameter(Mandatory)][string]$Exe, [string[]]$Arguments = @())
    & $Exe @Arguments
    $code = $LASTEXITCODE
    if ($code -ne 0) {
        [Console]::Error.WriteLine("build.ps1: '$Exe $($Arguments -join ' ')' failed with exit code $code")
        exit $code
    }
}

# The IP-to-country database (MaxMind format, CC BY 4.0 by the NRO) of the npm package
# @ip-location-db/geo-whois-asn-country-mmdb, into artifacts/geo: the node's and the job's IP location
# (recoflow.http.geo-database, job parameter geo-database, recoflow geo). Installed once; nothing is fetched at run time.
$GeoPackage = '@ip-location-db/geo-whois-asn-country-mmdb@2.3.2026061719'
function Install-GeoDatabase {
    $geo = Join-Path $Artifacts 'geo'
    $db = Join-Path $geo 'geo-whois-asn-country.mmdb'
    if (Test-Path $db) { return }
    Write-Step "npm pack $GeoPackage (IP location database into artifacts/geo)"
    New-Item -ItemType Directory -Force -Path $geo | Out-Null
    $tmp = Join-Path $geo 'download'
    if (Test-Path $tmp) { Remove-Item -Recurse -Force $tmp }
    New-Item -ItemType Directory -Force -Path $tmp | Out-Null
    Invoke-Checked npm @('pack', $GeoPackage, '--pack-destination', $tmp, '--silent')
    $tgz = Get-ChildItem -Path $tmp -Filter '*.tgz' | Select-Object -First 1
    Invoke-Checked tar @('-xzf', $tgz.FullName, '-C', $tmp)
    foreach ($f in @('geo-whois-asn-country.mmdb', 'NRO_LICENSE', 'README.md')) {
        Move-Item -Force (Join-Path $tmp "package/$f") (Join-Path $geo $f)
    }
    Remove-Item -Recurse -Force $tmp
}

# The validator of the Kubernetes manifests (cluster-config/kubernetes/validate: kubernetes-models, yaml), for
# KubernetesManifestTests. npm ci from its package-lock.json; skipped when already installed.
function Install-KubernetesValidator {
    $dir = Join-Path $Root 'cluster-config/kubernetes/validate'
    if (Test-Path (Join-Path $dir 'node_modules/kubernetes-models')) { return }
    Write-Step 'npm ci in cluster-config/kubernetes/validate (Kubernetes schema validation)'
    Push-Location $dir
    try { Invoke-Checked npm @('ci', '--no-audit', '--no-fund', '--silent') }
    finally { Pop-Location }
}

function Invoke-Build {
    Write-Step "dotnet build RecoFlow.sln -c $Configuration"
    Invoke-Checked dotnet @('build', $Solution, '-c', $Configuration)
}

# Reads lines of the form: export NAME="VALUE" (or NAME=VALUE) into this process.
function Import-EnvFile([string]$Path) {
    if (-not (Test-Path $Path)) { throw "environment file $Path not found (setup-test-deps.sh should write it)" }
    foreach ($line in Get-Content $Path) {
        if ($line -match '^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$') {
            $name = $Matches[1]
            $value = $Matches[2].Trim()
            if ($value.Length -ge 2 -and (($value[0] -eq '"' -and $value[-1] -eq '"') -or ($value[0] -eq "'" -and $value[-1] -eq "'"))) {
                $value = $value.Substring(1, $value.Length - 2)
            }
            Set-Item -Path "env:$name" -Value $value
            Write-Host "    $name=$value"
        }
    }
}

# Sums the counters of every .trx file under $Dir.
function Get-TrxSummary([string]$Dir) {
    $sum = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0; Files = 0; FailedTests = [System.Collections.Generic.List[string]]::new() }
    if (-not (Test-Path $Dir)) { return $sum }
    foreach ($file in Get-ChildItem -Path $Dir -Filter '*.trx' -Recurse -File) {
        try {
            [xml]$trx = Get-Content -LiteralPath $file.FullName -Raw
        }
        catch {
            [Console]::Error.WriteLine("build.ps1: could not read $($file.FullName): $_")
            $sum.Failed += 1
            continue
        }
        $sum.Files += 1
        $results = @($trx.GetElementsByTagName('UnitTestResult'))
        if ($results.Count -gt 0) {
            foreach ($r in $results) {
                switch ($r.GetAttribute('outcome')) {
                    'Passed' { $sum.Passed += 1 }
                    { $_ -in 'NotExecuted', 'Inconclusive', 'Pending', 'Disconnected' } { $sum.Skipped += 1 }
                    default {
                        # Failed, Error, Timeout, Aborted, ...: named with the start of its message, so the tail of a
                        # CI log says which test failed and why.
                        $sum.Failed += 1
                        $message = @($r.GetElementsByTagName('Message')) | Select-Object -First 1
                        $text = if ($message) { ($message.InnerText -replace '\s+', ' ').Trim() } else { '' }
                        if ($text.Length -gt 400) { $text = $text.Substring(0, 400) + ' ...' }
                        $sum.FailedTests.Add("$($r.GetAttribute('outcome')): $($r.GetAttribute('testName')): $text")
                    }
                }
            }
        }
        else {
            $counters = @($trx.GetElementsByTagName('Counters'))
            if ($counters.Count -gt 0) {
                $c = $counters[0]
                $num = { param($n) $v = $c.GetAttribute($n); if ($v) { [int]$v } else { 0 } }
                $sum.Passed += (& $num 'passed')
                $sum.Failed += (& $num 'failed') + (& $num 'error') + (& $num 'timeout') + (& $num 'aborted')
                $sum.Skipped += (& $num 'notExecuted') + (& $num 'inconclusive')
            }
        }
    }
    return $sum
}

function Invoke-Test {
    $resultsDir = Join-Path $Artifacts 'test-results'
    if (Test-Path $resultsDir) { Remove-Item -Recurse -Force $resultsDir }
    New-Item -ItemType Directory -Force -Path $resultsDir | Out-Null

    $testExit = 1
    try {
        Install-GeoDatabase
        Install-KubernetesValidator
        Write-Step 'scripts/setup-test-deps.sh'
        Invoke-Native bash @((Join-Path $Root 'scripts/setup-test-deps.sh'))
        if ($LASTEXITCODE -ne 0) {
            [Console]::Error.WriteLine("build.ps1: setup-test-deps.sh failed with exit code $LASTEXITCODE; no test was run")
            return
        }
        Write-Step 'test environment (artifacts/test-env.sh)'
        Import-EnvFile (Join-Path $Artifacts 'test-env.sh')
        # Tests put screenshots, logs and other artifacts here.
        $env:RECOFLOW_TEST_ARTIFACTS = $resultsDir
        Write-Host "    RECOFLOW_TEST_ARTIFACTS=$resultsDir"

        Write-Step "dotnet build RecoFlow.sln -c $Configuration"
        Invoke-Native dotnet @('build', $Solution, '-c', $Configuration)
        if ($LASTEXITCODE -ne 0) {
            [Console]::Error.WriteLine("build.ps1: build failed with exit code $LASTEXITCODE; no test was run")
            return
        }

        Write-Step "dotnet test RecoFlow.sln -c $Configuration"
        $testArgs = @(
            'test', $Solution, '-c', $Configuration, '--no-build',
            '--logger', 'console;verbosity=normal',
            '--logger', 'trx',
            '--results-directory', $resultsDir,
            # A hung test fails the run instead of eating CI's time limit.
            '--blame-hang-timeout', '20m', '--blame-hang-dump-type', 'none'
        )
        # --fast: only the tests not marked [Trait("Category", "Slow")] (no cluster processes, Kafka broker, browser or
        # full data set): the two-minute loop of a developer. CI runs everything.
        if ($RestArgs -contains '--fast') {
            Write-Host '    --fast: skipping tests in Category=Slow'
            $testArgs += @('--filter', 'Category!=Slow')
        }
        # stdout is also kept in dotnet-test.log, a cross-check for the .trx counts.
        & dotnet @testArgs | Tee-Object -FilePath (Join-Path $resultsDir 'dotnet-test.log')
        $testExit = $LASTEXITCODE

        # The packages as a job author uses them (template, packages, tool), counted as one more test. --fast skips it.
        if ($RestArgs -notcontains '--fast') {
            $check = Invoke-TemplateCheck | Select-Object -Last 1
            $script:TemplateCheck = if ($check -eq 0) { 'passed' } else { 'failed' }
        }
    }
    finally {
        Write-Step 'scripts/stop-test-deps.sh'
        & bash (Join-Path $Root 'scripts/stop-test-deps.sh')
        Write-TestSummary $resultsDir $testExit
    }
}

# Sums the per-project "Total tests / Passed / Failed / Skipped" blocks that the
# console logger prints at the end of each test project's run.
function Get-ConsoleSummary([string]$LogPath) {
    $sum = [ordered]@{ Total = 0; Passed = 0; Failed = 0; Skipped = 0 }
    if (-not (Test-Path $LogPath)) { return $sum }
    $inBlock = $false
    foreach ($line in Get-Content -LiteralPath $LogPath) {
        if ($line -match '^Total tests:\s*(\d+)\s*$') { $sum.Total += [int]$Matches[1]; $inBlock = $true; continue }
        if (-not $inBlock) { continue }
        if ($line -match '^\s+Passed:\s*(\d+)\s*$') { $sum.Passed += [int]$Matches[1] }
        elseif ($line -match '^\s+Failed:\s*(\d+)\s*$') { $sum.Failed += [int]$Matches[1] }
        elseif ($line -match '^\s+Skipped:\s*(\d+)\s*$') { $sum.Skipped += [int]$Matches[1] }
        else { $inBlock = $false }
    }
    return $sum
}

function Write-TestSummary([string]$ResultsDir, [int]$TestExit) {
    $s = Get-TrxSummary $ResultsDir
    $c = Get-ConsoleSummary (Join-Path $ResultsDir 'dotnet-test.log')
    if ($c.Total -gt ($s.Passed + $s.Failed + $s.Skipped)) {
        # A .trx file is missing (crashed host, or two projects wrote the same name).
        Write-Host "note: console totals ($($c.Total) tests) exceed the .trx totals; using the console counts"
        $s.Passed = $c.Passed; $s.Failed = [Math]::Max($c.Failed, $c.Total - $c.Passed - $c.Skipped); $s.Skipped = $c.Skipped
    }
    if ($script:TemplateCheck -eq 'passed') { $s.Passed += 1 }
    elseif ($script:TemplateCheck -eq 'failed') {
        $s.Failed += 1
        $s.FailedTests.Add('Failed: template-check (build.ps1 template-check): see its output above')
    }
    Write-Host "dotnet test exit code $TestExit; $($s.Files) result file(s) in $ResultsDir"
    if ($TestExit -ne 0 -and $s.Failed -eq 0) {
        [Console]::Error.WriteLine('build.ps1: tests did not complete (set-up, build, crash or abort): failing the run')
    }
    foreach ($failed in $s.FailedTests) { Write-Output "  $failed" }
    $line = "$($s.Passed) passed, $($s.Failed) failed"
    if ($s.Skipped -gt 0) { $line += ", $($s.Skipped) skipped" }
    Write-Output $line
    if ($TestExit -ne 0 -or $s.Failed -gt 0) { $script:ExitCode = 1 } else { $script:ExitCode = 0 }
}

# Runs a project's executable with the extra arguments (after $Command, if given) and exits with its exit code.
function Invoke-Run([string]$Command, [switch]$NoBuild, [string]$Project = $CliProject) {
    $runArgs = @('run', '--project', $Project, '-c', $Configuration)
    if ($NoBuild) { $runArgs += '--no-build' }
    [string[]]$appArgs = @()
    if ($Command) { $appArgs += $Command }
    $appArgs += $RestArgs
    Write-Step "dotnet $($runArgs -join ' ') -- $($appArgs -join ' ')"
    Invoke-Native dotnet ($runArgs + @('--') + $appArgs)
    exit $LASTEXITCODE
}

function Invoke-Publish {
    $out = Join-Path $Artifacts 'recoflow'
    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    # For this machine's runtime: the CLI's project then compiles it ahead of time (ReadyToRun), so that a fresh run or
    # node does not spend its first seconds compiling (docs/benchmarks.md, "Scale-out").
    $rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
    Write-Step "dotnet publish engine/RecoFlow.Cli -c $Configuration -r $rid -o artifacts/recoflow (framework-dependent, ReadyToRun)"
    Invoke-Checked dotnet @('publish', $CliProject, '-c', $Configuration, '-r', $rid, '--self-contained', 'false', '-p:UseAppHost=true', '-o', $out)
    $exe = Join-Path $out 'recoflow'
    if (-not (Test-Path $exe)) {
        [Console]::Error.WriteLine("build.ps1: publish did not produce $exe")
        exit 1
    }
    Write-Host "published: $exe"
}

# What build.ps1 pack packs, into artifacts/packages (one version: Directory.Build.props).
$PackProjects = @(
    'engine/RecoFlow.Api/RecoFlow.Api.csproj',
    'engine/RecoFlow.Runtime/RecoFlow.Runtime.csproj',
    'engine/RecoFlow.Connectors/RecoFlow.Connectors.csproj',
    'engine/RecoFlow.Connectors.Kafka/RecoFlow.Connectors.Kafka.csproj',
    'tests/RecoFlow.TestKit/RecoFlow.TestKit.csproj',
    'templates/RecoFlow.Templates/RecoFlow.Templates.csproj',
    'engine/RecoFlow.Cli/RecoFlow.Cli.csproj'
)

# Packs $PackProjects into artifacts/packages; returns 0, or the exit code of the pack that failed.
function Invoke-Pack {
    $out = Join-Path $Artifacts 'packages'
    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    foreach ($project in $PackProjects) {
        # RecoFlowPack=true turns SourceLink on (Directory.Build.targets).
        Write-Step "dotnet pack $project -c $Configuration -o artifacts/packages"
        # Out-Host: the tool's output goes to the terminal, not into this function's return value.
        & dotnet @('pack', (Join-Path $Root $project), '-c', $Configuration, '-p:RecoFlowPack=true', '-o', $out) | Out-Host
        if ($LASTEXITCODE -ne 0) {
            [Console]::Error.WriteLine("build.ps1: dotnet pack $project failed with exit code $LASTEXITCODE")
            return $LASTEXITCODE
        }
    }
    Get-ChildItem -Path $out -Filter '*.nupkg' | ForEach-Object { Write-Host "    $($_.Name)" }
    return 0
}

# Packs, then uses the packages as a job author would, outside this tree (.ci/template-check.sh); returns its exit code.
function Invoke-TemplateCheck {
    $packed = Invoke-Pack
    if ($packed -ne 0) { return $packed }
    Write-Step 'bash .ci/template-check.sh artifacts/packages'
    & bash @((Join-Path $Root '.ci/template-check.sh'), (Join-Path $Artifacts 'packages')) | Out-Host
    return $LASTEXITCODE
}

switch ($Target) {
    'build' { Invoke-Build; exit 0 }
    'test' { $script:ExitCode = 1; $script:TemplateCheck = $null; Invoke-Test; exit $script:ExitCode }
    'demo' {
        Write-Step 'dotnet restore'
        Invoke-Checked dotnet @('restore', $Solution)
        Write-Step "dotnet build engine/RecoFlow.Cli -c $Configuration"
        Invoke-Checked dotnet @('build', $CliProject, '-c', $Configuration, '--no-restore')
        Invoke-Run 'demo' -NoBuild
    }
    # The benchmarks' own executable (recoflow-bench), not the CLI's thin `bench` entry that would start it.
    'bench' { Invoke-Run -Project $BenchProject }
    'publish' { Invoke-Publish; exit 0 }
    'pack' { exit (Invoke-Pack | Select-Object -Last 1) }
    'template-check' { exit (Invoke-TemplateCheck | Select-Object -Last 1) }
    'geo' { Install-GeoDatabase; Write-Host "IP location database: $(Join-Path $Artifacts 'geo/geo-whois-asn-country.mmdb')"; exit 0 }
    { $_ -in 'help', '-h', '--help' } {
        Write-Output 'usage: dotnet pwsh -NoProfile ./build.ps1 [build|test [--fast]|demo|bench|publish|pack|template-check|geo|help] [args...]'
        exit 0
    }
    default {
        [Console]::Error.WriteLine("build.ps1: unknown target '$Target' (expected build, test, demo, bench, publish, pack, template-check, geo or help)")
        exit 2
    }
}
