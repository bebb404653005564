package checks

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// What the live database probe adds to the verdicts: the latency figures
// beside the median, and the reason a fact is missing.

func result(t *testing.T, d *facts.Deployment, rule, node string) Result {
	t.Helper()
	for _, r := range Evaluate(d) {
		if r.Rule == rule && r.Node == node {
			return r
		}
	}
	t.Fatalf("no result for %s %q", rule, node)
	return Result{}
}

func TestLatencyShowsP95AndConnectionSetUp(t *testing.T) {
	d := testDeployment(inventory.ManualCutover, inventory.Primary, inventory.Standby)
	samples := make([]float64, 20)
	for i := range samples {
		samples[i] = float64(i + 1) // 1 … 20 ms
	}
	d.DB.Facts.RTTMS = samples
	d.DB.Facts.ConnectMS = ptr(3.25)
	d.Inventory.Database.MaxLatencyMS = 11
	r := result(t, d, "db.latency", "")
	assert.Equal(t, Pass, r.Status, "the median (10.5) is judged, not the p95")
	assert.Equal(t, "median 10.5 ms, p95 19 ms (20 samples; connection set-up 3.25 ms)", r.Observed)

	n := result(t, d, "db.latency", "tms01")
	assert.Equal(t, "median 0.9 ms, p95 1.2 ms (3 samples)", n.Observed, "a node's own samples, judged the same way")
}

func TestP95IsNearestRank(t *testing.T) {
	assert.Equal(t, 7.0, p95([]float64{7}))
	assert.Equal(t, 3.0, p95([]float64{3, 1, 2}))
	s := make([]float64, 100)
	for i := range s {
		s[i] = float64(100 - i)
	}
	assert.Equal(t, 95.0, p95(s))
}

func TestMissingFactsShowTheProbesReason(t *testing.T) {
	d := testDeployment(inventory.ManualCutover, inventory.Primary, inventory.Standby)
	d.DB.Facts.LastFullBackup = facts.Optional[facts.Timestamp]{}
	d.DB.Facts.Settings = nil
	d.DB.Facts.Server = nil
	d.DB.Facts.Unknown = map[string]string{
		"last_full_backup": "SQL Server refused the backup history (error 229)",
		"settings":         "the settings query returned no row named X (ipv4_local)",
		"server":           "SQL Server refused the server's properties (error 300)",
	}
	for rule, want := range map[string]string{
		"db.backup-recent": "database facts lack last_full_backup: SQL Server refused the backup history (error 229)",
		"addresses.match":  "database facts lack settings: the settings query returned no row named X (ipv4_local)",
		"db.edition":       "database facts lack server.edition: SQL Server refused the server's properties (error 300)",
	} {
		r := result(t, d, rule, "")
		require.Equal(t, Error, r.Status, rule)
		assert.Equal(t, want, r.Message, rule)
	}

	d.DB.Facts.Unknown = nil
	assert.Equal(t, "database facts lack last_full_backup", result(t, d, "db.backup-recent", "").Message,
		"a recorded db.json without the key and without a reason")
}
