# tmsdrift: delete one file; a file that is not there is not an error.
param([string]$Path)
$ErrorActionPreference = 'Stop'
try {
    if ([IO.File]::Exists($Path)) { [IO.File]::Delete($Path) }
} catch {
    [Console]::Error.WriteLine($_.Exception.Message)
    exit 1
}
exit 0
