package runbooks

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpgradePlanOrder(t *testing.T) {
	cases := []struct {
		lab  string
		want []string // substrings, in this order
	}{
		{"nlb-three", []string{"stops the TMS services and IIS on tmsnlb01, tmsnlb02, tmsnlb03", "installer on tmsnlb01: it upgrades the tmsng database", "installer on tmsnlb02, tmsnlb03: it finds the database upgraded", "upgrade finish"}}, // three pool nodes (lab nlb has two since issue 10)
		{"manual-cutover", []string{"IIS on tms01; the standbys (tms02, tms03) must be stopped already", "installer on tms01: it upgrades", "installer on tms02, tms03 (it may start", "upgrade finish"}},
		{"offsite", []string{"IIS on tms01; the standbys (tmsdr01)", "installer on tms01", "force log shipping", "installer on tmsdr01", "upgrade finish"}},
	}
	for _, c := range cases {
		t.Run(c.lab, func(t *testing.T) {
			d, _ := audit(t, lab(c.lab))
			rb, err := UpgradePlan(d)
			require.NoError(t, err)
			assert.Empty(t, rb.Steps, "a plan changes nothing")
			text := strings.Join(rb.Notes, "\n")
			at := 0
			for _, w := range c.want {
				i := strings.Index(text[at:], w)
				if !assert.GreaterOrEqualf(t, i, 0, "%q after offset %d in:\n%s", w, at, text) {
					return
				}
				at += i + len(w)
			}
		})
	}
	d, _ := audit(t, lab("single"))
	_, err := UpgradePlan(d)
	assert.True(t, errors.Is(err, ErrUsage), "%v", err)
}

// TestUpgradePrepare stops the active nodes (start type kept) and records
// every version; nlb stops every node.
func TestUpgradePrepare(t *testing.T) {
	d, results := audit(t, lab("manual-cutover"))
	rb, err := UpgradePrepare(d, results)
	require.NoError(t, err)
	assert.Empty(t, rb.Preflight)
	assert.Equal(t, []string{"stop:tms01", "audit"}, ids(rb))
	for _, c := range step(t, rb, "stop:tms01").Services {
		assert.Equal(t, c.From.StartType, c.To.StartType, c.Name)
		assert.Equal(t, "Stopped", c.To.State)
	}
	assert.Equal(t, map[string]string{"tms01": "15.13.2", "tms02": "15.13.2", "tms03": "15.13.2"}, rb.Versions)

	d, results = audit(t, lab("nlb-three")) // three pool nodes (lab nlb has two since issue 10)
	rb, err = UpgradePrepare(d, results)
	require.NoError(t, err)
	assert.Equal(t, []string{"stop:tmsnlb01", "stop:tmsnlb02", "stop:tmsnlb03", "audit"}, ids(rb))
}

// TestUpgradePrepareStandbyAwake: a standby whose services run must be
// stopped first.
func TestUpgradePrepareStandbyAwake(t *testing.T) {
	d, results := audit(t, lab("standby-awake"))
	rb, err := UpgradePrepare(d, results)
	require.NoError(t, err)
	var nodes []string
	for _, f := range rb.Preflight {
		assert.Equal(t, "standby stopped", f.Check)
		nodes = append(nodes, f.Node)
	}
	// tms03's services are stopped (one Disabled): no finding for it.
	assert.Equal(t, []string{"tms02", "tms04"}, nodes)
}

// TestUpgradeFinish on the post-upgrade lab: the machineKey and the
// address are what it restores; the laggards of a mixed deployment refuse
// it, even with --force.
func TestUpgradeFinish(t *testing.T) {
	d, results := audit(t, lab("post-upgrade"))
	rb, err := UpgradeFinish(d, results, &Runbook{Versions: map[string]string{"tms01": "15.12.0", "tms02": "15.12.0", "tms03": "15.12.0"}})
	require.NoError(t, err)
	assert.Empty(t, rb.Preflight)
	assert.Equal(t, []string{"stop:tms02", "stop:tms03", "post-upgrade", "start:tms01", "audit"}, ids(rb))
	fix := step(t, rb, "post-upgrade")
	assert.Equal(t, PostUpgradeRules, fix.Rules)
	assert.Len(t, fix.Repairs, 3)

	// The versions recorded before the upgrade are the versions now: no
	// node was upgraded.
	rb, err = UpgradeFinish(d, results, &Runbook{Versions: map[string]string{"tms01": "15.13.2", "tms02": "15.13.2", "tms03": "15.12.0"}})
	require.NoError(t, err)
	require.Len(t, rb.Refusals(true), 1)
	assert.Contains(t, rb.Preflight[0].Problem, "tms01 (still 15.13.2, as before the upgrade)")
	assert.NotContains(t, rb.Preflight[0].Problem, "tms03")

	d, results = audit(t, lab("mixed-versions"))
	rb, err = UpgradeFinish(d, results, nil)
	require.NoError(t, err)
	require.Len(t, rb.Refusals(true), 1)
	assert.Contains(t, rb.Preflight[0].Problem, "tms03 (15.12.0)")
	assert.NotEmpty(t, rb.Warnings)
}

// TestUpgradeFinishOffsiteLag: log shipping must have caught up.
func TestUpgradeFinishOffsiteLag(t *testing.T) {
	d, results := audit(t, lab("offsite-drift"))
	rb, err := UpgradeFinish(d, results, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"db.log-shipping-lag"}, findingChecks(rb))
	assert.Empty(t, rb.Refusals(true), "--force overrides the lag")

	d, results = audit(t, lab("offsite"))
	rb, err = UpgradeFinish(d, results, nil)
	require.NoError(t, err)
	assert.Empty(t, rb.Preflight)
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"15.13.2", "15.13.2", 0},
		{"15.13.2", "15.14.0", -1},
		{"15.13.10", "15.13.9", 1},
		{"15.13", "15.13.1", -1},
		{"15.13.2", "", 1},
	} {
		got := compareVersions(c.a, c.b)
		assert.Equal(t, c.want, sign(got), "%s vs %s", c.a, c.b)
	}
}

func sign(i int) int {
	switch {
	case i < 0:
		return -1
	case i > 0:
		return 1
	}
	return 0
}
