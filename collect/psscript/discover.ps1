# tmsdrift discover probe, output format tmsdrift-discover/v1
#
# Lists where this Cisco TMS server keeps what, so an administrator can
# tell tmsdrift what no public document says. READ-ONLY: it changes
# nothing on this server. What it reads:
#
#   * the registry values under HKLM\SOFTWARE\Tandberg, \Cisco and their
#     WOW6432Node views (names and data; a value whose name suggests a
#     secret, or a binary one, is hashed here with SHA-256 and only the
#     hash is printed);
#   * the uninstall entries of Cisco and TANDBERG products;
#   * the services named TMS*, W3SVC, or with TelePresence in their
#     display name (Win32_Service: display name, start mode, state, path);
#   * IIS's applicationHost.config: every application, its physical
#     folder and the web.config files in it;
#   * the folders below the TMS install folder (a few levels) and the
#     web.config files among them.
#
# tmsdrift sends it over standard input, wrapped as the collector is:
#   & { <this script> } '<parameters>'
# The parameters are base64 of UTF-8 JSON: the inventory's paths, the
# words that mark a secret, and the limits.
#
# Output: the line #tmsdrift-discover/v1, base64 of one UTF-8 JSON
# document (schema tmsdrift/discover/v1), the line #end. Exit code 0 when
# it ran to the end, 1 when it could not run (message on standard error).

param([string]$ParamsBase64)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

try {
    $P = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($ParamsBase64)) | ConvertFrom-Json
} catch {
    [Console]::Error.WriteLine("tmsdrift discover: bad parameters: $($_.Exception.Message)")
    exit 1
}

$warnings = New-Object System.Collections.Generic.List[string]

function Test-SecretName([string]$Name) {
    $n = ($Name.ToLowerInvariant() -replace '[^\p{L}\p{N}]', '')
    foreach ($w in @($P.secret_words)) {
        if ($w -and $n.Contains($w)) { return $true }
    }
    return $false
}

function Get-Sha256Hex([string]$Text) {
    $sha = [Security.Cryptography.SHA256]::Create()
    try {
        $bytes = $sha.ComputeHash([Text.Encoding]::UTF8.GetBytes($Text))
        return (($bytes | ForEach-Object { $_.ToString('x2') }) -join '')
    } finally {
        $sha.Dispose()
    }
}

# ---- registry ---------------------------------------------------------------

$kinds = @{ String = 'REG_SZ'; ExpandString = 'REG_EXPAND_SZ'; Binary = 'REG_BINARY'; DWord = 'REG_DWORD'; MultiString = 'REG_MULTI_SZ'; QWord = 'REG_QWORD' }

function Get-RegistryValues {
    $out = New-Object System.Collections.Generic.List[object]
    $roots = @('HKLM:\SOFTWARE\Tandberg', 'HKLM:\SOFTWARE\WOW6432Node\Tandberg', 'HKLM:\SOFTWARE\Cisco', 'HKLM:\SOFTWARE\WOW6432Node\Cisco')
    $count = 0
    foreach ($root in $roots) {
        if (-not (Test-Path -LiteralPath $root)) { continue }
        $keys = @(Get-Item -LiteralPath $root) + @(Get-ChildItem -LiteralPath $root -Recurse -ErrorAction SilentlyContinue)
        foreach ($k in $keys) {
            $count++
            if ($count -gt $P.max_keys) { $warnings.Add("registry: more than $($P.max_keys) keys, the rest not listed"); return ,$out.ToArray() }
            foreach ($name in @($k.GetValueNames())) {
                $kind = [string]$k.GetValueKind($name)
                $data = $k.GetValue($name, $null, 'DoNotExpandEnvironmentNames')
                $text = switch ($kind) {
                    'Binary'      { (@($data) | ForEach-Object { ([byte]$_).ToString('x2') }) -join '' }
                    'MultiString' { @($data) -join '; ' }
                    default       { [string]$data }
                }
                $type = $kinds[$kind]
                if (-not $type) { $type = "REG_$kind" }
                $entry = [ordered]@{ key = ($k.Name -replace '^HKEY_LOCAL_MACHINE', 'HKLM'); name = [string]$name; type = $type }
                if ($kind -eq 'Binary' -or (Test-SecretName $name)) {
                    $entry['sha256'] = Get-Sha256Hex $text
                } else {
                    $entry['value'] = $text
                }
                $out.Add($entry)
            }
        }
    }
    return ,$out.ToArray()
}

function Get-UninstallEntries {
    $out = New-Object System.Collections.Generic.List[object]
    $roots = @('HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall', 'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall')
    foreach ($root in $roots) {
        foreach ($key in @(Get-ChildItem -LiteralPath $root -ErrorAction SilentlyContinue)) {
            $item = Get-ItemProperty -LiteralPath $key.PSPath -ErrorAction SilentlyContinue
            if ($null -eq $item) { continue }
            $nameProp = $item.PSObject.Properties['DisplayName']
            if ($null -eq $nameProp) { continue }
            $name = [string]$nameProp.Value
            if ($name -notlike '*TelePresence*' -and $name -notlike '*TANDBERG*' -and $name -notlike 'Cisco TMS*') { continue }
            $version = ''; $location = ''
            if ($item.PSObject.Properties['DisplayVersion']) { $version = [string]$item.DisplayVersion }
            if ($item.PSObject.Properties['InstallLocation']) { $location = [string]$item.InstallLocation }
            $out.Add([ordered]@{ display_name = $name; display_version = $version; install_location = $location })
        }
    }
    return ,$out.ToArray()
}

# ---- services -----------------------------------------------------------------

function Get-ServiceEntries {
    $out = New-Object System.Collections.Generic.List[object]
    $filter = "Name LIKE 'TMS%' OR Name = 'W3SVC' OR DisplayName LIKE '%TelePresence%'"
    foreach ($s in @(Get-CimInstance -ClassName Win32_Service -Filter $filter)) {
        $start = switch ($s.StartMode) {
            'Auto'     { 'Automatic' }
            'Manual'   { 'Manual' }
            'Disabled' { 'Disabled' }
            default    { [string]$s.StartMode }
        }
        $out.Add([ordered]@{ name = [string]$s.Name; display_name = [string]$s.DisplayName; start_type = $start; state = [string]$s.State; binary_path = [string]$s.PathName })
    }
    return ,$out.ToArray()
}

# ---- IIS ------------------------------------------------------------------------

function Get-IisApplications {
    $out = New-Object System.Collections.Generic.List[object]
    $config = Join-Path $env:windir 'System32\inetsrv\config\applicationHost.config'
    if (-not (Test-Path -LiteralPath $config -PathType Leaf)) { $warnings.Add('IIS: no applicationHost.config'); return ,$out.ToArray() }
    $xml = New-Object System.Xml.XmlDocument
    $xml.XmlResolver = $null
    $xml.Load($config)
    foreach ($site in @($xml.SelectNodes('/configuration/system.applicationHost/sites/site'))) {
        foreach ($app in @($site.SelectNodes('application'))) {
            foreach ($vdir in @($app.SelectNodes('virtualDirectory'))) {
                if ($vdir.GetAttribute('path') -ne '/') { continue }
                $physical = [Environment]::ExpandEnvironmentVariables($vdir.GetAttribute('physicalPath')).TrimEnd('\')
                $configs = @()
                $wc = Join-Path $physical 'web.config'
                if (Test-Path -LiteralPath $wc -PathType Leaf) { $configs = @($wc) }
                $out.Add([ordered]@{ site = $site.GetAttribute('name'); path = $app.GetAttribute('path'); physical_path = $physical; web_configs = $configs })
            }
        }
    }
    return ,$out.ToArray()
}

# ---- folders ----------------------------------------------------------------------

function Get-Folders([string]$Install) {
    $folders = New-Object System.Collections.Generic.List[string]
    $configs = New-Object System.Collections.Generic.List[string]
    $queue = New-Object System.Collections.Generic.Queue[object]
    $queue.Enqueue(@($Install, '', 0))
    while ($queue.Count -gt 0) {
        $item = $queue.Dequeue()
        if (Test-Path -LiteralPath (Join-Path $item[0] 'web.config') -PathType Leaf) {
            $configs.Add((($item[1] + '\web.config').TrimStart('\')))
        }
        if ($item[2] -ge $P.folder_depth) { continue }
        foreach ($d in @(Get-ChildItem -LiteralPath $item[0] -Directory -Force -ErrorAction SilentlyContinue | Sort-Object Name)) {
            if ($folders.Count -ge $P.max_folders) { $warnings.Add("folders: more than $($P.max_folders), the rest not listed"); return @($folders.ToArray(), $configs.ToArray()) }
            $rel = ($item[1] + '\' + $d.Name).TrimStart('\')
            $folders.Add($rel)
            $queue.Enqueue(@($d.FullName, $rel, ($item[2] + 1)))
        }
    }
    return @($folders.ToArray(), $configs.ToArray())
}

# ---- main ---------------------------------------------------------------------------

$doc = [ordered]@{ schema = 'tmsdrift/discover/v1'; hostname = [Environment]::MachineName }
try { $doc['registry'] = Get-RegistryValues } catch { $warnings.Add("registry: $($_.Exception.Message)"); $doc['registry'] = @() }
try { $doc['uninstall'] = Get-UninstallEntries } catch { $warnings.Add("uninstall entries: $($_.Exception.Message)"); $doc['uninstall'] = @() }
try { $doc['services'] = Get-ServiceEntries } catch { $warnings.Add("services: $($_.Exception.Message)"); $doc['services'] = @() }
try { $doc['iis'] = Get-IisApplications } catch { $warnings.Add("IIS: $($_.Exception.Message)"); $doc['iis'] = @() }

$install = ''
foreach ($e in @($doc['uninstall'])) {
    if ($e.display_name -like '*Management Suite*' -and $e.display_name -notlike '*Extension*' -and $e.install_location) { $install = $e.install_location.TrimEnd('\'); break }
}
if (-not $install) {
    foreach ($a in @($doc['iis'])) {
        if ($a.path -eq '/tms' -and (Split-Path -Leaf $a.physical_path) -eq 'wwwTMS') { $install = Split-Path -Parent $a.physical_path }
    }
}
if (-not $install) { $install = ([string]$P.install).TrimEnd('\') }
$doc['install_path'] = $install
$doc['folders'] = @(); $doc['web_configs'] = @()
if ($install -and (Test-Path -LiteralPath $install -PathType Container)) {
    try {
        $found = Get-Folders $install
        $doc['folders'] = @($found[0]); $doc['web_configs'] = @($found[1])
    } catch { $warnings.Add("folders: $($_.Exception.Message)") }
} else {
    $warnings.Add("install folder $install not found")
}
$doc['warnings'] = $warnings.ToArray()

$json = ConvertTo-Json -InputObject $doc -Depth 6 -Compress
[Console]::Out.WriteLine('#tmsdrift-discover/v1')
[Console]::Out.WriteLine([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($json), [Base64FormattingOptions]::InsertLineBreaks))
[Console]::Out.WriteLine('#end')
exit 0
