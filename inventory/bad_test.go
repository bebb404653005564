package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testRules stands in for the rule catalogue, which this package cannot
// import.
var testRules = []string{"time.synced", "domain.same", "db.backup-recent"}

// wantProblem is one expected problem: where, which field, and a fragment
// of the message.
type wantProblem struct {
	line, col int
	field     string
	fragment  string
}

// TestLoadBad loads every file under testdata/bad and expects exactly the
// listed problems, in file order.
func TestLoadBad(t *testing.T) {
	tests := map[string][]wantProblem{
		// structure
		"unknown-keys": {
			{4, 1, "colour", "unknown key (allowed here: deployment, model, domain,"},
			{14, 5, "nodes[1].adress", `unknown key; did you mean "address"?`},
		},
		"wrong-types": {
			{3, 17, "public_systems", "expected true or false, found text"},
			{5, 18, "time.max_offset_ms", "expected a number, found text"},
			{12, 49, "nodes[0].transport.port", "expected a whole number, found a decimal number"},
			{13, 10, "waivers", "expected a list, found text"},
		},
		"duplicate-key": {{6, 3, "database.server", "key appears twice (first on line 5)"}},
		"aliases":       {{13, 16, "nodes[1].transport", "aliases (*name) are not supported"}},
		"merge-key":     {{12, 7, "nodes[1].transport.<<", "merge keys (<<) are not supported"}},
		// required keys
		"missing-deployment":      {{1, 1, "deployment", "required"}},
		"missing-model":           {{1, 1, "model", "required: one of single, single-separate-db"}},
		"missing-nodes":           {{1, 1, "nodes", "at least one node is required"}},
		"empty-nodes":             {{6, 8, "nodes", "at least one node is required"}},
		"missing-database-server": {{4, 3, "database.server", "required: the one live SQL Server"}},
		"node-missing-fields": {
			{7, 5, "nodes[0].name", "required"},
			{7, 5, "nodes[0].role", "required: one of primary, standby, pool, offsite-standby"},
			{9, 7, "nodes[0].transport.kind", "required: one of dir, local, winrm, ssh"},
		},
		// model and roles
		"unknown-model":    {{2, 8, "model", `unknown model "cluster" (known: single,`}},
		"unknown-role":     {{8, 11, "nodes[0].role", `unknown role "master"`}},
		"nlb-standby-role": {{14, 11, "nodes[1].role", `"standby" is not allowed in model "nlb" (allowed: pool)`}},
		"single-two-primaries": {
			{11, 11, "nodes[1].role", `a second primary (nodes[0] is the primary); model "single-separate-db" has exactly one`},
		},
		"single-standby-only": {
			{7, 3, "nodes", `model "single" needs exactly one primary node, found none`},
			{8, 11, "nodes[0].role", `"standby" is not allowed in model "single" (allowed: primary)`},
		},
		"manual-cutover-no-standby":    {{8, 3, "nodes", `model "manual-cutover" needs at least one standby node`}},
		"manual-cutover-two-primaries": {{12, 11, "nodes[1].role", "a second primary"}},
		"offsite-no-offsite-standby": {
			{9, 3, "nodes", `model "offsite" needs at least one offsite-standby node`},
		},
		// A standby (the primary site's warm spare) is no active node.
		"offsite-standby-no-active": {{9, 3, "nodes", "needs at least one active node at the primary site"}},
		"offsite-no-active-node":    {{9, 3, "nodes", "needs at least one active node at the primary site"}},
		"duplicate-node-names":      {{11, 11, "nodes[1].name", `duplicate node name "TMS01" (also nodes[0])`}},
		"multi-server-no-domain":    {{1, 1, "domain", `required for model "manual-cutover"`}},
		"public-systems-no-dns-public": {
			{5, 3, "addresses.dns_public", "required when public_systems is true"},
		},
		// references to nodes
		"data-sync-master-unknown":  {{5, 11, "data_sync.master", `"tms09" names no node (nodes: tms01, tms02)`}},
		"machine-key-node-unknown":  {{5, 9, "machine_key.node", `"tms9" names no node`}},
		"machine-key-file-and-node": {{6, 9, "machine_key.node", "set either machine_key.file or machine_key.node, not both"}},
		"waiver-unknown-node":       {{12, 11, "waivers[0].node", `"tms02" names no node (nodes: tms01)`}},
		// transports
		"unknown-transport-kind": {{9, 23, "nodes[0].transport.kind", `unknown transport kind "rdp" (known: dir, local, winrm, ssh)`}},
		"dir-without-path":       {{10, 7, "nodes[0].transport.path", `required for transport kind "dir"`}},
		"missing-snapshot-folder": {
			{9, 34, "nodes[0].transport.path", "missing snapshot folder " + filepath.Join("testdata", "bad", "nodes", "tms09")},
		},
		"snapshot-folder-is-a-file": {{9, 34, "nodes[0].transport.path", "is a file, not a folder"}},
		"port-out-of-range":         {{9, 49, "nodes[0].transport.port", "must be between 1 and 65535"}},
		// addresses
		"bad-addresses": {
			{5, 15, "addresses.ipv4_local", `"999.10.0.300" is not an IPv4 address: 999 is more than 255`},
			{6, 15, "addresses.ipv6_local", `"2001:db8::11::1" is not an IPv6 address`},
			{7, 14, "addresses.dns_local", `"tms_01.acme.local" is not a host name: an underscore is not allowed`},
			{8, 15, "addresses.dns_public", "white space around it"},
			{15, 14, "nodes[0].address", `"not an ip" is not an IP address such as 10.10.0.11 or 2001:db8::11: a space is not allowed`},
			{16, 15, "nodes[0].hostname", "empty part between dots"},
			{20, 14, "nodes[1].address", `"012" has a leading zero`},
			{21, 36, "nodes[1].transport.host", "without brackets"},
		},
		// database and limits
		"database-both-sources": {{5, 13, "database.snapshot", "not both"}},
		"database-no-source":    {{4, 3, "database", "set one of dsn_env"}},
		"server-is-a-dsn":       {{5, 11, "database.server", "not a connection string (the value is not shown"}},
		"dsn-instead-of-env-name": {
			{4, 12, "database.dsn_env", "must be the name of an environment variable (e.g. TMSDRIFT_DSN)"},
			{9, 77, "nodes[0].transport.password_env", "must be the name of an environment variable"},
		},
		"negative-limits": {
			{5, 18, "time.max_offset_ms", "must be between 0 and 86400000 (omit it for the default, 1000)"},
			{10, 19, "database.max_latency_ms", "must be between 0 and 3600000 (omit it for the default, 10)"},
			{11, 25, "database.max_backup_age_hours", "must be between 0 and 87600 (omit it for the default, 26)"},
			{12, 33, "database.max_log_shipping_lag_minutes", "is not a finite number; it must be between 0 and 5256000"},
		},
		// waivers
		"waiver-unknown-rule": {
			{11, 11, "waivers[0].rule", `unknown rule "time.sync"; did you mean "time.synced"?`},
			{14, 11, "waivers[1].rule", `unknown rule "everything" (known: db.backup-recent, domain.same, time.synced)`},
		},
		"waiver-missing-fields": {
			{11, 5, "waivers[0].rule", "required"},
			{11, 5, "waivers[0].expires", "required: the last day the waiver holds"},
			{12, 13, "waivers[0].reason", "required: why the failure is accepted"},
		},
		"waiver-bad-date": {
			{13, 14, "waivers[0].expires", `"31/12/2026" is not a date; write YYYY-MM-DD`},
			{16, 14, "waivers[1].expires", `"2026-02-30" is not a date`},
			{19, 14, "waivers[2].expires", "expected a date (YYYY-MM-DD), found a whole number"},
		},
		// the file as a whole
		"syntax-error":  {{5, 16, "", "YAML syntax: could not find flow mapping end token"}},
		"not-a-mapping": {{1, 1, "", "the inventory must be a mapping of keys"}},
		"empty":         {{0, 0, "", "the inventory is empty"}},
		"two-documents": {{4, 1, "", "a second YAML document"}},
	}

	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every file under testdata/bad has a case, and every case a file")

	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("testdata", "bad", name+".yaml")
			inv, err := Load(file, Options{KnownRules: testRules})
			require.Error(t, err)
			assert.Nil(t, inv)
			var ie *Error
			require.True(t, errors.As(err, &ie), "a bad inventory is an *inventory.Error: %v", err)
			require.Len(t, ie.Problems, len(want), "problems:\n%v", err)
			for i, w := range want {
				p := ie.Problems[i]
				assert.Equal(t, file, p.File)
				assert.Equal(t, w.line, p.Line, "line of %v", p)
				assert.Equal(t, w.col, p.Column, "column of %v", p)
				assert.Equal(t, w.field, p.Field)
				assert.Contains(t, p.Message, w.fragment)
			}
			assert.NotContains(t, err.Error(), "\x1b[", "no ANSI colour codes")
		})
	}
}

// TestLoadBadSecretsNotEchoed checks that a DSN or password written where
// an environment variable name belongs stays out of the message.
func TestLoadBadSecretsNotEchoed(t *testing.T) {
	for _, name := range []string{"dsn-instead-of-env-name.yaml", "server-is-a-dsn.yaml"} {
		_, err := Load(filepath.Join("testdata", "bad", name), Options{})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "Secr3t")
		assert.NotContains(t, err.Error(), "Hunter2")
		assert.NotContains(t, err.Error(), "sqlserver://")
	}
}

// TestLoadBadTypeMessagesDoNotEchoValues checks that a secret pasted where
// a mapping belongs is not quoted in the type error.
func TestLoadBadTypeMessagesDoNotEchoValues(t *testing.T) {
	src := "deployment: lab\nmodel: single\ndatabase: sqlserver://sa:Secr3t@sql01\nnodes: []\n"
	_, err := LoadBytes("inv.yaml", []byte(src), Options{})
	require.EqualError(t, err, "inv.yaml:3:11: database: expected a mapping of keys, found text")
}

// TestLoadWithoutKnownRules skips the rule check when the caller has no
// catalogue.
func TestLoadWithoutKnownRules(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "bad", "waiver-unknown-rule.yaml"), Options{})
	require.NoError(t, err)
}

// TestLoadMissingFile reports an unreadable file as bad input that still
// unwraps to the I/O error.
func TestLoadMissingFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "inventory.yaml")
	_, err := Load(file, Options{})
	var ie *Error
	require.True(t, errors.As(err, &ie))
	assert.True(t, errors.Is(err, os.ErrNotExist))
	assert.Equal(t, file+": cannot read the inventory: no such file", err.Error())
}

// TestLoadFolder reports a folder given as the inventory.
func TestLoadFolder(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir, Options{})
	var ie *Error
	require.True(t, errors.As(err, &ie))
	assert.True(t, strings.HasPrefix(err.Error(), dir+": cannot read the inventory: "), err.Error())
}

// TestErrorListsProblemsOnePerLine shows the format users see.
func TestErrorListsProblemsOnePerLine(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "bad", "single-standby-only.yaml"), Options{})
	require.EqualError(t, err, strings.Join([]string{
		filepath.Join("testdata", "bad", "single-standby-only.yaml") + `:7:3: nodes: model "single" needs exactly one primary node, found none`,
		filepath.Join("testdata", "bad", "single-standby-only.yaml") + `:8:11: nodes[0].role: "standby" is not allowed in model "single" (allowed: primary)`,
	}, "\n"))
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{"lab/inventory.yaml", 14, 11, "nodes[1].role", "bad"}, "lab/inventory.yaml:14:11: nodes[1].role: bad"},
		{Problem{"lab/inventory.yaml", 0, 0, "nodes[1].role", "bad"}, "lab/inventory.yaml: nodes[1].role: bad"},
		{Problem{"lab/inventory.yaml", 3, 0, "", "bad"}, "lab/inventory.yaml:3: bad"},
		{Problem{"", 3, 4, "model", "bad"}, "3:4: model: bad"},
		{Problem{"", 0, 0, "model", "bad"}, "model: bad"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.p.String())
	}
}
