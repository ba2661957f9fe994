<#
.SYNOPSIS
  Writes this server's folder of a kerbside support bundle (format kerbside-bundle/1).

.DESCRIPTION
  Run on an Exchange server or a domain controller (Windows PowerShell 5.1 or later, as an
  administrator; Exchange cmdlets need the Exchange Management Shell snap-in, which is loaded if
  present). Writes OutDir\hosts\<COMPUTERNAME>\ with exactly the files of DESIGN.md §5:

    host.json                   who this host is
    get-queue.json              Get-Queue | Select-Object ... | ConvertTo-Json         (Exchange)
    get-receiveconnector.json   Get-ReceiveConnector | Select-Object ... | ConvertTo-Json (Exchange)
    setspn-l-<ACCOUNT>.txt      setspn -L <ACCOUNT> for every Exchange server account
    setspn-x.txt                setspn -X                                               (DC)
    setspn-q-SMTPSVC.txt        setspn -Q SMTPSVC/*                                     (DC)
    repadmin-showrepl.csv       repadmin /showrepl * /csv                               (DC)
    w32tm-stripchart-<DC>.txt   w32tm /stripchart /computer:<DC> /samples:5 /dataonly
    w32tm-status.txt            w32tm /query /status
    events-<LOG>.xml            wevtutil qe <LOG> /q:<XPath> /f:xml  (the event ids kerbside reads)

  Every step is independent: a command that fails is recorded in collect-errors.txt and the
  others still run (kerbside reports a missing file as "not collected", never as healthy).
  Copy the hosts folders of several servers under one folder and run
  `kerbside bundle check DIR` and `kerbside diagnose --bundle DIR`.

.PARAMETER OutDir
  The bundle folder (created if needed). Default: .\kerbside-bundle

.PARAMETER DomainControllers
  DCs to measure the clock against with w32tm /stripchart. Default: the PDC emulator and the DC
  this host authenticates against (nltest /dsgetdc).

.PARAMETER Accounts
  Computer accounts to list with setspn -L. Default: every Exchange server (Get-ExchangeServer),
  else this computer.

.PARAMETER Hours
  How far back to read events. Default: 24.

.EXAMPLE
  .\Collect-KerbsideBundle.ps1 -OutDir \\fileserver\kerbside\2026-11-26
#>
[CmdletBinding()]
param(
  [string]$OutDir = ".\kerbside-bundle",
  [string[]]$DomainControllers = @(),
  [string[]]$Accounts = @(),
  [int]$Hours = 24
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$name = $env:COMPUTERNAME.ToUpperInvariant()
$hostDir = Join-Path (Join-Path $OutDir 'hosts') $name
New-Item -ItemType Directory -Force -Path $hostDir | Out-Null
$errorLog = Join-Path $hostDir 'collect-errors.txt'

function Write-Step([string]$What, [scriptblock]$Body) {
  try {
    & $Body
  } catch {
    $line = "{0:u} {1}: {2}" -f (Get-Date).ToUniversalTime(), $What, $_.Exception.Message
    Add-Content -Path $errorLog -Value $line -Encoding UTF8
    Write-Warning $line
  }
}

# Native tools: their output goes to the file as the tool wrote it (UTF-8 here; kerbside also
# reads the UTF-16LE that `>` writes in Windows PowerShell 5.1).
function Save-Native([string]$File, [string]$Exe, [string[]]$Arguments) {
  $out = & $Exe @Arguments 2>&1 | Out-String
  Set-Content -Path (Join-Path $hostDir $File) -Value $out -Encoding UTF8
}

# ---- who this host is --------------------------------------------------------------------
$cs = Get-CimInstance Win32_ComputerSystem
$domain = $cs.Domain
$fqdn = ([System.Net.Dns]::GetHostEntry($env:COMPUTERNAME)).HostName.ToLowerInvariant()
$isDc = $cs.DomainRole -ge 4   # 4 = backup DC, 5 = primary DC
$isExchange = $false
Write-Step 'load Exchange snap-in' {
  if (-not (Get-Command Get-ExchangeServer -ErrorAction SilentlyContinue)) {
    $snapin = Get-PSSnapin -Registered -ErrorAction SilentlyContinue |
      Where-Object { $_.Name -like 'Microsoft.Exchange.Management.PowerShell.*' } |
      Select-Object -First 1
    if ($snapin) { Add-PSSnapin $snapin.Name }
  }
}
$isExchange = [bool](Get-Command Get-Queue -ErrorAction SilentlyContinue)

$site = ''
Write-Step 'AD site' { $site = (nltest /dsgetsite 2>$null | Select-Object -First 1).Trim() }
$pdc = ''
Write-Step 'PDC emulator' {
  $line = nltest "/dsgetdc:$domain" /pdc 2>$null | Where-Object { $_ -match '^\s*DC:\s*\\\\' }
  if ($line) { $pdc = ($line -replace '^\s*DC:\s*\\\\', '').Trim().ToLowerInvariant() }
}
$authDc = ''
Write-Step 'authenticating DC' {
  $line = nltest "/dsgetdc:$domain" 2>$null | Where-Object { $_ -match '^\s*DC:\s*\\\\' }
  if ($line) { $authDc = ($line -replace '^\s*DC:\s*\\\\', '').Trim().ToLowerInvariant() }
}
$ips = @(Get-NetIPAddress -AddressState Preferred -ErrorAction SilentlyContinue |
  Where-Object { $_.IPAddress -notmatch '^(127\.|::1|fe80:)' } | ForEach-Object { $_.IPAddress })

$hostInfo = [ordered]@{
  name         = $name
  fqdn         = $fqdn
  role         = $(if ($isExchange) { 'exchange' } elseif ($isDc) { 'dc' } else { 'exchange' })
  site         = $site
  domain       = $domain.ToLowerInvariant()
  ips          = $ips
  pdc_emulator = ($isDc -and $pdc -and ($pdc -eq $fqdn))
  collected_at = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
}
$hostInfo | ConvertTo-Json | Set-Content -Path (Join-Path $hostDir 'host.json') -Encoding UTF8

$bundleJson = Join-Path $OutDir 'bundle.json'
if (-not (Test-Path $bundleJson)) {
  [ordered]@{ format = 'kerbside-bundle/1'; max_clock_skew_seconds = 300 } | ConvertTo-Json |
    Set-Content -Path $bundleJson -Encoding UTF8
}

# ---- Exchange ----------------------------------------------------------------------------
if ($isExchange) {
  Write-Step 'Get-Queue' {
    Get-Queue | Select-Object Identity, DeliveryType, Status, MessageCount, NextHopDomain,
      LastError, LastRetryTime | ConvertTo-Json -Depth 3 |
      Set-Content -Path (Join-Path $hostDir 'get-queue.json') -Encoding UTF8
  }
  Write-Step 'Get-ReceiveConnector' {
    Get-ReceiveConnector -Server $name | Select-Object Identity, Enabled, TransportRole,
      Bindings, RemoteIPRanges, AuthMechanism, PermissionGroups | ConvertTo-Json -Depth 4 |
      Set-Content -Path (Join-Path $hostDir 'get-receiveconnector.json') -Encoding UTF8
  }
}

# ---- SPNs --------------------------------------------------------------------------------
if ($Accounts.Count -eq 0) {
  Write-Step 'Get-ExchangeServer' {
    if (Get-Command Get-ExchangeServer -ErrorAction SilentlyContinue) {
      $script:Accounts = @(Get-ExchangeServer | ForEach-Object { $_.Name })
    }
  }
  if ($Accounts.Count -eq 0) { $Accounts = @($name) }
}
foreach ($account in $Accounts) {
  Write-Step "setspn -L $account" { Save-Native "setspn-l-$account.txt" 'setspn.exe' @('-L', $account) }
}
if ($isDc) {
  # setspn -X exits 1 even on success on Server 2022: the output, not the exit code, counts.
  Write-Step 'setspn -X' { Save-Native 'setspn-x.txt' 'setspn.exe' @('-X') }
  Write-Step 'setspn -Q SMTPSVC/*' { Save-Native 'setspn-q-SMTPSVC.txt' 'setspn.exe' @('-Q', 'SMTPSVC/*') }
  Write-Step 'repadmin /showrepl' {
    Save-Native 'repadmin-showrepl.csv' 'repadmin.exe' @('/showrepl', '*', '/csv')
  }
}

# ---- clocks ------------------------------------------------------------------------------
if ($DomainControllers.Count -eq 0) {
  $DomainControllers = @($pdc, $authDc) | Where-Object { $_ -and $_ -ne $fqdn } |
    Select-Object -Unique
}
foreach ($dc in $DomainControllers) {
  $short = ($dc -split '\.')[0].ToUpperInvariant()
  Write-Step "w32tm /stripchart $dc" {
    Save-Native "w32tm-stripchart-$short.txt" 'w32tm.exe' @('/stripchart', "/computer:$dc",
      '/samples:5', '/dataonly')
  }
}
Write-Step 'w32tm /query /status' { Save-Native 'w32tm-status.txt' 'w32tm.exe' @('/query', '/status') }

# ---- events ------------------------------------------------------------------------------
$ms = [int64]$Hours * 3600 * 1000
$recent = "TimeCreated[timediff(@SystemTime) <= $ms]"
$queries = [ordered]@{
  'application' = "*[System[Provider[@Name='MSExchangeTransport' or @Name='MSExchangeFrontEndTransport'] and (EventID=1035 or EventID=2017) and $recent]]"
  'system'      = "*[System[Provider[@Name='Microsoft-Windows-Security-Kerberos' or @Name='Kerberos' or @Name='Microsoft-Windows-Time-Service' or @Name='W32Time' or @Name='NETLOGON' or @Name='Microsoft-Windows-Kerberos-Key-Distribution-Center' or @Name='KDC'] and (EventID=3 or EventID=4 or EventID=5 or EventID=7 or EventID=11 or EventID=14 or EventID=36 or EventID=47 or EventID=50 or EventID=129 or EventID=134 or EventID=142 or EventID=3210 or EventID=5719 or EventID=5722) and $recent]]"
}
if ($isDc) {
  $queries['security'] = "*[System[(EventID=4768 or EventID=4769 or EventID=4771) and $recent] and EventData[Data[@Name='Status']!='0x0']]"
  $queries['directory-service'] = "*[System[(EventID=1311 or EventID=1388 or EventID=1864 or EventID=1925 or EventID=1988 or EventID=2042 or EventID=2087 or EventID=2088) and $recent]]"
}
$logs = @{ 'application' = 'Application'; 'system' = 'System'; 'security' = 'Security';
           'directory-service' = 'Directory Service' }
foreach ($key in $queries.Keys) {
  Write-Step "wevtutil qe $($logs[$key])" {
    # Newest first, bounded: a DC can log thousands of failed 4769s an hour.
    Save-Native "events-$key.xml" 'wevtutil.exe' @('qe', $logs[$key], "/q:$($queries[$key])",
      '/f:xml', '/rd:true', '/c:5000')
  }
}

Write-Host "kerbside bundle folder written: $hostDir"
if (Test-Path $errorLog) { Write-Warning "some steps failed, see $errorLog" }
