package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/machinekey"
	"github.com/tmsdrift/tmsdrift/report"
)

// Issue 8's fixer items, where a user meets them: on the command line.

// Item 4: with the master's Data folder gone, fix --prune used to delete
// every customer file of both standbys.
func TestFixPruneRefusesAMasterWithoutData(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	dir, inv := labCopy(t, "post-upgrade")
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "nodes/tms01/fs/C/Program Files/TANDBERG/TMS/wwwTMS/Data")))
	// Config\System, a folder TMS 15's profile compares and the inventory's
	// default nine do not name: the standbys have it, the master not.
	for _, node := range []string{"tms02", "tms03"} {
		folder := filepath.Join(dir, "nodes", node, "fs/C/Program Files/TANDBERG/TMS/Config/System")
		require.NoError(t, os.MkdirAll(folder, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(folder, "settings.xml"), []byte("cfg\r\n"), 0o644))
	}
	orig := files(t, dir)

	code, stdout, stderr := tmsdrift(t, "fix", "-i", inv, "--only", "data.synced", "--prune")
	assert.Equal(t, report.ExitFail, code, stderr)
	assert.NotContains(t, stdout, "delete file")
	assert.Contains(t, stdout, `tms02: not pruned: the data master tms01 has no files in wwwTMS\Data\CompanyLogo (the folder is missing, unreadable or empty there)`) // TMS 15.13.2: its profile compares CompanyLogo of these folders
	assert.Contains(t, stdout, `data.synced tms03: not pruned`)
	assert.Contains(t, stdout, `tms02: not pruned: the data master tms01 has no files in Config\System`)

	code, stdout, stderr = tmsdrift(t, "fix", "-i", inv, "--only", "data.synced", "--prune", "--apply")
	assert.Equal(t, report.ExitFail, code, stdout+stderr)
	assert.Equal(t, orig, files(t, dir), "not one file deleted")
}

// Item 7: two <machineKey> in one <system.web> fail machinekey.present
// naming the line; fix leaves exactly one; rollback gives the file back.
func TestDuplicateMachineKeyIsReportedAndFixed(t *testing.T) {
	dir, inv := labCopy(t, "manual-cutover")
	wc := filepath.Join(dir, "nodes/tms01/fs/C/Program Files/TANDBERG/TMS/wwwTMS/web.config")
	raw, err := os.ReadFile(wc)
	require.NoError(t, err)
	key, err := machinekey.FromWebConfig(raw)
	require.NoError(t, err)
	require.NotNil(t, key)
	// A second, identical key below the first: what a careless fixer
	// writes.
	lines := strings.SplitAfter(string(raw), "\r\n")
	at := -1
	for i, l := range lines {
		if strings.Contains(l, "<machineKey validationKey=") && !strings.Contains(l, "<!--") {
			at = i
		}
	}
	require.GreaterOrEqual(t, at, 0)
	lines = append(lines[:at+1], append([]string{lines[at]}, lines[at+1:]...)...)
	require.NoError(t, os.WriteFile(wc, []byte(strings.Join(lines, "")), 0o644))
	broken := files(t, dir)
	secrets := secretsOf(t, dir)

	code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json")
	assert.Equal(t, report.ExitFail, code, stderr)
	assert.Contains(t, stdout, `"observed": "2 <machineKey> elements (lines `+itoa(at+1)+`, `+itoa(at+2)+`)"`)
	assert.Contains(t, stdout, `line `+itoa(at+2)+`: a second <machineKey> for the application`)
	assertNoSecrets(t, secrets, stdout)

	code, stdout, stderr = tmsdrift(t, "fix", "-i", inv, "--apply")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Contains(t, stdout, "remove the second <machineKey> on line "+itoa(at+2))
	assertNoSecrets(t, secrets, stdout, stderr)
	assert.Equal(t, string(raw), files(t, dir)["nodes/tms01/fs/C/Program Files/TANDBERG/TMS/wwwTMS/web.config"], "exactly the file with one key")

	code, _, stderr = tmsdrift(t, "fix", "-i", inv, "--apply")
	assert.Equal(t, report.ExitOK, code, stderr)
	assert.Equal(t, string(raw), files(t, dir)["nodes/tms01/fs/C/Program Files/TANDBERG/TMS/wwwTMS/web.config"], "a second fix writes no second key")

	code, _, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stderr)
	assert.Equal(t, broken, files(t, dir))
}

// Item 8, the fixer half: an impossible address is never written into the
// database, whoever catches it first (the inventory's validation, or the
// addresses fixer).
func TestFixNeverWritesAnImpossibleAddress(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	edited := strings.Replace(string(raw), "ipv4_local: 10.10.0.11", "ipv4_local: 999.10.0.300", 1)
	require.NotEqual(t, string(raw), edited)
	require.NoError(t, os.WriteFile(inv, []byte(edited), 0o644))
	db := files(t, dir)["db.json"]

	code, stdout, stderr := tmsdrift(t, "fix", "-i", inv, "--only", "addresses.match", "--apply")
	assert.Contains(t, []int{report.ExitFail, report.ExitUsage}, code, stdout+stderr)
	assert.Equal(t, db, files(t, dir)["db.json"], "db.json unchanged")
	assert.NotContains(t, stdout, `-> "999.10.0.300"`)
	assert.Contains(t, stdout+stderr, "999.10.0.300", "the message names the value")
}

func itoa(n int) string { return strconv.Itoa(n) }

// Code review: rollback's exit codes say why nothing was put back: 2 for
// what was asked, 1 for a refusal because something changed (tested in
// TestRollbackRefusesAChangedFile), 3 when a node could not be read.
func TestRollbackExitCodes(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	code, _, stderr := tmsdrift(t, "fix", "-i", inv, "--apply")
	require.Equal(t, report.ExitOK, code, stderr)

	code, _, stderr = tmsdrift(t, "rollback", "-i", inv, "20260101T000000Z-000000")
	assert.Equal(t, report.ExitUsage, code, "no such run: %s", stderr)
	code, _, stderr = tmsdrift(t, "rollback", "-i", inv, "not-a-run")
	assert.Equal(t, report.ExitUsage, code, stderr)

	// tms02's web.config cannot be read any more (a folder stands in its
	// place): the rollback cannot check it, changes nothing, exit 3.
	wc := filepath.Join(dir, filepath.FromSlash(tms02WebConfig))
	require.NoError(t, os.Rename(wc, wc+".moved"))
	require.NoError(t, os.Mkdir(wc, 0o755))
	before := files(t, dir)
	code, stdout, stderr := tmsdrift(t, "rollback", "-i", inv, "last")
	assert.Equal(t, report.ExitErrored, code, stdout+stderr)
	assert.Contains(t, stderr, "tms02")
	assert.Equal(t, before, files(t, dir), "nothing changed")
}

// Item 2: the administrator cut over to tms02 by hand and the inventory
// still names tms01 primary. fix must not stop the server that serves and
// start the retired one.
func TestFixRefusesToUndoAManualCutover(t *testing.T) {
	dir, inv := labCopy(t, "cutover-unrecorded")
	orig := files(t, dir)
	for _, args := range [][]string{
		{"fix", "-i", inv},
		{"fix", "-i", inv, "--apply"},
		{"fix", "-i", inv, "--apply", "--only", "addresses.match"},
		{"fix", "-i", inv, "--apply", "--node", "tms02"},
		{"post-upgrade", "-i", inv},
	} {
		code, stdout, stderr := tmsdrift(t, args...)
		assert.Equal(t, report.ExitFail, code, "%v: %s%s", args, stdout, stderr)
		assert.Empty(t, stdout, args)
		assert.Contains(t, stderr, "the facts disagree with the inventory about which node is live", args)
		assert.Contains(t, stderr, "The inventory names tms01 primary, but tms01 runs none of its TMS services or W3SVC, tms02 runs them and the database's TMS server address (10.10.0.12) is tms02's.", args)
		assert.Contains(t, stderr, "record that in the inventory", args)
		assert.Contains(t, stderr, "tmsdrift promote tms02", args)
		assert.Contains(t, stderr, "Nothing was changed", args)
		assert.Equal(t, orig, files(t, dir), "%v changed something", args)
	}
	assert.Empty(t, runFolders(t, dir))

	// Changes that do not touch who is live still go ahead.
	code, stdout, stderr := tmsdrift(t, "fix", "-i", inv, "--only", "data.synced,machinekey.present")
	assert.Equal(t, report.ExitFail, code, stderr)
	assert.Contains(t, stdout, "Nothing tmsdrift can change", "nothing else to fix in this lab")

	// Recorded in the inventory, the cutover is the truth: fix then has
	// nothing to undo.
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	recorded := strings.NewReplacer(
		"ipv4_local: 10.10.0.11", "ipv4_local: 10.10.0.12",
		"name: tms01\n    role: primary", "name: tms01\n    role: standby",
		"name: tms02\n    role: standby", "name: tms02\n    role: primary",
		"master: tms01", "master: tms02",
	).Replace(string(raw))
	require.NoError(t, os.WriteFile(inv, []byte(recorded), 0o644))
	code, stdout, stderr = tmsdrift(t, "audit", "-i", inv)
	assert.Equal(t, report.ExitOK, code, stdout+stderr)

	// --force does what the inventory says, knowingly.
	require.NoError(t, os.WriteFile(inv, raw, 0o644))
	code, stdout, stderr = tmsdrift(t, "fix", "-i", inv, "--apply", "--force")
	assert.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Contains(t, files(t, dir)["db.json"], `"ipv4_local": "10.10.0.11"`)
}
