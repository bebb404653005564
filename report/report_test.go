package report

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tmsdrift/tmsdrift/checks"
)

func result(rule string, status checks.Status, sev checks.Severity) checks.Result {
	return checks.Result{Rule: rule, Node: "tms01", Status: status, Severity: sev}
}

func TestExitCode(t *testing.T) {
	cases := []struct {
		name    string
		results []checks.Result
		failOn  checks.Severity
		want    int
	}{
		{"nothing evaluated", nil, checks.Low, ExitOK},
		{"all pass", []checks.Result{result("time.synced", checks.Pass, checks.High)}, checks.Low, ExitOK},
		{"waived only", []checks.Result{result("time.synced", checks.Waived, checks.Critical)}, checks.Low, ExitOK},
		{"fail at the threshold", []checks.Result{result("db.mixed-auth", checks.Fail, checks.Medium)}, checks.Medium, ExitFail},
		{"fail above the threshold", []checks.Result{result("machinekey.match", checks.Fail, checks.Critical)}, checks.High, ExitFail},
		{"fail below the threshold", []checks.Result{result("data.synced", checks.Fail, checks.Medium)}, checks.High, ExitOK},
		{"fail below the threshold with an error", []checks.Result{
			result("data.synced", checks.Fail, checks.Medium),
			result("db.online", checks.Error, checks.Critical),
		}, checks.High, ExitErrored},
		{"error only", []checks.Result{result("db.online", checks.Error, checks.Critical)}, checks.Low, ExitErrored},
		{"a counted fail wins over an error", []checks.Result{
			result("db.online", checks.Error, checks.Critical),
			result("data.synced", checks.Fail, checks.Medium),
		}, checks.Low, ExitFail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := New("acme-tms", "manual-cutover", fixtureStart, fixtureEnd, c.results)
			assert.Equal(t, c.want, r.ExitCode(c.failOn))
		})
	}
}

func TestNewCountsEveryStatus(t *testing.T) {
	r := mixedReport()
	assert.Equal(t, Summary{Pass: 29, Fail: 7, Waived: 1, Error: 2}, r.Summary)
	assert.Equal(t, Schema, r.Schema)
	assert.NotNil(t, New("x", "single", fixtureStart, fixtureEnd, nil).Results, "results are [] not null in JSON")
}
