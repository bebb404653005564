// Package facts is the immutable record of what was gathered about a
// deployment: each node's facts.json, web.config and data files, and the
// database's facts (db.json or live). Rules read only this; gatherers
// (package collect) only write it.
package facts

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/internal/jsondoc"
)

// Schema identifiers of the files this package reads.
const (
	NodeSchema = "tmsdrift/facts/v1"
	DBSchema   = "tmsdrift/db/v1"
)

// NodeFacts is facts.json: what the operating system says about a node.
// Pointer and slice fields are nil when the key was absent (or null); rules
// that need them then give `error`, never `pass`.
type NodeFacts struct {
	Schema       string     `json:"schema"`
	Hostname     string     `json:"hostname,omitempty"`
	Domain       string     `json:"domain,omitempty"`
	PartOfDomain *bool      `json:"part_of_domain,omitempty"`
	IPv4         []string   `json:"ipv4,omitempty"`
	IPv6         []string   `json:"ipv6,omitempty"`
	Time         *TimeFacts `json:"time,omitempty"`
	TMS          *TMSFacts  `json:"tms,omitempty"`
	Services     []Service  `json:"services"`
	DBRTTMS      []float64  `json:"db_rtt_ms,omitempty"`
	// Impossible says, by key (db_rtt_ms, time.offset_ms), why a value
	// facts.json held was dropped as impossible (plausible.go); Lacks
	// shows it. Not part of facts.json.
	Impossible map[string]string `json:"-"`
}

// TimeFacts is the Windows Time service's view of the clock.
type TimeFacts struct {
	Source   string   `json:"source"`
	Synced   *bool    `json:"synced,omitempty"`
	OffsetMS *float64 `json:"offset_ms,omitempty"`
}

// TMSFacts is what the TMS installation says about itself. Empty strings
// mean the key was absent.
type TMSFacts struct {
	Version     string `json:"version,omitempty"`
	InstallPath string `json:"install_path,omitempty"`
	WebRoot     string `json:"web_root,omitempty"`
	SoftwareDir string `json:"software_dir,omitempty"`
	DBServer    string `json:"db_server,omitempty"`
	DBName      string `json:"db_name,omitempty"`
}

// Service is one Windows service.
type Service struct {
	Name      string `json:"name"`
	StartType string `json:"start_type"`
	State     string `json:"state"`
}

// Service start types and states as facts.json spells them.
const (
	StartAutomatic        = "Automatic"
	StartAutomaticDelayed = "AutomaticDelayed"
	StartManual           = "Manual"
	StartDisabled         = "Disabled"

	StateRunning      = "Running"
	StateStopped      = "Stopped"
	StateStartPending = "StartPending"
	StateStopPending  = "StopPending"
	StatePaused       = "Paused"
)

// IsTMSService reports whether a service is one the redundancy rules
// govern: every service whose name starts with TMS, and IIS's W3SVC
// (contract §3; names compare case-insensitively).
func IsTMSService(name string) bool {
	return len(name) >= 3 && strings.EqualFold(name[:3], "TMS") || strings.EqualFold(name, "W3SVC")
}

var (
	startTypes = []string{StartAutomatic, StartAutomaticDelayed, StartManual, StartDisabled}
	states     = []string{StateRunning, StateStopped, StateStartPending, StateStopPending, StatePaused}
)

// ParseNode decodes facts.json. It rejects what is not the contract's form
// (wrong schema, wrong types, a key given twice, unknown service start
// types or states) with a message naming the line and field; absent keys
// are not errors here. Values that cannot be true (a negative round trip,
// an offset beyond 100 years) are dropped and explained in Impossible.
// The file may be UTF-8, with or without a byte order mark, or UTF-16 with
// one.
func ParseNode(data []byte) (*NodeFacts, error) {
	var f NodeFacts
	if err := jsondoc.Decode(data, &f); err != nil {
		return nil, err
	}
	if f.Schema != NodeSchema {
		return nil, fmt.Errorf("schema: got %q, want %q", f.Schema, NodeSchema)
	}
	for i, s := range f.Services {
		if s.Name == "" {
			return nil, fmt.Errorf("services[%d].name: missing", i)
		}
		if !oneOf(s.StartType, startTypes) {
			return nil, fmt.Errorf("services[%d].start_type: %q is not one of %v", i, s.StartType, startTypes)
		}
		if !oneOf(s.State, states) {
			return nil, fmt.Errorf("services[%d].state: %q is not one of %v", i, s.State, states)
		}
	}
	f.dropImpossible()
	return &f, nil
}

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}
