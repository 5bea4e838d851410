# The livectl agent installer for Windows, served by {{ server }}.
#
#   irm {{ server }}/install.ps1 | iex
#
# Downloads the agent, checks its SHA-256 against the signed list this server publishes,
# installs it in %USERPROFILE%\.livectl\bin, pairs it with a workspace (a code to approve in
# the dashboard) and installs a logon task that restarts it on failure. Windows has no
# built-in ed25519 check: this first download relies on the HTTPS connection to the server;
# the agent then checks the release key {{ public_key }} on every update.
$ErrorActionPreference = 'Stop'
$Server = if ($env:LIVECTL_SERVER) { $env:LIVECTL_SERVER } else { '{{ server }}' }
$Version = if ($env:LIVECTL_VERSION) { $env:LIVECTL_VERSION } else { '{{ version }}' }
$Prefix = if ($env:LIVECTL_PREFIX) { $env:LIVECTL_PREFIX } else { Join-Path $HOME '.livectl' }
$Arch = if ([Environment]::Is64BitOperatingSystem) { 'x86_64' } else { 'x86' }
if ($env:PROCESSOR_ARCHITECTURE -eq 'ARM64') { $Arch = 'aarch64' }
$Platform = "windows-$Arch"

$List = Invoke-RestMethod "$Server/api/v1/agent/releases"
$Build = $List.builds | Where-Object { $_.version -eq $Version -and $_.platform -eq $Platform } | Select-Object -First 1
if (-not $Build) { throw "$Server has no signed build of $Version for $Platform" }

New-Item -ItemType Directory -Force -Path (Join-Path $Prefix 'bin') | Out-Null
$Target = Join-Path $Prefix 'bin\livectl.exe'
$Partial = "$Target.new"
Write-Host "livectl: downloading the agent $Version for $Platform from $Server"
Invoke-WebRequest "$Server/agent/releases/$Version/$Platform/livectl.exe" -OutFile $Partial
$Sum = (Get-FileHash -Algorithm SHA256 $Partial).Hash.ToLower()
if ($Sum -ne $Build.sha256) {
  Remove-Item $Partial
  throw "the download's SHA-256 does not match the signed list: nothing was installed"
}
Move-Item -Force $Partial $Target
Write-Host "livectl: installed $Target"

$Config = Join-Path $Prefix 'agent.toml'
& $Target agent pair --server $Server --config $Config @args
if ($LASTEXITCODE -ne 0) { throw 'pairing did not complete' }
& $Target agent install --config $Config
