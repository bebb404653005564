# tmsdrift: print one file as base64 (read-only). Exit 0 done, 2 no such
# file, 1 any other failure (message on standard error).
param([string]$Path)
$ErrorActionPreference = 'Stop'
try {
    if (-not [IO.File]::Exists($Path)) {
        [Console]::Error.WriteLine("not found: $Path")
        exit 2
    }
    $in = [IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite')
    try {
        $buf = New-Object byte[] 57000
        while (($n = $in.Read($buf, 0, $buf.Length)) -gt 0) {
            [Console]::Out.WriteLine([Convert]::ToBase64String($buf, 0, $n))
        }
    } finally {
        $in.Close()
    }
} catch {
    [Console]::Error.WriteLine($_.Exception.Message)
    exit 1
}
exit 0
