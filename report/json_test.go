package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

func renderJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, NewJSON(Options{}).Write(&buf, r))
	return buf.Bytes()
}

// TestJSONMatchesContract decodes the output generically and checks every
// key of contract §5 with its JSON type, so a renamed or retyped key
// fails here whatever the Go structs say.
func TestJSONMatchesContract(t *testing.T) {
	r := mixedReport()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(renderJSON(t, r), &doc))

	assert.ElementsMatch(t, []string{"schema", "deployment", "model", "started_at", "finished_at", "summary", "results"}, keys(doc))
	assert.Equal(t, "tmsdrift/report/v1", doc["schema"])
	assert.Equal(t, "acme-tms", doc["deployment"])
	assert.Equal(t, "manual-cutover", doc["model"])
	for _, k := range []string{"started_at", "finished_at"} {
		s, ok := doc[k].(string)
		require.True(t, ok, "%s is a string", k)
		ts, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err, "%s is RFC 3339", k)
		assert.True(t, strings.HasSuffix(s, "Z"), "%s is UTC: %s", k, s)
		assert.Equal(t, time.UTC, ts.Location())
	}

	summary, ok := doc["summary"].(map[string]any)
	require.True(t, ok, "summary is an object")
	assert.ElementsMatch(t, []string{"pass", "fail", "waived", "error"}, keys(summary))
	want := map[string]int{"pass": r.Summary.Pass, "fail": r.Summary.Fail, "waived": r.Summary.Waived, "error": r.Summary.Error}
	for k, n := range want {
		assert.Equal(t, float64(n), summary[k], "summary.%s", k)
	}

	results, ok := doc["results"].([]any)
	require.True(t, ok, "results is an array")
	require.Len(t, results, len(r.Results))
	for i, item := range results {
		res, ok := item.(map[string]any)
		require.True(t, ok, "results[%d] is an object", i)
		assert.ElementsMatch(t, []string{"rule", "node", "status", "severity", "expected", "observed", "message", "fixable"}, keys(res), "results[%d]", i)
		for _, k := range []string{"rule", "node", "status", "severity", "expected", "observed", "message"} {
			assert.IsType(t, "", res[k], "results[%d].%s is a string", i, k)
		}
		assert.IsType(t, true, res["fixable"], "results[%d].fixable is a boolean", i)
		assert.Contains(t, []any{"pass", "fail", "waived", "error"}, res["status"])
		assert.Contains(t, []any{"critical", "high", "medium", "low"}, res["severity"])
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestJSONRoundTrip decodes into the engine's own types: nothing is lost
// or reordered, deployment results keep node "".
func TestJSONRoundTrip(t *testing.T) {
	r := mixedReport()
	var back struct {
		Schema     string          `json:"schema"`
		StartedAt  time.Time       `json:"started_at"`
		FinishedAt time.Time       `json:"finished_at"`
		Summary    Summary         `json:"summary"`
		Results    []checks.Result `json:"results"`
	}
	require.NoError(t, json.Unmarshal(renderJSON(t, r), &back))
	assert.Equal(t, r.Results, back.Results, "same results in the Report's order")
	assert.Equal(t, r.Summary, back.Summary)
	assert.True(t, r.StartedAt.Equal(back.StartedAt))
	assert.True(t, r.FinishedAt.Equal(back.FinishedAt), "fractions of a second survive")

	var deployment int
	for _, res := range back.Results {
		if res.Rule == "addresses.match" {
			assert.Equal(t, "", res.Node)
			deployment++
		}
	}
	assert.Equal(t, 1, deployment)
}

func TestJSONKeepsTheReportOrder(t *testing.T) {
	r := reversed()
	var back struct {
		Results []checks.Result `json:"results"`
	}
	require.NoError(t, json.Unmarshal(renderJSON(t, r), &back))
	assert.Equal(t, r.Results, back.Results, "JSON does not re-sort")
}

func TestJSONWritesTimesInUTCAndEmptyResultsAsArray(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	r := &Report{Deployment: "x", Model: "single",
		StartedAt: time.Date(2026, 11, 25, 3, 0, 0, 0, paris), FinishedAt: time.Date(2026, 11, 25, 3, 0, 2, 0, paris)}
	out := string(renderJSON(t, r))
	assert.Contains(t, out, `"started_at": "2026-11-25T02:00:00Z"`)
	assert.Contains(t, out, `"finished_at": "2026-11-25T02:00:02Z"`)
	assert.Contains(t, out, `"results": []`, "never null")
	assert.Contains(t, out, `"schema": "tmsdrift/report/v1"`, "filled in when the Report lacks it")
}

func TestJSONDoesNotEscapeMarkup(t *testing.T) {
	out := string(renderJSON(t, mixedReport()))
	assert.Contains(t, out, `<machineKey validation=\"SHA1|AES\" & …>`, "readable, and still valid JSON")
	assert.True(t, json.Valid([]byte(out)))
}
