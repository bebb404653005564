package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

func render(t *testing.T, format string, r *Report) string {
	t.Helper()
	w, err := NewWriter(format, Options{Width: 200})
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, w.Write(&b, r))
	return b.String()
}

// TestBaselineMarksInEveryHumanFormat: under audit --baseline the table
// (the default), Markdown and HTML reports mark each failure new or
// known, as the JSON report does, and count them; a gate that passes only
// because the baseline knew every failure says so, instead of calling
// critical failures "below --fail-on".
func TestBaselineMarksInEveryHumanFormat(t *testing.T) {
	base := mixedReport()
	now := mixedReport()
	for i := range now.Results {
		if res := &now.Results[i]; res.Rule == "paths.identical" && res.Node == "tms02" {
			res.Status = checks.Fail
		}
	}
	now.MarkBaseline(base)
	for _, format := range []string{"table", "markdown", "html"} {
		out := render(t, format, now)
		assert.Contains(t, out, "--baseline: 1 new, ", format)
		assert.Contains(t, out, "known", format)
		switch format {
		case "table", "markdown":
			assert.Contains(t, out, "(new)", format)
			assert.Contains(t, out, "(known)", format)
		case "html":
			assert.Contains(t, out, "new: not in the baseline")
			assert.Contains(t, out, "known: already in the baseline")
		}
	}

	// Only known failures (no errors either): exit 0, and the verdict
	// says why.
	known := mixedReport()
	for i := range known.Results {
		if known.Results[i].Status == checks.Error {
			known.Results[i].Status = checks.Pass
		}
	}
	known.MarkBaseline(known)
	require.Equal(t, ExitOK, known.ExitCode(checks.Low))
	for _, format := range []string{"markdown", "html"} {
		out := render(t, format, known)
		assert.Contains(t, out, "Only failures the baseline already had", format)
		assert.NotContains(t, out, "below --fail-on", format)
		assert.Contains(t, out, "--baseline: 0 new, ", format)
	}
	assert.NotContains(t, render(t, "table", mixedReport()), "--baseline", "nothing without --baseline")
}
