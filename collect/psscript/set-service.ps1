# tmsdrift: set one service's start type and/or bring it to a state.
# StartType: Automatic, AutomaticDelayed, Manual, Disabled or empty (keep).
# State: Running, Stopped or empty (keep). Stopping uses -Force, which also
# stops the services that depend on it. Exit 0 done, 2 no such service, 1
# any other failure (message on standard error).
param([string]$Name, [string]$StartType, [string]$State, [int]$TimeoutSeconds)
$ErrorActionPreference = 'Stop'
try {
    $svc = Get-Service -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $svc) {
        [Console]::Error.WriteLine("no such service: $Name")
        exit 2
    }
    if ($StartType) {
        $mode = @{ Automatic = 'auto'; AutomaticDelayed = 'delayed-auto'; Manual = 'demand'; Disabled = 'disabled' }[$StartType]
        if (-not $mode) { throw "unknown start type $StartType" }
        $ErrorActionPreference = 'Continue'
        $out = @(& sc.exe config $svc.Name start= $mode 2>&1 | ForEach-Object { "$_" })
        $ErrorActionPreference = 'Stop'
        if ($LASTEXITCODE -ne 0) { throw "sc.exe config $($svc.Name) start= $mode failed: $($out -join ' ')" }
    }
    $wait = [TimeSpan]::FromSeconds($TimeoutSeconds)
    if ($State -eq 'Stopped' -and $svc.Status -ne 'Stopped') {
        Stop-Service -Name $svc.Name -Force
        $svc.WaitForStatus('Stopped', $wait)
    } elseif ($State -eq 'Running' -and $svc.Status -ne 'Running') {
        Start-Service -Name $svc.Name
        $svc.WaitForStatus('Running', $wait)
    } elseif ($State -and $State -ne 'Stopped' -and $State -ne 'Running') {
        throw "unknown state $State"
    }
} catch {
    [Console]::Error.WriteLine($_.Exception.Message)
    exit 1
}
exit 0
