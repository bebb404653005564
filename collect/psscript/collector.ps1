# tmsdrift collector, output format tmsdrift-collector/v1
#
# Gathers the facts tmsdrift audits on one Cisco TMS server and prints
# them. READ-ONLY: it changes nothing on this server (no file, registry
# key, service or setting is written). What it reads:
#
#   * Win32_ComputerSystem, Win32_NetworkAdapterConfiguration (CIM):
#     host name, domain membership, IP addresses;
#   * w32tm /query /source and w32tm /stripchart (3 samples): the Windows
#     Time source and this clock's offset from it;
#   * Win32_Service for TMS* and W3SVC: start type and state;
#   * where TMS is installed, its version and database, from IIS's
#     applicationHost.config (the /tms application), the uninstall entries
#     in the registry, the registry key of TMS, and the installed files;
#   * 3 TCP connections (opened and closed at once, nothing sent) to the SQL
#     Server, to time the round trip; for a named instance without a port,
#     one UDP question to the SQL Server Browser (port 1434);
#   * the bytes of web.config;
#   * the size and SHA-256 of every file in the customer data folders
#     (only when tmsdrift asks: multi-server deployments).
#
# tmsdrift sends this script over standard input to
#   powershell.exe -NoProfile -NonInteractive -Command -
# wrapped as  & { <this script> } '<parameters>'  (blank lines sent as #).
# The parameters are base64 of UTF-8 JSON: the inventory's paths, the data
# folders, whether to hash them, and the SQL Server to time.
#
# Output, on standard output, one marker line per part; contents are
# base64 (ASCII whatever the console code page):
#   #tmsdrift-collector/v1
#   #file facts.json -                      then the base64 lines
#   #file web.config <base64 path>          then the base64 lines
#   #file manifest.json -                   then the base64 lines
#   #error <part> <base64 path or -> <notfound|failed> <base64 message>
#   #warning <base64 message>
#   #end
# Exit code 0 when the script ran to the end (parts may still carry
# errors), 1 when it could not run at all (message on standard error).

param([string]$ParamsBase64)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

# ---- output -------------------------------------------------------------

function ConvertTo-B64([string]$Text) {
    return [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Text))
}

function Write-Part([string]$Name, [string]$Path, [byte[]]$Bytes) {
    $p = '-'
    if ($Path) { $p = ConvertTo-B64 $Path }
    [Console]::Out.WriteLine("#file $Name $p")
    if ($Bytes.Length -gt 0) {
        [Console]::Out.WriteLine([Convert]::ToBase64String($Bytes, [Base64FormattingOptions]::InsertLineBreaks))
    }
}

function Write-PartError([string]$Name, [string]$Path, [string]$Code, [string]$Message) {
    $p = '-'
    if ($Path) { $p = ConvertTo-B64 $Path }
    [Console]::Out.WriteLine("#error $Name $p $Code $(ConvertTo-B64 $Message)")
}

function Write-Warn([string]$Message) {
    [Console]::Out.WriteLine("#warning $(ConvertTo-B64 $Message)")
}

# The leading comma keeps PowerShell from unrolling an array returned by a
# function into single elements (here and below).
function ConvertTo-JsonBytes($Value) {
    $json = ConvertTo-Json -InputObject $Value -Depth 6 -Compress
    return ,[Text.Encoding]::UTF8.GetBytes($json)
}

# ---- helpers --------------------------------------------------------------

function Join-WinPath([string]$Dir, [string]$Rel) {
    return $Dir.TrimEnd('\') + '\' + $Rel.Trim('\')
}

# Runs a program, returning its output lines (standard error merged in) and
# leaving $LASTEXITCODE set. Its standard error must not stop the script.
function Invoke-Native([string]$Exe, [string[]]$Arguments) {
    $ErrorActionPreference = 'Continue'
    $lines = @(& $Exe @Arguments 2>&1 | ForEach-Object { "$_" })
    return ,$lines
}

function Get-RegValue([string]$Key, [string]$Name) {
    $item = Get-ItemProperty -LiteralPath $Key -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    $prop = $item.PSObject.Properties[$Name]
    if ($null -eq $prop -or $null -eq $prop.Value -or "$($prop.Value)" -eq '') { return $null }
    return "$($prop.Value)"
}

function Get-Median([double[]]$Values) {
    $s = @($Values | Sort-Object)
    $n = $s.Count
    if ($n -eq 0) { return $null }
    if ($n % 2 -eq 1) { return $s[($n - 1) / 2] }
    return ($s[$n / 2 - 1] + $s[$n / 2]) / 2
}

# ---- facts: computer, addresses -------------------------------------------

function Get-ComputerFacts($Facts) {
    $cs = Get-CimInstance -ClassName Win32_ComputerSystem
    $Facts['hostname'] = [string]$cs.Name
    $Facts['domain'] = [string]$cs.Domain
    $Facts['part_of_domain'] = [bool]$cs.PartOfDomain

    $v4 = New-Object System.Collections.Generic.List[string]
    $v6 = New-Object System.Collections.Generic.List[string]
    foreach ($nic in @(Get-CimInstance -ClassName Win32_NetworkAdapterConfiguration -Filter 'IPEnabled = TRUE')) {
        foreach ($ip in @($nic.IPAddress)) {
            if (-not $ip) { continue }
            if ($ip.Contains(':')) {
                if (-not $ip.StartsWith('fe80', [StringComparison]::OrdinalIgnoreCase)) { $v6.Add($ip) }
            } else {
                $v4.Add($ip)
            }
        }
    }
    $Facts['ipv4'] = $v4.ToArray()
    $Facts['ipv6'] = $v6.ToArray()
}

# ---- facts: time ------------------------------------------------------------

# The source as w32tm names it ("dc01.acme.local", "time.windows.com,0x9",
# "Local CMOS Clock", "Free-running System Clock"); synced when it answers
# an NTP query; offset the median of three w32tm /stripchart samples, in
# milliseconds, with w32tm's sign.
function Get-TimeFacts {
    $out = Invoke-Native 'w32tm.exe' @('/query', '/source')
    if ($LASTEXITCODE -ne 0) { throw "w32tm /query /source failed: $($out -join ' ')" }
    $source = ([string]($out | Where-Object { "$_".Trim() -ne '' } | Select-Object -First 1)).Trim()
    $time = [ordered]@{ source = $source; synced = $false }
    if ($source -eq '' -or $source -eq 'Local CMOS Clock' -or $source -eq 'Free-running System Clock') {
        return $time
    }
    $peer = ($source -split ',')[0].Trim()
    $samples = New-Object System.Collections.Generic.List[double]
    foreach ($line in (Invoke-Native 'w32tm.exe' @('/stripchart', "/computer:$peer", '/samples:3', '/dataonly'))) {
        if ("$line" -match ',\s*([+-]?\d+(?:[.,]\d+)?)s\s*$') {
            $seconds = [double]::Parse($Matches[1].Replace(',', '.'), [Globalization.CultureInfo]::InvariantCulture)
            $samples.Add([Math]::Round($seconds * 1000, 3))
        }
    }
    if ($samples.Count -gt 0) {
        $time['synced'] = $true
        $time['offset_ms'] = Get-Median $samples.ToArray()
    } else {
        Write-Warn "time source $peer did not answer w32tm /stripchart"
    }
    return $time
}

# ---- facts: services --------------------------------------------------------

function Get-ServiceFacts {
    $list = New-Object System.Collections.Generic.List[object]
    foreach ($s in @(Get-CimInstance -ClassName Win32_Service -Filter "Name LIKE 'TMS%' OR Name = 'W3SVC'")) {
        $delayed = $false
        $prop = $s.PSObject.Properties['DelayedAutoStart']
        if ($null -ne $prop -and $null -ne $prop.Value) {
            $delayed = [bool]$prop.Value
        } else {
            $delayed = (Get-RegValue "HKLM:\SYSTEM\CurrentControlSet\Services\$($s.Name)" 'DelayedAutostart') -eq '1'
        }
        $start = switch ($s.StartMode) {
            'Auto'     { if ($delayed) { 'AutomaticDelayed' } else { 'Automatic' } }
            'Manual'   { 'Manual' }
            'Disabled' { 'Disabled' }
            default    { [string]$s.StartMode }
        }
        $state = switch ($s.State) {
            'Running'          { 'Running' }
            'Stopped'          { 'Stopped' }
            'Start Pending'    { 'StartPending' }
            'Continue Pending' { 'StartPending' }
            'Stop Pending'     { 'StopPending' }
            'Pause Pending'    { 'Paused' }
            'Paused'           { 'Paused' }
            default            { [string]$s.State }
        }
        $list.Add([ordered]@{ name = [string]$s.Name; start_type = $start; state = $state })
    }
    return ,$list.ToArray()
}

# ---- facts: the TMS installation --------------------------------------------

# The keys and value names come from tmsdrift: the inventory's registry
# block (what `tmsdrift discover node` found) first, then tmsdrift's
# guesses, not confirmed on a TMS server (docs/transports.md).
function Get-TmsRegValue([string[]]$Names) {
    foreach ($k in @($P.registry.keys)) {
        $key = 'HKLM:\' + $k
        foreach ($name in $Names) {
            $v = Get-RegValue $key $name
            if ($v) { return $v }
        }
    }
    return $null
}

# The physical folder of the /tms application in IIS's configuration.
function Get-IisWebRoot {
    $config = Join-Path $env:windir 'System32\inetsrv\config\applicationHost.config'
    if (-not (Test-Path -LiteralPath $config -PathType Leaf)) { return $null }
    $xml = New-Object System.Xml.XmlDocument
    $xml.XmlResolver = $null
    $xml.Load($config)
    foreach ($app in @($xml.SelectNodes('/configuration/system.applicationHost/sites/site/application'))) {
        if ($app.GetAttribute('path') -ne '/tms') { continue }
        foreach ($vdir in @($app.SelectNodes('virtualDirectory'))) {
            if ($vdir.GetAttribute('path') -eq '/') {
                return [Environment]::ExpandEnvironmentVariables($vdir.GetAttribute('physicalPath')).TrimEnd('\')
            }
        }
    }
    return $null
}

# The uninstall entry of TMS itself (not its extensions TMSXE, TMSPE).
function Get-TmsUninstallEntry {
    $roots = @(
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall',
        'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall'
    )
    foreach ($root in $roots) {
        foreach ($key in @(Get-ChildItem -LiteralPath $root -ErrorAction SilentlyContinue)) {
            $name = Get-RegValue $key.PSPath 'DisplayName'
            if (-not $name) { continue }
            if ($name -notlike '*TelePresence Management Suite*' -and $name -notlike '*TANDBERG Management Suite*') { continue }
            if ($name -like '*Extension*' -or $name -like '*Provisioning*') { continue }
            return [ordered]@{
                version = Get-RegValue $key.PSPath 'DisplayVersion'
                install = Get-RegValue $key.PSPath 'InstallLocation'
            }
        }
    }
    return $null
}

function Get-TmsFacts($P) {
    $tms = [ordered]@{}
    $entry = Get-TmsUninstallEntry
    $webRoot = $null
    try { $webRoot = Get-IisWebRoot } catch { Write-Warn "IIS configuration: $($_.Exception.Message)" }

    $install = $null
    if ($entry -and $entry.install) { $install = $entry.install.TrimEnd('\') }
    if (-not $install) { $install = Get-TmsRegValue @($P.registry.install) }
    if (-not $install -and $webRoot -and ((Split-Path -Leaf $webRoot) -eq 'wwwTMS')) { $install = Split-Path -Parent $webRoot }
    if (-not $install -and (Test-Path -LiteralPath (Join-WinPath $P.install 'wwwTMS\web.config') -PathType Leaf)) {
        $install = $P.install.TrimEnd('\')
    }
    if (-not $webRoot -and $install) { $webRoot = Join-WinPath $install 'wwwTMS' }

    $version = $null
    if ($entry -and $entry.version) { $version = $entry.version }
    if (-not $version) { $version = Get-TmsRegValue @($P.registry.version) }

    if ($version) { $tms['version'] = $version }
    if ($install) { $tms['install_path'] = $install }
    if ($webRoot) {
        $tms['web_root'] = $webRoot
        # The newest release's software folder that exists (TMS 15:
        # Public\Data\SystemSoftware; older: Data\Software), as tmsdrift's
        # version profiles list them; else the older one.
        $tms['software_dir'] = Join-WinPath $webRoot 'Data\Software'
        foreach ($rel in @($P.software_dirs)) {
            if (-not $rel) { continue }
            $candidate = Join-WinPath $webRoot $rel
            if (Test-Path -LiteralPath $candidate -PathType Container) {
                $tms['software_dir'] = $candidate
                break
            }
        }
    }
    $dbServer = Get-TmsRegValue @($P.registry.db_server)
    $dbName = Get-TmsRegValue @($P.registry.db_name)
    if ($dbServer) { $tms['db_server'] = $dbServer }
    if ($dbName) { $tms['db_name'] = $dbName }
    return $tms
}

# ---- facts: round trip to the SQL Server ------------------------------------

# The TCP port of a SQL Server: given (host,port), 1433 for a default
# instance, else asked from the SQL Server Browser.
function Get-SqlEndpoint([string]$Server) {
    $s = $Server.Trim()
    if ($s.StartsWith('tcp:', [StringComparison]::OrdinalIgnoreCase)) { $s = $s.Substring(4) }
    $port = 0
    if ($s.Contains(',')) {
        $parts = $s.Split(',')
        $s = $parts[0]
        $port = [int]$parts[1].Trim()
    }
    $instance = ''
    if ($s.Contains('\')) {
        $parts = $s.Split('\')
        $s = $parts[0]
        $instance = $parts[1]
    }
    if ($s -eq '.' -or $s -eq '(local)') { $s = 'localhost' }
    if ($port -eq 0 -and $instance -eq '') { $port = 1433 }
    if ($port -eq 0) {
        $udp = New-Object System.Net.Sockets.UdpClient
        try {
            $udp.Client.ReceiveTimeout = 2000
            $udp.Connect($s, 1434)
            $ask = [byte[]](@(4) + [Text.Encoding]::ASCII.GetBytes($instance))
            [void]$udp.Send($ask, $ask.Length)
            $remote = New-Object System.Net.IPEndPoint([System.Net.IPAddress]::Any, 0)
            $answer = [Text.Encoding]::ASCII.GetString($udp.Receive([ref]$remote))
        } finally {
            $udp.Close()
        }
        if ($answer -match 'tcp;(\d+)') { $port = [int]$Matches[1] } else { throw "SQL Server Browser on $s gave no TCP port for instance $instance" }
    }
    return @($s, $port)
}

function Measure-SqlRoundTrip([string]$Server, [int]$Samples) {
    $endpoint = Get-SqlEndpoint $Server
    $address = @([System.Net.Dns]::GetHostAddresses($endpoint[0]))[0]
    $list = New-Object System.Collections.Generic.List[double]
    for ($i = 0; $i -lt $Samples; $i++) {
        $client = New-Object System.Net.Sockets.TcpClient($address.AddressFamily)
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $task = $client.ConnectAsync($address, $endpoint[1])
            if (-not $task.Wait(5000)) { throw "connecting to $($endpoint[0]):$($endpoint[1]) timed out" }
            $watch.Stop()
            $list.Add([Math]::Round($watch.Elapsed.TotalMilliseconds, 2))
        } finally {
            $client.Close()
        }
    }
    return ,$list.ToArray()
}

# ---- the parts ----------------------------------------------------------------

function Write-Facts($P) {
    $facts = [ordered]@{ schema = 'tmsdrift/facts/v1' }
    Get-ComputerFacts $facts
    try { $facts['time'] = Get-TimeFacts } catch { Write-Warn "time: $($_.Exception.Message)" }
    try { $facts['tms'] = Get-TmsFacts $P } catch { Write-Warn "tms: $($_.Exception.Message)" }
    $facts['services'] = Get-ServiceFacts
    if ($P.db_server) {
        try { $facts['db_rtt_ms'] = Measure-SqlRoundTrip $P.db_server $P.rtt_samples } catch { Write-Warn "db_rtt_ms: $($_.Exception.Message)" }
    }
    Write-Part 'facts.json' '' (ConvertTo-JsonBytes $facts)
    return $facts
}

function Write-WebConfig([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        Write-PartError 'web.config' $Path 'notfound' "$Path not found"
        return
    }
    Write-Part 'web.config' $Path ([IO.File]::ReadAllBytes($Path))
}

function Write-Manifest([string]$Install, $Dirs) {
    $files = [ordered]@{}
    foreach ($dir in @($Dirs)) {
        $full = Join-WinPath $Install $dir
        if (-not (Test-Path -LiteralPath $full -PathType Container)) { continue }
        foreach ($f in @(Get-ChildItem -LiteralPath $full -Recurse -File -Force)) {
            $hash = Get-FileHash -LiteralPath $f.FullName -Algorithm SHA256
            $files[$f.FullName] = [ordered]@{ size = [long]$f.Length; sha256 = $hash.Hash.ToLowerInvariant() }
        }
    }
    Write-Part 'manifest.json' '' (ConvertTo-JsonBytes ([ordered]@{ schema = 'tmsdrift/manifest/v1'; files = $files }))
}

# ---- main -------------------------------------------------------------------

try {
    $P = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($ParamsBase64)) | ConvertFrom-Json
} catch {
    [Console]::Error.WriteLine("tmsdrift collector: bad parameters: $($_.Exception.Message)")
    exit 1
}

[Console]::Out.WriteLine('#tmsdrift-collector/v1')
$facts = $null
try { $facts = Write-Facts $P } catch { Write-PartError 'facts.json' '' 'failed' $_.Exception.Message }

# Files are read at this node's own paths, else at the inventory's.
$webRoot = $P.web_root
$install = $P.install
if ($facts -and $facts.Contains('tms')) {
    if ($facts['tms'].Contains('web_root')) { $webRoot = $facts['tms']['web_root'] }
    if ($facts['tms'].Contains('install_path')) { $install = $facts['tms']['install_path'] }
}
$webConfig = Join-WinPath $webRoot 'web.config'
try { Write-WebConfig $webConfig } catch { Write-PartError 'web.config' $webConfig 'failed' $_.Exception.Message }
if ($P.hash_data) {
    try { Write-Manifest $install $P.data_dirs } catch { Write-PartError 'manifest.json' '' 'failed' $_.Exception.Message }
}
[Console]::Out.WriteLine('#end')
exit 0
