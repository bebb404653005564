package facts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseNodeKeepsAbsenceApart(t *testing.T) {
	f, err := ParseNode([]byte(`{"schema": "tmsdrift/facts/v1", "hostname": "TMS01", "services": [],
		"time": {"source": "dc01", "synced": false}}`))
	require.NoError(t, err)
	assert.Nil(t, f.PartOfDomain, "absent part_of_domain stays unknown")
	assert.NotNil(t, f.Services, "an empty services list is known to be empty")
	assert.Empty(t, f.Services)
	assert.Nil(t, f.DBRTTMS)
	assert.Nil(t, f.TMS)
	require.NotNil(t, f.Time)
	assert.Equal(t, false, *f.Time.Synced)
	assert.Nil(t, f.Time.OffsetMS)

	f, err = ParseNode([]byte(`{"schema": "tmsdrift/facts/v1", "services": null}`))
	require.NoError(t, err)
	assert.Nil(t, f.Services, "null services is unknown, like absent")
}

func TestParseNodeErrorsNameLineAndField(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"syntax", "{\n \"schema\": \"tmsdrift/facts/v1\",\n \"hostname\": TMS01\n}", "line 3: malformed JSON"},
		{"type", "{\n \"schema\": \"tmsdrift/facts/v1\",\n \"part_of_domain\": \"yes\"\n}", "line 3: part_of_domain: expected bool"},
		{"nested type", "{\"schema\": \"tmsdrift/facts/v1\",\n \"time\": {\"offset_ms\": \"2ms\"}}", "line 2: time.offset_ms: expected float64"},
		{"schema", `{"schema": "tmsdrift/facts/v2"}`, `schema: got "tmsdrift/facts/v2"`},
		{"no schema", `{"hostname": "x"}`, `schema: got ""`},
		{"start type", `{"schema": "tmsdrift/facts/v1", "services": [{"name": "W3SVC", "start_type": "Auto", "state": "Running"}]}`, `services[0].start_type: "Auto" is not one of`},
		{"state", `{"schema": "tmsdrift/facts/v1", "services": [{"name": "W3SVC", "start_type": "Manual", "state": "running"}]}`, `services[0].state: "running"`},
		{"nameless service", `{"schema": "tmsdrift/facts/v1", "services": [{"start_type": "Manual", "state": "Stopped"}]}`, `services[0].name: missing`},
		{"truncated", `{"schema": "tmsdrift/facts/v1", "hostname": "TM`, "malformed JSON"},
		{"empty", ``, "malformed JSON"},
		{"trailing data", `{"schema": "tmsdrift/facts/v1"} {}`, "unexpected data after the JSON document"},
		{"not an object", `[1, 2]`, "expected a JSON object, got JSON array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNode([]byte(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestParseDBTriStates(t *testing.T) {
	f, err := ParseDB([]byte(`{"schema": "tmsdrift/db/v1", "database": null, "last_full_backup": null,
		"log_shipping": {"secondary_server": "sql-dr", "last_restored": "2026-11-25T01:40:00"}}`))
	require.NoError(t, err)
	assert.True(t, f.Database.Set)
	assert.True(t, f.Database.Null, "database null: does not exist")
	assert.True(t, f.LastFullBackup.Set && f.LastFullBackup.Null, "null backup: never backed up")
	require.True(t, f.LogShipping.Valid())
	assert.Equal(t, time.Date(2026, 11, 25, 1, 40, 0, 0, time.UTC), f.LogShipping.Value.LastRestored.Value.Time, "no offset means UTC")
	assert.Nil(t, f.ObservedAt)

	f, err = ParseDB([]byte(`{"schema": "tmsdrift/db/v1", "last_full_backup": "2026-11-24T23:00:00+01:00"}`))
	require.NoError(t, err)
	assert.False(t, f.Database.Set, "absent database: unknown")
	assert.False(t, f.LogShipping.Set)
	assert.Equal(t, time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC), f.LastFullBackup.Value.Time)

	_, err = ParseDB([]byte("{\"schema\": \"tmsdrift/db/v1\",\n\"observed_at\": \"yesterday\"}"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"yesterday" is not an RFC 3339 timestamp`)
}

// Writing db.json (for `snapshot db`) keeps absent, null and present apart.
func TestDBRoundTrip(t *testing.T) {
	in := `{"schema":"tmsdrift/db/v1","database":null,"last_full_backup":"2026-11-24T23:00:00Z","observed_at":"2026-11-25T02:00:00Z"}`
	f, err := ParseDB([]byte(in))
	require.NoError(t, err)
	out, err := json.Marshal(f)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))
}

// labFiles returns every file called name under fixtures/labs.
func labFiles(t testing.TB, name string) [][]byte {
	var out [][]byte
	err := filepath.WalkDir("../fixtures/labs", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == name {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, data)
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, out, "no %s in the labs", name)
	return out
}

func TestEveryLabFileParses(t *testing.T) {
	ok := 0
	for _, data := range labFiles(t, "facts.json") {
		if _, err := ParseNode(data); err == nil {
			ok++
		}
	}
	assert.Greater(t, ok, 40, "lab facts.json files parse (broken-snapshot has one malformed on purpose)")
	for _, data := range labFiles(t, "db.json") {
		_, err := ParseDB(data)
		assert.NoError(t, err)
	}
}

// FuzzParseNode: facts.json comes from nodes and scripts we do not control.
func FuzzParseNode(f *testing.F) {
	for _, data := range labFiles(f, "facts.json") {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseNode(data)
		if err != nil {
			assert.Nil(t, n)
			return
		}
		assert.Equal(t, NodeSchema, n.Schema)
		for _, s := range n.Services {
			assert.NotEmpty(t, s.Name)
		}
	})
}

// FuzzParseDB: db.json is recorded by other tools and edited by hand.
func FuzzParseDB(f *testing.F) {
	for _, data := range labFiles(f, "db.json") {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDB(data)
		if err != nil {
			assert.Nil(t, d)
			return
		}
		assert.Equal(t, DBSchema, d.Schema)
		if d.Database.Null {
			assert.True(t, d.Database.Set)
		}
	})
}

func TestIsTMSService(t *testing.T) {
	for name, want := range map[string]bool{
		"TMSLiveService": true, "tmsSchedulerService": true, "W3SVC": true, "w3svc": true,
		"TMS": true, "Spooler": false, "W32Time": false, "TM": false, "": false, "xTMSLive": false,
	} {
		assert.Equal(t, want, IsTMSService(name), name)
	}
}
