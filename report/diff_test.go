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

// diffFixture compares mixedReport with a copy where one failure is fixed,
// one result newly fails on a node with a hostile name, and one error
// clears.
func diffFixture() *Diff {
	old := mixedReport()
	latest := mixedReport()
	latest.StartedAt = old.StartedAt.Add(24 * time.Hour)
	for i := range latest.Results {
		res := &latest.Results[i]
		switch {
		case res.Rule == "db.latency" && res.Node == "tms03":
			res.Status = checks.Pass
		case res.Rule == "paths.identical" && res.Node == "tms02":
			res.Status, res.Observed = checks.Fail, "D:\\TMS\x1b[31m | *bold* <b>"
		case res.Rule == "machinekey.match" && res.Node == "tms03":
			res.Status = checks.Pass
		}
	}
	ch := Compare(old, latest)
	for i := range ch.StillFailing {
		ch.StillFailing[i].FirstSeen = old.StartedAt.Add(-72 * time.Hour)
	}
	return &Diff{Deployment: old.Deployment, Changes: ch,
		Old: DiffSide{Name: "20261124T020000Z", StartedAt: old.StartedAt},
		New: DiffSide{Name: "20261125T020000Z", StartedAt: latest.StartedAt}}
}

func TestWriteDiffJSON(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteDiff(&b, "json", diffFixture(), 0))
	var doc struct {
		Schema  string
		Summary string
		Changes map[string][]struct {
			Rule, Node, Before, After string
			FirstSeen                 string `json:"first_seen"`
		}
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, DiffSchema, doc.Schema)
	assert.Equal(t, "+1 failing, -1 resolved, -1 error", doc.Summary)
	require.Len(t, doc.Changes["new_failures"], 1)
	assert.Equal(t, "paths.identical", doc.Changes["new_failures"][0].Rule)
	assert.Equal(t, "pass", doc.Changes["new_failures"][0].Before)
	require.Len(t, doc.Changes["resolved"], 1)
	require.Len(t, doc.Changes["cleared_errors"], 1)
	assert.NotEmpty(t, doc.Changes["still_failing"])
	for _, c := range doc.Changes["still_failing"] {
		assert.NotEmpty(t, c.FirstSeen)
	}
	assert.Contains(t, b.String(), `"new_errors": []`, "empty lists are [], never null")
}

func TestWriteDiffTextIsSafe(t *testing.T) {
	for _, format := range []string{"table", "markdown"} {
		var b bytes.Buffer
		require.NoError(t, WriteDiff(&b, format, diffFixture(), 0))
		out := b.String()
		assert.NotContains(t, out, "\x1b", "%s: no escape sequence from outside reaches the terminal", format)
		assert.Contains(t, out, "New failures (1)", format)
		assert.Contains(t, out, "Still failing", format)
		assert.Contains(t, out, "2026-11", format)
		if format == "markdown" {
			assert.Contains(t, out, `\*bold\*`, "markdown is escaped")
			assert.Contains(t, out, "&lt;b&gt;")
			assert.NotContains(t, out, " | *bold*")
		}
	}
	assert.Error(t, WriteDiff(&bytes.Buffer{}, "xml", diffFixture(), 0))
	assert.Equal(t, []string{"json", "markdown", "table"}, DiffFormats())
	assert.True(t, strings.HasPrefix(DiffSchema, "tmsdrift/diff/"))
}
