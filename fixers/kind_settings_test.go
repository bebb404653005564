package fixers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/facts"
)

// The database kind against db.json (the live database is tested in
// livedb_test.go through the same Op).
func TestSettingsOpMakesChecksAndPutsBack(t *testing.T) {
	dir, r, _ := kindRun(t, "post-upgrade", false)
	ctx := testContext(t)
	dbJSON := filepath.Join(dir, "db.json")
	orig := must(os.ReadFile(dbJSON))
	op := &SettingsOp{Store: "db.json", Fields: []string{"ipv4_local"},
		Before: facts.Settings{IPv4Local: "10.10.0.12"}, After: facts.Settings{IPv4Local: "10.10.0.11"}}
	oc := opContext(t, r, "")

	assert.Equal(t, KindDatabase, op.Kind())
	assert.Equal(t, "db.json", op.Object())
	assert.Equal(t, State{Settings: map[string]string{"ipv4_local": "10.10.0.11"}}, op.StateAfter())

	is, err := op.Verify(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, IsBefore, is)
	was, err := op.Prepare(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, State{Settings: map[string]string{"ipv4_local": "10.10.0.12"}}, was)
	require.NoError(t, op.Apply(ctx, oc))
	is, err = op.Verify(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, IsAfter, is)
	require.NoError(t, op.Undo(ctx, oc, was))
	assert.Equal(t, string(orig), string(must(os.ReadFile(dbJSON))), "db.json byte for byte")

	// A value someone set meanwhile: refused, the write itself refuses
	// too (compare-and-set), and Force adopts it as the way back.
	moved := &SettingsOp{Store: "db.json", Fields: []string{"ipv4_local"},
		Before: facts.Settings{IPv4Local: "10.10.0.99"}, After: facts.Settings{IPv4Local: "10.10.0.11"}}
	_, err = moved.Prepare(ctx, oc)
	assert.ErrorIs(t, err, errChanged)
	assert.ErrorIs(t, moved.Apply(ctx, oc), errChanged)
	assert.Equal(t, string(orig), string(must(os.ReadFile(dbJSON))), "nothing written")
	forced := opContext(t, r, "")
	forced.Force = true
	was, err = moved.Prepare(ctx, forced)
	require.NoError(t, err)
	assert.Equal(t, "10.10.0.12", was.Settings["ipv4_local"])
	assert.Equal(t, "10.10.0.12", moved.Before.IPv4Local, "the compare-and-set expects what is there")

	none := opContext(t, r, "")
	none.Settings = nil
	_, err = op.Prepare(ctx, none)
	assert.ErrorContains(t, err, "the database cannot be changed from here")
}

func TestSettingsKindReadsRecordsBack(t *testing.T) {
	rec := Record{Kind: KindDatabase, Object: "db.json", Action: Set, Status: Applied, Rules: []string{"addresses.match"},
		Before: State{Settings: map[string]string{"ipv4_local": "10.10.0.12", "dns_local": "a"}},
		After:  State{Settings: map[string]string{"ipv4_local": "10.10.0.11", "dns_local": "b"}}}
	require.NoError(t, settingsKind{}.validate(rec))
	c, err := settingsKind{}.inverse(rec, nil)
	require.NoError(t, err)
	assert.Equal(t, &SettingsOp{Store: "db.json", Fields: []string{"ipv4_local", "dns_local"},
		Before: facts.Settings{IPv4Local: "10.10.0.11", DNSLocal: "b"},
		After:  facts.Settings{IPv4Local: "10.10.0.12", DNSLocal: "a"}}, c.Op, "the contract's order")
	assert.Equal(t, `set ipv4_local: "10.10.0.11" -> "10.10.0.12", dns_local: "b" -> "a" in db.json`, c.Summary)
	assert.Equal(t, []string{"addresses.match"}, c.Rules)
	for name, edit := range map[string]func(*Record){
		"replace": func(r *Record) { r.Action = Replace },
		"a password": func(r *Record) {
			r.Before.Settings = map[string]string{"password": "x"}
			r.After.Settings = r.Before.Settings
		},
		"fields differ":   func(r *Record) { r.After.Settings = map[string]string{"ipv4_local": "x"} },
		"nothing":         func(r *Record) { r.Before.Settings, r.After.Settings = nil, nil },
		"with a backup":   func(r *Record) { r.Before.Backup = "backup/x" },
		"after backed up": func(r *Record) { r.After.Backup = "backup/x" },
	} {
		bad := rec
		edit(&bad)
		assert.Error(t, bad.validate(), name)
	}
}
