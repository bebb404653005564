// Package psscript holds the PowerShell that tmsdrift runs on a Windows
// node through a remote shell (WinRM, SSH): one read-only collector that
// prints a node's facts, web.config and data manifest, and four small
// scripts for the fixers' writes. They are embedded in the binary as
// readable files (collector.ps1, read-file.ps1, ...) so an administrator
// can review exactly what will run on a production server
// (`tmsdrift collect --show-script`), and this package builds the command
// lines and standard input that carry them and parses what they print.
//
// Two ways of carrying a script, both within the 8,191-character limit of
// the command line cmd.exe passes on:
//   - the collector (17 KB) goes over standard input to
//     `powershell.exe -NoProfile -NonInteractive -Command -`, wrapped in
//     `& { ... }` so PowerShell's line-by-line reading of standard input
//     runs it as one script whose exit code is the process's;
//   - the small scripts go on the command line with -EncodedCommand
//     (UTF-16LE, base64), leaving standard input free for file contents.
package psscript

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// The scripts, as reviewed.
var (
	//go:embed collector.ps1
	collectorScript string
	//go:embed read-file.ps1
	readFileScript string
	//go:embed write-file.ps1
	writeFileScript string
	//go:embed remove-file.ps1
	removeFileScript string
	//go:embed set-service.ps1
	setServiceScript string
)

// PowerShell starts Windows PowerShell 5.1 without the user's profile
// (which could print or change anything) and without ever prompting.
const PowerShell = "powershell.exe -NoProfile -NonInteractive"

// CollectorCommand is the command line the collector runs under; the
// script itself arrives on standard input (CollectorInput).
const CollectorCommand = PowerShell + " -Command -"

// Collector returns the collector script as embedded, for review.
func Collector() string { return collectorScript }

// Scripts returns every embedded script by file name, for review
// (`tmsdrift collect --show-script`) and for docs/transports.md.
func Scripts() map[string]string {
	return map[string]string{
		"collector.ps1":   collectorScript,
		"read-file.ps1":   readFileScript,
		"write-file.ps1":  writeFileScript,
		"remove-file.ps1": removeFileScript,
		"set-service.ps1": setServiceScript,
		"discover.ps1":    discoverScript,
	}
}

// CollectorSHA256 is the hex SHA-256 of the collector script: an
// administrator who reviewed one version can tell whether it changed.
func CollectorSHA256() string {
	sum := sha256.Sum256([]byte(collectorScript))
	return hex.EncodeToString(sum[:])
}

// Params are what the collector needs from the inventory. They travel as
// base64 of JSON, so any path survives the console's code page.
type Params struct {
	// Install, WebRoot and Software are the inventory's paths: where the
	// node's files are read when it cannot tell its own.
	Install  string `json:"install"`
	WebRoot  string `json:"web_root"`
	Software string `json:"software"`
	// DataDirs are the customer data folders, relative to the install
	// path; they are hashed only when HashData is set (multi-server
	// models, where data.synced compares them).
	DataDirs []string `json:"data_dirs"`
	HashData bool     `json:"hash_data"`
	// SoftwareDirs are the software folders of every TMS release,
	// relative to the web root, newest first
	// (tmsversion.SoftwareCandidates): the collector reports the first
	// that exists as software_dir.
	SoftwareDirs []string `json:"software_dirs"`
	// Registry is where the collector looks for the install path, version
	// and database of TMS (RegistryFor).
	Registry Registry `json:"registry"`
	// DBServer is the SQL Server to time round trips to (db_rtt_ms);
	// empty skips the measure. RTTSamples is how many.
	DBServer   string `json:"db_server"`
	RTTSamples int    `json:"rtt_samples"`
}

// CollectorInput is the standard input of CollectorCommand: the collector
// wrapped in `& { ... }` with its parameters, then two line ends. Blank
// lines are sent as `#` (a comment): PowerShell reading a script from
// standard input takes a blank line as the end of a statement, which
// would cut the script block short.
func CollectorInput(p Params) ([]byte, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("collector parameters: %w", err)
	}
	var b bytes.Buffer
	b.WriteString("& {\n")
	b.WriteString(sendable(collectorScript))
	b.WriteString("} '")
	b.WriteString(base64.StdEncoding.EncodeToString(raw))
	b.WriteString("'\n\n")
	return b.Bytes(), nil
}

// ParseCollectorInput reads what CollectorInput wrote, checking that the
// script is this build's collector byte for byte. Test servers use it to
// answer as PowerShell running the collector would.
func ParseCollectorInput(in []byte) (Params, error) {
	var p Params
	s := strings.ReplaceAll(string(in), "\r\n", "\n")
	body, ok := strings.CutPrefix(s, "& {\n")
	if !ok {
		return p, errors.New("not the tmsdrift collector: no & { wrapper")
	}
	want := sendable(collectorScript)
	if !strings.HasPrefix(body, want) {
		return p, errors.New("not this build's tmsdrift collector: the script differs")
	}
	tail := strings.TrimRight(strings.TrimPrefix(body, want), "\n")
	arg, ok := strings.CutPrefix(tail, "} ")
	if !ok {
		return p, errors.New("collector input: no closing } and parameters")
	}
	args, err := ParseArgs(arg)
	if err != nil || len(args) != 1 {
		return p, fmt.Errorf("collector input: want one quoted parameter: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(args[0])
	if err != nil {
		return p, fmt.Errorf("collector parameters: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("collector parameters: %w", err)
	}
	return p, nil
}

// sendable turns blank lines into comments and ends the text with a line
// end (see CollectorInput).
func sendable(script string) string {
	lines := strings.Split(strings.ReplaceAll(script, "\r\n", "\n"), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			lines[i] = "#"
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// Op names one of the small scripts.
type Op string

// The small scripts, by what they do.
const (
	OpReadFile   Op = "read-file"
	OpWriteFile  Op = "write-file"
	OpRemoveFile Op = "remove-file"
	OpSetService Op = "set-service"
)

var opScripts = map[Op]*string{
	OpReadFile:   &readFileScript,
	OpWriteFile:  &writeFileScript,
	OpRemoveFile: &removeFileScript,
	OpSetService: &setServiceScript,
}

// Exit codes of the small scripts besides 0 (done) and 1 (failed, message
// on standard error).
const ExitNotFound = 2

// ReadFileCommand prints the file at path as base64 lines.
func ReadFileCommand(path string) string { return encoded(OpReadFile, Quote(path)) }

// WriteFileCommand replaces the file at path with the base64 lines given
// on standard input, which must hash to sha256 (hex).
func WriteFileCommand(path, sha256 string) string {
	return encoded(OpWriteFile, Quote(path), Quote(sha256))
}

// RemoveFileCommand deletes the file at path.
func RemoveFileCommand(path string) string { return encoded(OpRemoveFile, Quote(path)) }

// SetServiceCommand sets a service's start type and/or state (empty: keep),
// waiting up to timeout for the state.
func SetServiceCommand(name, startType, state string, timeout time.Duration) string {
	secs := max(int(timeout/time.Second), 1)
	return encoded(OpSetService, Quote(name), Quote(startType), Quote(state), strconv.Itoa(secs))
}

// encoded builds `powershell ... -EncodedCommand <base64>` running the
// script of op with args.
func encoded(op Op, args ...string) string {
	text := "& {\n" + *opScripts[op] + "} " + strings.Join(args, " ")
	u := utf16.Encode([]rune(text))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return PowerShell + " -EncodedCommand " + base64.StdEncoding.EncodeToString(b)
}

// ParseCommand recognises a command line built by one of the *Command
// functions and returns its operation and arguments (unquoted). Test
// servers use it to act as PowerShell would.
func ParseCommand(cmdline string) (Op, []string, error) {
	enc, ok := strings.CutPrefix(cmdline, PowerShell+" -EncodedCommand ")
	if !ok {
		return "", nil, errors.New("not a tmsdrift PowerShell command")
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(raw)%2 != 0 {
		return "", nil, errors.New("-EncodedCommand: not base64 of UTF-16LE")
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	text := string(utf16.Decode(u))
	for op, script := range opScripts {
		rest, ok := strings.CutPrefix(text, "& {\n"+*script+"} ")
		if !ok {
			continue
		}
		args, err := ParseArgs(rest)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", op, err)
		}
		return op, args, nil
	}
	return "", nil, errors.New("-EncodedCommand: not one of tmsdrift's scripts")
}
