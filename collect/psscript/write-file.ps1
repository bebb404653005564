# tmsdrift: replace (or create) one file with the base64 lines read from
# standard input, atomically: a temporary file in the same folder, checked
# against the SHA-256 tmsdrift sent, flushed to disk, then put in place
# with File.Replace (which keeps the original's permissions) or File.Move.
# A failure leaves the original untouched and no temporary file behind.
param([string]$Path, [string]$Sha256)
$ErrorActionPreference = 'Stop'
$tmp = $null
try {
    $dir = [IO.Path]::GetDirectoryName($Path)
    [void][IO.Directory]::CreateDirectory($dir)
    $tmp = [IO.Path]::Combine($dir, '.' + [IO.Path]::GetFileName($Path) + '.tmsdrift-' + [Guid]::NewGuid().ToString('N') + '.tmp')
    $sha = [Security.Cryptography.SHA256]::Create()
    $out = [IO.File]::Open($tmp, 'CreateNew', 'Write', 'None')
    try {
        while ($null -ne ($line = [Console]::In.ReadLine())) {
            if ($line.Trim() -eq '') { continue }
            $b = [Convert]::FromBase64String($line.Trim())
            $out.Write($b, 0, $b.Length)
            [void]$sha.TransformBlock($b, 0, $b.Length, $null, 0)
        }
        [void]$sha.TransformFinalBlock((New-Object byte[] 0), 0, 0)
        $out.Flush($true)
    } finally {
        $out.Close()
    }
    $got = -join ($sha.Hash | ForEach-Object { $_.ToString('x2') })
    if ($got -ne $Sha256) { throw "content arrived damaged: sha256 $got, want $Sha256" }
    if ([IO.File]::Exists($Path)) {
        [IO.File]::Replace($tmp, $Path, $null)
    } else {
        [IO.File]::Move($tmp, $Path)
    }
    $tmp = $null
} catch {
    [Console]::Error.WriteLine($_.Exception.Message)
    if ($tmp -and [IO.File]::Exists($tmp)) { [IO.File]::Delete($tmp) }
    exit 1
}
exit 0
