package discover

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// Issue 8, item 11: the discover reports fit the width they are given,
// the node's probe of every lab node and a database search alike. What a
// reader pastes stays as it is: the suggested inventory values and the
// settings block (YAML), and any single word (a registry key, a path)
// longer than the width.
func TestReportsFitTheWidth(t *testing.T) {
	const width = 80
	fits := func(t *testing.T, out string, verbatim string) {
		t.Helper()
		keep := map[string]bool{}
		for _, l := range strings.Split(verbatim, "\n") {
			keep[l] = true
		}
		for _, l := range strings.Split(out, "\n") {
			if runewidth.StringWidth(l) <= width || keep[l] || !strings.Contains(strings.TrimSpace(l), " ") {
				continue
			}
			assert.Failf(t, "line too wide", "%q", l)
		}
	}
	inv := &inventory.Inventory{Database: inventory.Database{Server: `sql01\TMS`, Name: "tmsng"}}
	wide := 0
	for _, o := range labOutputs(t) {
		raw, err := psscript.ParseDiscoverOutput(o)
		require.NoError(t, err)
		doc, err := ParseNode(raw)
		require.NoError(t, err)
		rep := &NodeReport{Node: "tms01", Transport: "winrm", Doc: doc, Suggestion: Suggest(doc, inv), Width: width}
		var b strings.Builder
		require.NoError(t, rep.Write(&b))
		fits(t, b.String(), rep.Suggestion.YAML())
		rep.Width = 1000
		var w strings.Builder
		require.NoError(t, rep.Write(&w))
		wide = max(wide, maxLine(w.String()))
	}
	assert.Greater(t, wide, width, "without wrapping the node reports are wider: the test can fail")

	long := "The TMS server IPv4 address as the Network Settings page shows it"
	d := &sqlserver.Discovery{Server: `sql01.acme.local\TMS`, Database: "tmsng", Searched: 40, Skipped: 3,
		Incomplete: "the budget of 1m0s ran out after 12 of 40 columns", Problems: []string{"dbo.tblAuditLog: a 2 s lock timeout, the table is busy"},
		Hits: []sqlserver.Hit{{Column: sqlserver.Column{Schema: "dbo", Table: "tblServerSettingsWithALongName", Name: "SettingValue", Type: "nvarchar", MaxChars: -1}, Value: "10.10.0.11", Rows: 1,
			Siblings: []sqlserver.Sibling{{Column: sqlserver.Column{Schema: "dbo", Table: "tblServerSettingsWithALongName", Name: "SettingName", PrimaryKey: true},
				Values: []sql.NullString{{String: "TmsServerIpV4Address", Valid: true}, {String: long, Valid: true}}}}}},
		Pairs: []sqlserver.Pairs{{Schema: "dbo", Table: "tblServerSettingsWithALongName", NameColumn: "SettingName", ValueColumn: "SettingValue",
			Rows: rows("TmsServerIpV4Address", "10.10.0.11", "TmsServerDnsName", "tms.acme.local")}}}
	v := []Value{{Key: "ipv4_local", Value: "10.10.0.11"}, {Key: "dns_local", Value: "tms.acme.local"}}
	rep := &DatabaseReport{Discovery: d, Values: v, Candidates: Candidates(d, v, nil), Options: sqlserver.DiscoverOptions{Top: 5}, Width: width}
	require.NotEmpty(t, rep.Candidates)
	var b strings.Builder
	require.NoError(t, rep.Write(&b))
	fits(t, b.String(), SettingsYAML(&rep.Candidates[0], "  "))
	assert.Contains(t, b.String(), "NOT COMPLETE")
	rep.Width = 1000
	var w strings.Builder
	require.NoError(t, rep.Write(&w))
	assert.Greater(t, maxLine(w.String()), width, "without wrapping the database report is wider: the test can fail")
}

func maxLine(s string) int {
	m := 0
	for _, l := range strings.Split(s, "\n") {
		m = max(m, runewidth.StringWidth(l))
	}
	return m
}

// The suggested mappings stand in columns — key, setting name, then what
// it holds now — also when a line is too long and wraps: before, a
// wrapped line lost its padding (`  dns_local TmsServerHostName now ...`
// among aligned ones, as discover database printed on the discover lab).
func TestSuggestedMappingsKeepTheirColumns(t *testing.T) {
	d := &sqlserver.Discovery{Server: `sql01.acme.local\TMS`, Database: "tmsng", Searched: 2,
		Hits: []sqlserver.Hit{{Column: sqlserver.Column{Schema: "dbo", Table: "tblServerSettings", Name: "SettingValue", Type: "nvarchar", MaxChars: 255}, Value: "10.10.0.11", Rows: 1}},
		Pairs: []sqlserver.Pairs{{Schema: "dbo", Table: "tblServerSettings", NameColumn: "SettingKey", ValueColumn: "SettingValue",
			Rows: rows("TmsServerIpV4Address", "10.10.0.11", "TmsServerIpV6Address", "", "TmsServerHostName", "tms.acme.local", "TmsServerPublicHostName", "")}}}
	v := []Value{{Key: "ipv4_local", Value: "10.10.0.11"}}
	inv := &inventory.Inventory{Addresses: inventory.Addresses{DNSLocal: "tms.acme.local"}}
	for _, width := range []int{80, 100, 200} {
		rep := &DatabaseReport{Discovery: d, Values: v, Candidates: Candidates(d, v, inv), Options: sqlserver.DiscoverOptions{Top: 5}, Width: width}
		require.NotEmpty(t, rep.Candidates)
		var b strings.Builder
		require.NoError(t, rep.Write(&b))
		mapped := 0
		for _, line := range strings.Split(b.String(), "\n") {
			for _, key := range []string{"ipv4_local", "ipv6_local", "dns_local", "dns_public"} {
				if strings.HasPrefix(line, "  "+key+" ") {
					mapped++
					assert.Equal(t, fmt.Sprintf("  %-11s ", key), line[:14], "width %d: %q", width, line)
					assert.NotEqual(t, ' ', rune(line[14]), "width %d: the setting name at column 15: %q", width, line)
				}
			}
		}
		assert.Equal(t, 4, mapped, "width %d:\n%s", width, b.String())
	}
}

// discover node's registry values and services stand in columns too —
// name, type or start type, then the rest — when a line wraps: before,
// `SqlUserPassword REG_SZ sha256:...` and `TMSLiveService
// Automatic/Running "TMS Live Service"` lost their padding on the
// discover lab's tms01.
func TestNodeListsKeepTheirColumns(t *testing.T) {
	inv := &inventory.Inventory{Database: inventory.Database{Server: `sql01\TMS`, Name: "tmsng"}}
	values, services := 0, 0
	for _, o := range labOutputs(t) {
		raw, err := psscript.ParseDiscoverOutput(o)
		require.NoError(t, err)
		doc, err := ParseNode(raw)
		require.NoError(t, err)
		for _, width := range []int{80, 100} {
			rep := &NodeReport{Node: "tms01", Transport: "winrm", Doc: doc, Suggestion: Suggest(doc, inv), Width: width}
			var b strings.Builder
			require.NoError(t, rep.Write(&b))
			out := b.String()
			for _, v := range doc.Registry {
				if len(v.Name) < 28 {
					assert.True(t, strings.Contains(out, fmt.Sprintf("\n    %-28s %-13s ", Clean(v.Name), Clean(v.Type))), "width %d: %s not in its columns", width, v.Name)
					values++
				}
			}
			for _, s := range doc.Services {
				if len(s.Name) < 28 {
					assert.True(t, strings.Contains(out, fmt.Sprintf("\n  %-28s %s/%s", Clean(s.Name), Clean(s.StartType), Clean(s.State))), "width %d: %s not in its columns", width, s.Name)
					services++
				}
			}
		}
	}
	assert.Positive(t, values)
	assert.Positive(t, services)
}
