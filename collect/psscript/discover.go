package psscript

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/internal/secretname"
)

// discover.ps1 is `tmsdrift discover node`'s read-only probe: it lists
// what the TMS server keeps where (registry, services, IIS, folders) so an
// administrator can see what tmsdrift has to guess.
//
//go:embed discover.ps1
var discoverScript string

// DiscoverHeader begins the discover script's output; DiscoverDocument
// (base64 JSON) follows, then End.
const DiscoverHeader = "#tmsdrift-discover/v1"

// DiscoverSchema names the JSON document the probe prints (and the local
// transport builds).
const DiscoverSchema = "tmsdrift/discover/v1"

// DiscoverParams are what the probe needs from tmsdrift.
type DiscoverParams struct {
	// Install and WebRoot are the inventory's paths: where to look when
	// the node does not say where TMS is.
	Install string `json:"install"`
	WebRoot string `json:"web_root"`
	// SecretWords are secretname.Words: a registry value whose name holds
	// one is hashed on the node, and only the hash leaves it.
	SecretWords []string `json:"secret_words"`
	// Limits: registry keys read, folders listed and how deep.
	MaxKeys     int `json:"max_keys"`
	MaxFolders  int `json:"max_folders"`
	FolderDepth int `json:"folder_depth"`
}

// DefaultDiscoverParams are the probe's parameters for an inventory's
// paths.
func DefaultDiscoverParams(install, webRoot string) DiscoverParams {
	return DiscoverParams{Install: install, WebRoot: webRoot, SecretWords: secretname.Words, MaxKeys: 500, MaxFolders: 500, FolderDepth: 4}
}

// DiscoverDocument is what the probe reports. Every string came from the
// node: outside input.
type DiscoverDocument struct {
	Schema   string `json:"schema"`
	Hostname string `json:"hostname"`
	// Registry are the values under HKLM\SOFTWARE[\WOW6432Node]\Tandberg
	// and ...\Cisco. A value whose name looks secret, or a binary one,
	// carries SHA256 instead of Value.
	Registry  []RegistryValue  `json:"registry"`
	Uninstall []UninstallEntry `json:"uninstall"`
	Services  []ServiceEntry   `json:"services"`
	IIS       []IISApplication `json:"iis"`
	// InstallPath is where TMS is installed, as the node says (the
	// uninstall entry, else the /tms application's parent, else the
	// inventory's); Folders are the folders below it, relative, and
	// WebConfigs the web.config files there, relative.
	InstallPath string   `json:"install_path"`
	Folders     []string `json:"folders"`
	WebConfigs  []string `json:"web_configs"`
	Warnings    []string `json:"warnings"`
}

// RegistryValue is one registry value: Key is HKLM\..., Type REG_SZ,
// REG_DWORD, ...
type RegistryValue struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Value  string `json:"value,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// UninstallEntry is an installed product of Cisco or TANDBERG.
type UninstallEntry struct {
	DisplayName     string `json:"display_name"`
	DisplayVersion  string `json:"display_version"`
	InstallLocation string `json:"install_location"`
}

// ServiceEntry is a Windows service of TMS (TMS*, W3SVC, or one whose
// display name says TelePresence).
type ServiceEntry struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	StartType   string `json:"start_type"`
	State       string `json:"state"`
	BinaryPath  string `json:"binary_path"`
}

// IISApplication is an application of an IIS site: its physical folder
// and the web.config files found there.
type IISApplication struct {
	Site         string   `json:"site"`
	Path         string   `json:"path"`
	PhysicalPath string   `json:"physical_path"`
	WebConfigs   []string `json:"web_configs"`
}

// Discover returns the probe script as embedded, for review.
func Discover() string { return discoverScript }

// DiscoverInput is the standard input of CollectorCommand that runs the
// probe instead of the collector, wrapped the same way.
func DiscoverInput(p DiscoverParams) ([]byte, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("discover parameters: %w", err)
	}
	var b bytes.Buffer
	b.WriteString("& {\n")
	b.WriteString(sendable(discoverScript))
	b.WriteString("} '")
	b.WriteString(base64.StdEncoding.EncodeToString(raw))
	b.WriteString("'\n\n")
	return b.Bytes(), nil
}

// IsDiscoverInput reports whether standard input carries this build's
// probe (test servers tell it from the collector so).
func IsDiscoverInput(in []byte) bool {
	s := strings.ReplaceAll(string(in), "\r\n", "\n")
	return strings.HasPrefix(s, "& {\n"+sendable(discoverScript))
}

// ParseDiscoverInput reads what DiscoverInput wrote, checking the script
// byte for byte.
func ParseDiscoverInput(in []byte) (DiscoverParams, error) {
	var p DiscoverParams
	s := strings.ReplaceAll(string(in), "\r\n", "\n")
	want := "& {\n" + sendable(discoverScript)
	if !strings.HasPrefix(s, want) {
		return p, errors.New("not this build's tmsdrift discover probe")
	}
	arg, ok := strings.CutPrefix(strings.TrimRight(strings.TrimPrefix(s, want), "\n"), "} ")
	if !ok {
		return p, errors.New("discover input: no closing } and parameters")
	}
	args, err := ParseArgs(arg)
	if err != nil || len(args) != 1 {
		return p, fmt.Errorf("discover input: want one quoted parameter: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(args[0])
	if err != nil {
		return p, fmt.Errorf("discover parameters: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("discover parameters: %w", err)
	}
	return p, nil
}

// WriteDiscover prints a document as the probe does.
func WriteDiscover(doc *DiscoverDocument) ([]byte, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(DiscoverHeader + "\r\n")
	enc := base64.StdEncoding.EncodeToString(raw)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n" + End + "\r\n")
	return b.Bytes(), nil
}

// ParseDiscoverOutput reads the probe's standard output back to the
// JSON document it framed: anything before the header is ignored (a
// banner), the base64 lines must decode, and End must close it.
func ParseDiscoverOutput(out []byte) ([]byte, error) {
	lines := strings.Split(string(out), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimRight(l, "\r ") == DiscoverHeader {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, errors.New("not discover output (no " + DiscoverHeader + " line)")
	}
	var body strings.Builder
	for i := start + 1; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		switch {
		case line == End:
			for _, l := range lines[i+1:] {
				if strings.TrimSpace(l) != "" {
					return nil, fmt.Errorf("line %d: output after %s", i+2, End)
				}
			}
			raw, err := base64.StdEncoding.DecodeString(body.String())
			if err != nil {
				return nil, fmt.Errorf("damaged in transit: %w", err)
			}
			return raw, nil
		case strings.HasPrefix(line, "#"):
			return nil, fmt.Errorf("line %d: unexpected %q", i+1, clip(line))
		}
		body.WriteString(line)
	}
	return nil, errors.New("cut off: no " + End + " line")
}
