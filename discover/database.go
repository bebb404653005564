package discover

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// SettingKeys are the four TMS server addresses, in contract order.
var SettingKeys = []string{"ipv4_local", "ipv6_local", "dns_local", "dns_public"}

// Value is one value the administrator read on TMS's Network Settings
// page, with the address it is (Key), given ("dns_local=tms.acme.local")
// or guessed from its shape.
type Value struct {
	Key, Value string
	// Given is true when the administrator named the key.
	Given bool
}

// ParseValue reads a --value: "KEY=VALUE" for one of SettingKeys, or a
// bare value whose shape says which address it is (an IPv4 address is
// ipv4_local, an IPv6 address ipv6_local, a host name dns_local).
func ParseValue(s string) (Value, error) {
	if k, v, ok := strings.Cut(s, "="); ok && slices.Contains(SettingKeys, strings.TrimSpace(k)) {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			return Value{}, fmt.Errorf("--value %s: the value is empty", s)
		case strings.IndexFunc(v, unicode.IsControl) >= 0:
			return Value{}, fmt.Errorf("--value %q: an address holds no control characters", v)
		}
		return Value{Key: strings.TrimSpace(k), Value: v, Given: true}, nil
	}
	v := strings.TrimSpace(s)
	if v == "" {
		return Value{}, fmt.Errorf("--value: empty (give what TMS's Network Settings page shows, e.g. --value 10.10.0.11)")
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return Value{}, fmt.Errorf("--value %q: an address holds no control characters", v)
	}
	if a, err := netip.ParseAddr(v); err == nil {
		if a.Is4() {
			return Value{Key: "ipv4_local", Value: v}, nil
		}
		return Value{Key: "ipv6_local", Value: v}, nil
	}
	return Value{Key: "dns_local", Value: v}, nil
}

// Mapping is where one address lives in a candidate settings table.
type Mapping struct {
	Key  string
	Name string // the setting's name (the name column's value); "" when not found
	// Now is the value the row holds now (addresses are no secrets; a
	// row whose name looks secret is never chosen).
	Now string
	// Why says how the row was chosen, for the administrator to check.
	Why string
	// Also lists other rows that scored as well (an ambiguity to settle).
	Also  []string
	score int
}

// Candidate is a table that may hold the Network Settings addresses, one
// setting per row, and the database.settings block that reads it.
type Candidate struct {
	Schema, Table           string
	NameColumn, ValueColumn string
	Mappings                []Mapping // in SettingKeys order
	Truncated               bool
	score                   int
}

// TableName is "schema.table".
func (c *Candidate) TableName() string { return c.Schema + "." + c.Table }

// Complete reports whether every address has a name.
func (c *Candidate) Complete() bool {
	return !slices.ContainsFunc(c.Mappings, func(m Mapping) bool { return m.Name == "" })
}

// Settings is the database.settings block for the candidate: statements
// with identifiers quoted as QUOTENAME does, the names it maps.
func (c *Candidate) Settings() inventory.Settings {
	q := func(s string) string { return "[" + strings.ReplaceAll(s, "]", "]]") + "]" }
	table := q(c.Schema) + "." + q(c.Table)
	s := inventory.Settings{
		Query:  fmt.Sprintf("SELECT %s, %s FROM %s;", q(c.NameColumn), q(c.ValueColumn), table),
		Update: fmt.Sprintf("UPDATE %s SET %s = @value WHERE %s = @name;", table, q(c.ValueColumn), q(c.NameColumn)),
	}
	for _, m := range c.Mappings {
		if p := s.Names.Field(m.Key); p != nil {
			*p = m.Name
		}
	}
	return s
}

// Candidates ranks the one-setting-per-row tables the search read, best
// first: each address is mapped to the row that holds a value given for
// it, else the inventory's value for it, else whose name says what it is;
// a row whose name says old, previous, SMTP, SNMP... counts less, and one
// whose name looks secret is never chosen.
func Candidates(d *sqlserver.Discovery, values []Value, inv *inventory.Inventory) []Candidate {
	invValues := map[string]string{}
	if inv != nil {
		a := inv.Addresses
		invValues = map[string]string{"ipv4_local": a.IPv4Local, "ipv6_local": a.IPv6Local, "dns_local": a.DNSLocal, "dns_public": a.DNSPublic}
	}
	var out []Candidate
	for _, p := range d.Pairs {
		c := Candidate{Schema: p.Schema, Table: p.Table, NameColumn: p.NameColumn, ValueColumn: p.ValueColumn, Truncated: p.Truncated}
		type scored struct {
			row   int
			score int
			why   string
		}
		best := map[string][]scored{}
		for i, r := range p.Rows {
			if !r.Name.Valid || LooksSecret(r.Name.String) {
				continue
			}
			for _, key := range SettingKeys {
				score, why := rowScore(key, r, values, invValues[key])
				if score >= 20 {
					best[key] = append(best[key], scored{i, score, why})
				}
			}
		}
		taken := map[int]bool{}
		// Assign the strongest evidence first, so a row holding a given
		// value is not taken by a weaker name guess for another key.
		type pick struct {
			key string
			s   scored
		}
		var picks []pick
		for key, ss := range best {
			for _, s := range ss {
				picks = append(picks, pick{key, s})
			}
		}
		sort.SliceStable(picks, func(i, j int) bool {
			if picks[i].s.score != picks[j].s.score {
				return picks[i].s.score > picks[j].s.score
			}
			if picks[i].key != picks[j].key {
				return slices.Index(SettingKeys, picks[i].key) < slices.Index(SettingKeys, picks[j].key)
			}
			return picks[i].s.row < picks[j].s.row
		})
		chosen := map[string]*Mapping{}
		for _, pk := range picks {
			name := p.Rows[pk.s.row].Name.String
			if m, done := chosen[pk.key]; done {
				if pk.s.score == m.score && !taken[pk.s.row] {
					m.Also = append(m.Also, Clean(name))
				}
				continue
			}
			if taken[pk.s.row] {
				continue
			}
			taken[pk.s.row] = true
			chosen[pk.key] = &Mapping{Key: pk.key, Name: name, Now: p.Rows[pk.s.row].Value.String, Why: pk.s.why, score: pk.s.score}
		}
		for _, key := range SettingKeys {
			if m, ok := chosen[key]; ok {
				c.Mappings = append(c.Mappings, *m)
				c.score += m.score
			} else {
				c.Mappings = append(c.Mappings, Mapping{Key: key, Why: "no row found: set it by hand"})
			}
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out
}

// Words in a setting's name that say what it holds, or that it is not the
// TMS server's own address.
var notTheAddress = []string{"old", "previous", "prev", "last", "backup", "history", "default", "smtp", "snmp",
	"ldap", "proxy", "ntp", "mail", "trap", "gateway", "gatekeeper", "vcs", "dnsserver"}

// nameSays reports whether a setting's name (as written: TmsIpV4Address,
// tms_fqdn) says it holds address key.
func nameSays(key, name string) bool {
	n := strings.ToLower(name)
	public := strings.Contains(n, "public") || strings.Contains(n, "external")
	switch key {
	case "ipv4_local":
		v4 := strings.Contains(n, "ipv4") || hasToken(name, "ip") || strings.Contains(n, "ipaddress") || strings.Contains(n, "ipaddr")
		return v4 && !strings.Contains(n, "ipv6") && !hasToken(name, "v6") && !public
	case "ipv6_local":
		return (strings.Contains(n, "ipv6") || hasToken(name, "v6")) && !public
	case "dns_local":
		return (strings.Contains(n, "fqdn") || strings.Contains(n, "dns") || strings.Contains(n, "hostname") || hasToken(name, "host")) && !public
	case "dns_public":
		return public
	}
	return false
}

// hasToken reports whether a name (as written: TmsIpV4, tms_ip_v4) has
// word w among its camel-case or punctuation-separated words.
func hasToken(name, w string) bool {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = nil
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])):
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	return slices.Contains(words, w)
}

// rowScore weighs how well a (name, value) row fits address key.
func rowScore(key string, r sqlserver.PairRow, values []Value, invValue string) (int, string) {
	name := strings.ToLower(r.Name.String)
	score, why := 0, ""
	for _, v := range values {
		if v.Key == key && r.Value.Valid && strings.EqualFold(strings.TrimSpace(r.Value.String), v.Value) {
			score, why = 100, "holds "+Clean(v.Value)+", the value you gave"
			break
		}
	}
	if score == 0 && invValue != "" && r.Value.Valid && strings.EqualFold(strings.TrimSpace(r.Value.String), invValue) {
		score, why = 50, "holds the inventory's "+key+" "+Clean(invValue)
	}
	if nameSays(key, r.Name.String) {
		score += 20
		if why == "" {
			why = "its name says " + map[string]string{"ipv4_local": "IPv4 (or IP)", "ipv6_local": "IPv6", "dns_local": "host name", "dns_public": "public"}[key]
		}
	}
	if strings.Contains(name, "tms") || strings.Contains(name, "server") {
		score += 5
	}
	for _, w := range notTheAddress {
		if strings.Contains(name, w) {
			score -= 40
			break
		}
	}
	return score, why
}
