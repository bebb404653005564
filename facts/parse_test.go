package facts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
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
		{"type", "{\n \"schema\": \"tmsdrift/facts/v1\",\n \"part_of_domain\": \"yes\"\n}", "line 3: part_of_domain: expected true or false, got JSON string"},
		{"nested type", "{\"schema\": \"tmsdrift/facts/v1\",\n \"time\": {\"offset_ms\": \"2ms\"}}", "line 2: time.offset_ms: expected a number"},
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
	assert.Equal(t, `line 2: observed_at: expected an RFC 3339 timestamp (2026-11-25T02:00:00Z), got JSON text "yesterday"`, err.Error())

	// A timestamp that is not one, or not text, inside log_shipping:
	// named by field and placed on its line (it was "malformed JSON", or
	// line 1).
	_, err = ParseDB([]byte("{\"schema\": \"tmsdrift/db/v1\",\n\"log_shipping\": {\n \"secondary_server\": \"dr\",\n \"last_restored\": \"\\u001b[2J\"}}"))
	require.Error(t, err)
	assert.Equal(t, `line 4: log_shipping.last_restored: expected an RFC 3339 timestamp (2026-11-25T02:00:00Z), got JSON text "\x1b[2J"`, err.Error())
	_, err = ParseDB([]byte("{\"schema\": \"tmsdrift/db/v1\",\n\"log_shipping\": {\n\n \"secondary_server\": 5}}"))
	require.Error(t, err)
	assert.Equal(t, `line 4: log_shipping.secondary_server: expected text, got JSON number`, err.Error())
}

func TestImpossibleNodeFactsAreDroppedWithTheReason(t *testing.T) {
	for _, tc := range []struct{ name, json, key, why string }{
		{"negative round trip", `"db_rtt_ms": [1.2, -30, 0.9]`, "db_rtt_ms", "db_rtt_ms[1] is -30 ms, and a round trip cannot take negative time"},
		{"round trip of days", `"db_rtt_ms": [2e8]`, "db_rtt_ms", "db_rtt_ms[0] is 2e+08 ms, more than an hour"},
		{"negative zero round trip", `"db_rtt_ms": [0.8, -0, 0.9]`, "db_rtt_ms", "db_rtt_ms[1] is -0 ms, and a round trip cannot take negative time"},
		{"offset beyond a century", `"time": {"source": "dc01", "synced": true, "offset_ms": 1e308}`, "time.offset_ms", "time.offset_ms is 1e+308 ms, more than 100 years"},
		{"negative offset beyond a century", `"time": {"source": "dc01", "synced": true, "offset_ms": -1e13}`, "time.offset_ms", "more than 100 years"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseNode([]byte(`{"schema": "tmsdrift/facts/v1", "services": [], ` + tc.json + `}`))
			require.NoError(t, err, "an impossible value is not malformed JSON: the other facts stay usable")
			assert.Contains(t, f.Impossible[tc.key], tc.why)
			assert.Equal(t, "facts.json "+tc.key+": "+f.Impossible[tc.key], f.Lacks(tc.key))
			assert.Nil(t, f.DBRTTMS)
			if f.Time != nil {
				assert.Nil(t, f.Time.OffsetMS)
			}
		})
	}
	f, err := ParseNode([]byte(`{"schema": "tmsdrift/facts/v1", "services": [], "db_rtt_ms": [0, 3599999], "time": {"offset_ms": -850.5}}`))
	require.NoError(t, err)
	assert.Empty(t, f.Impossible, "zero, large and negative offsets are possible")
	assert.Equal(t, []float64{0, 3599999}, f.DBRTTMS)
	f, err = ParseNode([]byte(`{"schema": "tmsdrift/facts/v1", "services": [], "time": {"offset_ms": -0}}`))
	require.NoError(t, err)
	assert.Empty(t, f.Impossible, "w32tm prints -00.0000000s for a clock exactly on time")
	assert.Equal(t, "facts.json lacks hostname", f.Lacks("hostname"))
}

func TestImpossibleDBFactsAreDroppedWithTheReason(t *testing.T) {
	const observed = `"observed_at": "2026-11-25T02:00:00Z"`
	for _, tc := range []struct{ name, json, key, why string }{
		{"backup after observation", `"last_full_backup": "2101-03-01T00:00:00Z"`, "last_full_backup",
			"last_full_backup 2101-03-01T00:00:00Z is 74.3 years after observed_at 2026-11-25T02:00:00Z"},
		{"backup an hour ahead", `"last_full_backup": "2026-11-25T03:00:00Z"`, "last_full_backup", "is 1 h after observed_at"},
		{"restore after observation", `"log_shipping": {"secondary_server": "sql-dr", "last_restored": "2026-11-26T02:00:00Z"}`,
			"log_shipping.last_restored", "log_shipping.last_restored 2026-11-26T02:00:00Z is 24 h after observed_at"},
		{"negative round trip", `"rtt_ms": [-30]`, "rtt_ms", "rtt_ms[0] is -30 ms"},
		{"negative connection time", `"rtt_ms": [1], "connect_ms": -2`, "connect_ms", "connect_ms is -2 ms, and a duration cannot be negative"},
		{"negative zero connection time", `"rtt_ms": [1], "connect_ms": -0`, "connect_ms", "connect_ms is -0 ms, and a duration cannot be negative"},
		{"negative zero round trip", `"rtt_ms": [-0, -0, -0]`, "rtt_ms", "rtt_ms[0] is -0 ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseDB([]byte(`{"schema": "tmsdrift/db/v1", ` + observed + `, ` + tc.json + `}`))
			require.NoError(t, err)
			assert.Contains(t, f.Unknown[tc.key], tc.why)
			assert.Contains(t, f.Lacks(tc.key), "database facts lack "+tc.key+": impossible value: ")
			assert.False(t, f.LastFullBackup.Valid())
			if f.LogShipping.Valid() {
				assert.False(t, f.LogShipping.Value.LastRestored.Set, "dropped: the rule sees it absent, with the reason")
			}
		})
	}
	f, err := ParseDB([]byte(`{"schema": "tmsdrift/db/v1", ` + observed + `, "last_full_backup": "2026-11-25T02:04:59Z", "rtt_ms": [0.1]}`))
	require.NoError(t, err)
	assert.True(t, f.LastFullBackup.Valid(), "within the skew a clock may have")
	assert.Empty(t, f.Unknown)

	// Recording keeps the reason: `snapshot db` writes what it read.
	f, err = ParseDB([]byte(`{"schema": "tmsdrift/db/v1", ` + observed + `, "last_full_backup": "2101-03-01T00:00:00Z"}`))
	require.NoError(t, err)
	out, err := json.Marshal(f)
	require.NoError(t, err)
	again, err := ParseDB(out)
	require.NoError(t, err)
	assert.Equal(t, f.Unknown, again.Unknown)
	assert.False(t, again.LastFullBackup.Set)
}

// TestImpossibleTimesAreDropped: a time before 2000, or an observed_at
// after this machine's clock, cannot be true; its reason gives the real
// distance, not time.Sub's saturated 292 years.
func TestImpossibleTimesAreDropped(t *testing.T) {
	clock := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	defer func(was func() time.Time) { now = was }(now)
	now = func() time.Time { return clock }
	const observed = `"observed_at": "2026-11-25T02:00:00Z"`
	for _, tc := range []struct{ name, json, key, why string }{
		{"observed in year 9999", `"observed_at": "9999-12-31T23:59:59Z", "last_full_backup": "2026-11-24T22:00:00Z"`, "observed_at",
			"observed_at 9999-12-31T23:59:59Z is 7972.9 years after this machine's clock (2026-12-04T12:00:00Z)"},
		{"observed two days ahead", `"observed_at": "2026-12-06T12:00:00Z"`, "observed_at", "is 2 days after this machine's clock"},
		{"observed in year 1", `"observed_at": "0001-01-01T00:00:00Z"`, "observed_at", "observed_at 0001-01-01T00:00:00Z is before 2000"},
		{"observed at the Unix epoch", `"observed_at": "1970-01-01T00:00:00Z"`, "observed_at", "is before 2000"},
		{"backup in year 1", observed + `, "last_full_backup": "0001-01-01T00:00:00Z"`, "last_full_backup", "last_full_backup 0001-01-01T00:00:00Z is before 2000"},
		{"backup at SQL Server's first datetime", observed + `, "last_full_backup": "1753-01-01T00:00:00"`, "last_full_backup", "is before 2000"},
		{"backup in year 9999", observed + `, "last_full_backup": "9999-12-31T23:59:59Z"`, "last_full_backup",
			"last_full_backup 9999-12-31T23:59:59Z is 7972.9 years after observed_at 2026-11-25T02:00:00Z"},
		{"restore in year 9999", observed + `, "log_shipping": {"secondary_server": "dr", "last_restored": "9999-12-31T23:59:59Z"}`,
			"log_shipping.last_restored", "7972.9 years after observed_at"},
		{"backup in year 9999, observed_at absent", `"last_full_backup": "9999-12-31T23:59:59Z"`, "last_full_backup", "after this machine's clock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseDB([]byte(`{"schema": "tmsdrift/db/v1", ` + tc.json + `}`))
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(f.Unknown[tc.key], impossible), f.Unknown[tc.key])
			assert.Contains(t, f.Unknown[tc.key], tc.why)
			assert.NotContains(t, f.Unknown[tc.key], "292", "no saturated span")
			assert.Equal(t, "database facts from db.json lack "+tc.key+": "+f.Unknown[tc.key], DB{From: "db.json", Facts: f}.Lacks(tc.key))
			switch tc.key {
			case "observed_at":
				assert.Nil(t, f.ObservedAt)
			case "last_full_backup":
				assert.False(t, f.LastFullBackup.Set)
			default:
				assert.False(t, f.LogShipping.Value.LastRestored.Set)
			}
		})
	}
	f, err := ParseDB([]byte(`{"schema": "tmsdrift/db/v1", "observed_at": "2026-12-05T11:59:00Z", "last_full_backup": "2000-01-01T00:00:00Z"}`))
	require.NoError(t, err)
	assert.Empty(t, f.Unknown, "a server clock less than a day ahead, and a backup from 2000, are possible")
	assert.Equal(t, "database facts lack settings", DB{From: "db.json", Facts: f}.Lacks("settings"), "only impossible values name the file")
}

func TestElapsedNeverSaturates(t *testing.T) {
	y1 := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	y9999 := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	_, ok := Elapsed(y1, y9999)
	assert.False(t, ok, "time.Sub saturates here")
	_, ok = Elapsed(y9999, y1)
	assert.False(t, ok)
	d, ok := Elapsed(Earliest, y1.AddDate(2199, 0, 0))
	assert.True(t, ok)
	assert.Equal(t, (200*365+49)*24*time.Hour, d, "2000 to 2200: 200 years and 49 leap days")
	// 9999-12-31 is day 3652058 counted from 0001-01-01.
	assert.InDelta(t, 3652058*24+23+59/60.0+59/3600.0, hoursBetween(y1, y9999), 1e-6)
	assert.InDelta(t, -d.Hours(), hoursBetween(y1.AddDate(2199, 0, 0), Earliest), 1e-9)
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
		// No impossible value reaches a rule.
		assert.Empty(t, checkRTT("db_rtt_ms", n.DBRTTMS))
		if n.Time != nil && n.Time.OffsetMS != nil {
			assert.Empty(t, checkOffset("time.offset_ms", *n.Time.OffsetMS))
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
		// No impossible value reaches a rule.
		assert.Empty(t, checkRTT("rtt_ms", d.RTTMS))
		if d.ObservedAt != nil && d.LastFullBackup.Valid() {
			assert.LessOrEqual(t, d.LastFullBackup.Value.Sub(d.ObservedAt.Time), MaxSkew)
		}
		// Every time lies where an age between two of them fits a
		// time.Duration (a backup may lie MaxSkew after an observed_at
		// MaxAhead ahead of the clock).
		clock := time.Now().Add(MaxSkew + time.Minute)
		for _, at := range []Optional[Timestamp]{d.LastFullBackup, d.LogShipping.Value.LastRestored, {Set: d.ObservedAt != nil, Value: ptrValue(d.ObservedAt)}} {
			if at.Valid() {
				assert.Empty(t, checkTime("time", at.Value.Time, clock))
			}
		}
	})
}

func ptrValue[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

func TestIsTMSService(t *testing.T) {
	for name, want := range map[string]bool{
		"TMSLiveService": true, "tmsSchedulerService": true, "W3SVC": true, "w3svc": true,
		"TMS": true, "Spooler": false, "W32Time": false, "TM": false, "": false, "xTMSLive": false,
	} {
		assert.Equal(t, want, IsTMSService(name), name)
	}
}
