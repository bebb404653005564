package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

// TestParseJSONRoundTrip: every golden JSON report reads back into the
// report that wrote it, byte for byte.
func TestParseJSONRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		r, err := ParseJSON(raw)
		require.NoError(t, err, f)
		var buf bytes.Buffer
		require.NoError(t, NewJSON(Options{}).Write(&buf, r))
		assert.Equal(t, string(raw), buf.String(), f)
	}
}

func TestParseJSONRefuses(t *testing.T) {
	good := `{"schema": "tmsdrift/report/v1", "deployment": "d", "model": "single", "started_at": "2026-11-25T02:00:00Z", "finished_at": "2026-11-25T02:00:01Z",
"summary": {"pass": 0, "fail": 1, "waived": 0, "error": 0},
"results": [{"rule": "r", "node": "", "status": "fail", "severity": "high", "expected": "", "observed": "", "message": "", "fixable": false}]}`
	_, err := ParseJSON([]byte(good))
	require.NoError(t, err)
	for name, tc := range map[string]struct{ from, to, want string }{
		"other schema":   {"tmsdrift/report/v1", "tmsdrift/report/v2", `schema "tmsdrift/report/v2" is not a tmsdrift JSON report`},
		"unknown status": {`"status": "fail"`, `"status": "ok"`, `results[0] (r): unknown status "ok"`},
		"bad severity":   {`"severity": "high"`, `"severity": "urgent"`, `unknown severity "urgent"`},
		"bad time":       {`"2026-11-25T02:00:00Z"`, `"yesterday"`, `started_at: "yesterday" is not an RFC 3339 time`},
		"bad mark":       {`"fixable": false}`, `"fixable": false, "baseline": "old"}`, `unknown baseline mark "old"`},
		"wrong type":     {`"fixable": false`, `"fixable": "no"`, "line 3: results.fixable: expected true or false"},
		"no rule":        {`"rule": "r"`, `"rule": ""`, "results[0]: no rule"},
		// A failure deleted by hand, a file cut short in a way that still
		// parses: not a report a diff or a baseline may trust.
		"failure gone": {`{"rule": "r", "node": "", "status": "fail", "severity": "high", "expected": "", "observed": "", "message": "", "fixable": false}`, ``, "summary (pass 0, fail 1, waived 0, error 0) does not match the results (pass 0, fail 0, waived 0, error 0)"},
		"no results": {`,
"results": [{"rule": "r", "node": "", "status": "fail", "severity": "high", "expected": "", "observed": "", "message": "", "fixable": false}]`, ``, "no results list"},
		"no summary": {`"summary": {"pass": 0, "fail": 1, "waived": 0, "error": 0},`, ``, "does not match the results"},
	} {
		_, err := ParseJSON([]byte(strings.Replace(good, tc.from, tc.to, 1)))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}
}

func TestMarkBaseline(t *testing.T) {
	base := mixedReport()
	now := mixedReport()
	// One failure of the baseline is fixed, one result newly fails, one
	// node is spelled in another case.
	for i := range now.Results {
		res := &now.Results[i]
		switch {
		case res.Rule == "db.latency" && res.Node == "tms03":
			res.Status = checks.Pass
		case res.Rule == "paths.identical" && res.Node == "tms02":
			res.Status = checks.Fail
		case res.Rule == "machinekey.match" && res.Node == "tms02":
			res.Node = "TMS02"
		}
	}
	require.Equal(t, ExitFail, now.ExitCode(checks.Low))
	now.MarkBaseline(base)
	marks := map[string]string{}
	for i, res := range now.Results {
		if now.Baseline[i] != "" {
			require.Equal(t, checks.Fail, res.Status, "only failures are marked")
			marks[res.Rule+" "+res.Node] = now.Baseline[i]
		}
	}
	assert.Equal(t, map[string]string{
		"paths.identical tms02":           BaselineNew,
		"machinekey.match TMS02":          BaselineKnown,
		"addresses.match ":                BaselineKnown,
		"services.standby-inactive tms02": BaselineKnown,
		"db.backup-recent ":               BaselineKnown,
		"data.synced tms02":               BaselineKnown,
		"data.synced tms03":               BaselineKnown,
	}, marks)
	assert.Equal(t, ExitFail, now.ExitCode(checks.Low), "a new failure fails the gate")
	assert.Equal(t, ExitErrored, now.ExitCode(checks.High), "paths.identical is medium: below --fail-on high only the errors remain")

	var buf bytes.Buffer
	require.NoError(t, NewJSON(Options{}).Write(&buf, now))
	assert.Contains(t, buf.String(), `"fixable": false,
      "baseline": "new"`)
	back, err := ParseJSON(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, now.Baseline, back.Baseline, "the marks read back")

	// Only known failures left: the gate passes (errors still count).
	again := mixedReport()
	again.MarkBaseline(base)
	assert.Equal(t, ExitErrored, again.ExitCode(checks.Low))
	var plain bytes.Buffer
	require.NoError(t, NewJSON(Options{}).Write(&plain, mixedReport()))
	assert.NotContains(t, plain.String(), `"baseline"`, "without a baseline the v1 report is unchanged")
}

// FuzzParseJSON: whatever parses writes back and parses to the same
// report; nothing panics.
func FuzzParseJSON(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range files {
		if raw, err := os.ReadFile(file); err == nil {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseJSON(data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		require.NoError(t, NewJSON(Options{}).Write(&buf, r))
		back, err := ParseJSON(buf.Bytes())
		require.NoError(t, err)
		assert.Equal(t, r.Results, back.Results)
		assert.Equal(t, r.Summary, back.Summary)
		assert.Equal(t, r.Baseline, back.Baseline)
	})
}
