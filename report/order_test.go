package report

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tmsdrift/tmsdrift/checks"
)

func TestByAttention(t *testing.T) {
	in := []checks.Result{
		{Rule: "zz.unknown", Node: "a", Status: checks.Fail, Severity: checks.High},
		{Rule: "db.latency", Node: "tms02", Status: checks.Fail, Severity: checks.High},
		{Rule: "db.latency", Node: "", Status: checks.Fail, Severity: checks.High},
		{Rule: "domain.joined", Node: "tms01", Status: checks.Fail, Severity: checks.High},
		{Rule: "data.synced", Node: "tms01", Status: checks.Error, Severity: checks.Critical},
		{Rule: "db.online", Node: "", Status: checks.Fail, Severity: checks.Critical},
		{Rule: "time.synced", Node: "tms01", Status: checks.Pass, Severity: checks.Critical},
		{Rule: "time.synced", Node: "tms02", Status: checks.Waived, Severity: checks.Low},
	}
	original := append([]checks.Result(nil), in...)
	got := byAttention(in)
	assert.Equal(t, original, in, "the Report's own order is left alone")

	var order []string
	for _, r := range got {
		order = append(order, string(r.Status)+" "+r.Rule+" "+nodeLabel(r.Node))
	}
	assert.Equal(t, []string{
		"fail db.online (deployment)",  // critical first
		"fail domain.joined tms01",     // then catalogue order
		"fail db.latency (deployment)", // the deployment before its nodes
		"fail db.latency tms02",        //
		"fail zz.unknown a",            // rules the catalogue does not know last
		"error data.synced tms01",      // errors after every failure, whatever the severity
		"waived time.synced tms02",     //
		"pass time.synced tms01",       //
	}, order)
}

func TestNextStepsOncePerFailingRule(t *testing.T) {
	steps := nextSteps(byAttention(mixedReport().Results))
	var rules []string
	for _, s := range steps {
		rules = append(rules, s.Rule)
	}
	assert.Equal(t, []string{"machinekey.match", "addresses.match", "services.standby-inactive", "db.latency", "db.backup-recent", "data.synced"}, rules)
	last := steps[len(steps)-1]
	assert.Equal(t, []string{"tms02", "tms03"}, last.Nodes)
	assert.Equal(t, "Customer files are synchronised", last.Title)
	assert.True(t, last.Fixable, "fixable when the results say so")
	assert.NotEmpty(t, last.Remediation)

	unknown := nextSteps([]checks.Result{{Rule: "zz.unknown", Status: checks.Fail, Severity: checks.Low}})
	assert.Equal(t, []step{{Rule: "zz.unknown", Title: "zz.unknown", Severity: checks.Low, Nodes: []string{deploymentLabel}}}, unknown)
}
