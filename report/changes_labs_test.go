package report

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// auditLab audits a lab from its snapshot folders, as `tmsdrift audit`
// does, at a fixed time.
func auditLab(t *testing.T, lab fixtures.Lab, at time.Time) *Report {
	t.Helper()
	inv, err := inventory.Load(lab.Inventory, inventory.Options{KnownRules: checks.IDs()})
	require.NoError(t, err)
	d, err := collect.Gather(context.Background(), inv, collect.Options{Now: at, Open: transports.Open})
	require.NoError(t, err)
	return New(inv.Deployment, string(inv.Model), at, at.Add(time.Second), checks.Evaluate(d))
}

func labByName(t *testing.T, name string) fixtures.Lab {
	t.Helper()
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	for _, l := range labs {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no lab %s", name)
	return fixtures.Lab{}
}

// TestResultKeyIsUniqueInEveryLab holds ResultKey's premise against the
// ground truth: no lab gives two results for one rule and node, so rule +
// node identifies a result and Nth stays 0.
func TestResultKeyIsUniqueInEveryLab(t *testing.T) {
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	require.NotEmpty(t, labs)
	for _, lab := range labs {
		r := auditLab(t, lab, runOne)
		require.NotEmpty(t, r.Results, lab.Name)
		for k := range IndexResults(r.Results) {
			assert.Zerof(t, k.Nth, "lab %s: %s has several results", lab.Name, k)
		}
	}
}

// TestCompareLabs walks the story the nightly service tells: a clean
// deployment, an upgrade on tms02 (the post-upgrade lab), then clean again.
func TestCompareLabs(t *testing.T) {
	clean := labByName(t, "manual-cutover")
	upgraded := labByName(t, "post-upgrade")
	night1 := auditLab(t, clean, runOne)
	night2 := auditLab(t, upgraded, runTwo)
	night3 := auditLab(t, clean, runTwo.Add(24*time.Hour))

	drift := Compare(night1, night2)
	var want []string
	for _, e := range upgraded.Expected.Results {
		require.Equal(t, "fail", e.Status, "the post-upgrade lab only fails")
		want = append(want, e.Rule+"@"+e.Node+" pass→fail")
	}
	assert.ElementsMatch(t, want, changeKeys(drift.NewFailures))
	assert.Equal(t, []string{"machinekey.present", "machinekey.match", "addresses.match"},
		[]string{drift.NewFailures[0].Rule, drift.NewFailures[1].Rule, drift.NewFailures[2].Rule}, "all critical: catalogue order")
	assert.Empty(t, drift.Resolved)
	assert.Equal(t, VerdictFail, drift.NewVerdict)
	assert.True(t, drift.VerdictChanged)

	recovery := Compare(night2, night3)
	assert.Len(t, recovery.Resolved, len(want))
	assert.Empty(t, recovery.NewFailures)
	assert.Equal(t, "-3 resolved", recovery.Summary())

	assert.True(t, Compare(night3, night1).Empty(), "two clean nights: nothing to tell")
}
