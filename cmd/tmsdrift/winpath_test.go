package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/report"
)

// Issue 8: five copies of Windows path splitting disagreed on "C:". A
// node whose facts give a drive-relative web root (C:PROGRAM FILES\...,
// which names a folder relative to whatever the current folder of C: is)
// was read as if it were C:\PROGRAM FILES\...: a guess, and a pass on it.
// Now it is an error that says why.
func TestDriveRelativePathIsAnError(t *testing.T) {
	dir, inv := labCopy(t, "manual-cutover")
	rewrite(t, filepath.Join(dir, "nodes", "tms02", "facts.json"), func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"web_root": "C:\\PROGRAM FILES`), []byte(`"web_root": "C:PROGRAM FILES`), 1)
	})

	code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json")
	assert.Equal(t, report.ExitFail, code, stderr) // paths.identical fails too
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	r := findResult(t, rep, "machinekey.present", "tms02")
	assert.Equal(t, checks.Error, r.Status)
	assert.Contains(t, r.Observed+r.Message, `relative to the current folder of drive C:`)
}
