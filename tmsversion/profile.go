package tmsversion

import (
	"fmt"
	"strings"
)

// Source says where a fact about TMS comes from: a Cisco document and the
// section that states it, or, when no public document does, that it is a
// tmsdrift assumption and why it was made. A fact without a source is a
// bug the table's tests catch.
type Source struct {
	// Doc names the document: its number and title
	// ("D14570.04 Cisco TMS Redundancy Deployment Guide 13.2").
	Doc string
	// Section is the section (or page heading) that states the fact.
	Section string
	// Assumption is true when no public document states the fact and
	// tmsdrift chose the value; Note then says why.
	Assumption bool
	// Note adds what a reader must know: what is unsettled, what the
	// document does not say, where the value was read.
	Note string
}

// String is the source as one line: `D14570.04 ...: "Section"`, or
// "tmsdrift assumption: note".
func (s Source) String() string {
	var b strings.Builder
	if s.Assumption {
		b.WriteString("tmsdrift assumption")
		if s.Doc != "" {
			fmt.Fprintf(&b, " (after %s", s.Doc)
			if s.Section != "" {
				fmt.Fprintf(&b, ", %q", s.Section)
			}
			b.WriteString(")")
		}
	} else {
		b.WriteString(s.Doc)
		if s.Section != "" {
			fmt.Fprintf(&b, ", %q", s.Section)
		}
	}
	if s.Note != "" {
		b.WriteString(": ")
		b.WriteString(s.Note)
	}
	return b.String()
}

// Fact is one value of a profile with its source.
type Fact[T any] struct {
	Value  T
	Source Source
	// Unsettled marks a value public documents leave open: tmsdrift keeps
	// the older documented value and the docs say what is not known.
	Unsettled bool
}

// WebConfig is one ASP.NET configuration file whose <machineKey> the
// machineKey rules judge.
type WebConfig struct {
	// Path is relative to the web root (paths.web_root), Windows
	// separators: "web.config" is the main application's,
	// `Public\web.config` the public application's of TMS 15.8 and later.
	Path string
	// KeyRequired says the file must carry an explicit, fixed machineKey
	// (machinekey.present). When false the file is still compared with
	// the approved key and with the same file on the other nodes
	// wherever it carries one.
	KeyRequired bool
}

// ServiceState is the state a rule expects of a set of Windows services.
type ServiceState struct {
	StartType string // "Manual", "Automatic", ...
	State     string // "Stopped", "Running", ...
}

// String is "Stopped/Manual".
func (s ServiceState) String() string { return s.State + "/" + s.StartType }

// Profile is everything tmsdrift knows about one TMS release. Every value
// is a default: the inventory always wins where it sets the same thing.
type Profile struct {
	// Family is the release family ("15.x"); Releases lists the point
	// releases whose changes this profile includes ("15.8").
	Family   string
	Releases []string
	// Version is the version the profile was looked up for.
	Version Version

	// DataDirs are the customer data folders that must be the same on
	// every node, relative to the install folder (data.synced).
	DataDirs Fact[[]string]
	// SoftwareDir is the folder of system software packages, relative to
	// the install folder (the default of paths.software).
	SoftwareDir Fact[string]
	// WebConfigs are the web.config files whose <machineKey> must match,
	// the main one first.
	WebConfigs Fact[[]WebConfig]
	// Services are the release's Windows services (W3SVC included) that
	// the services rules govern.
	Services Fact[[]string]
	// MaxActive is the largest number of active TMS servers (pool members,
	// or the primary) that may share one database; 0 when no document
	// sets a limit (nodes.count).
	MaxActive Fact[int]
	// Passive is what a passive (warm standby) node's TMS services and
	// W3SVC must be (services.standby-inactive).
	Passive Fact[ServiceState]
}

// Name is how messages name the profile: "TMS 15.x profile (with 15.8)".
func (p *Profile) Name() string {
	if len(p.Releases) == 0 {
		return "TMS " + p.Family + " profile"
	}
	return fmt.Sprintf("TMS %s profile (with %s)", p.Family, strings.Join(p.Releases, ", "))
}

// FactNames lists the profile's facts in the order the docs and explain
// show them; the keys are what Describe and the rules refer to.
var FactNames = []string{"data_dirs", "software_dir", "web_configs", "services", "max_active", "passive"}

// Describe returns a fact's value as text and its source, by name (one of
// FactNames); ok is false for an unknown name.
func (p *Profile) Describe(name string) (value string, src Source, unsettled, ok bool) {
	switch name {
	case "data_dirs":
		return strings.Join(p.DataDirs.Value, ", "), p.DataDirs.Source, p.DataDirs.Unsettled, true
	case "software_dir":
		return p.SoftwareDir.Value, p.SoftwareDir.Source, p.SoftwareDir.Unsettled, true
	case "web_configs":
		parts := make([]string, len(p.WebConfigs.Value))
		for i, w := range p.WebConfigs.Value {
			parts[i] = `wwwTMS\` + w.Path
			if w.KeyRequired {
				parts[i] += " (key required)"
			} else {
				parts[i] += " (compared where it carries a key)"
			}
		}
		return strings.Join(parts, ", "), p.WebConfigs.Source, p.WebConfigs.Unsettled, true
	case "services":
		return strings.Join(p.Services.Value, ", "), p.Services.Source, p.Services.Unsettled, true
	case "max_active":
		v := "no limit documented"
		if p.MaxActive.Value > 0 {
			v = fmt.Sprintf("%d", p.MaxActive.Value)
		}
		return v, p.MaxActive.Source, p.MaxActive.Unsettled, true
	case "passive":
		return p.Passive.Value.String(), p.Passive.Source, p.Passive.Unsettled, true
	}
	return "", Source{}, false, false
}

// FactTitle is the heading of a fact in the docs and explain.
func FactTitle(name string) string {
	switch name {
	case "data_dirs":
		return "Customer data folders (under the install folder)"
	case "software_dir":
		return "Software folder (under the install folder)"
	case "web_configs":
		return "web.config files whose <machineKey> must match"
	case "services":
		return "TMS services"
	case "max_active":
		return "Most active TMS servers on one database"
	case "passive":
		return "A passive node's TMS services and W3SVC"
	}
	return name
}
