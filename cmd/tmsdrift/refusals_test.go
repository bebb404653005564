package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/report"
)

// Issue 8 ("Trust") and issue 12 ("Runbooks"): a command that changes the
// deployment and refuses changes nothing. Nothing means nothing: not a
// node's file, and not the runs folder either (no lock file, no
// .gitignore, no folder beside the inventory that was not there), and a
// lock file that was there says what it said before.

// treeSnapshot describes every path below dir, dir included: its mode,
// and a file's size and SHA-256 or a symlink's target.
func treeSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		what := info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			what += " -> " + target
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			what += fmt.Sprintf(" %d bytes sha256:%s", len(data), hex.EncodeToString(sum[:]))
		}
		out[filepath.ToSlash(rel)] = what
		return nil
	}))
	return out
}

// holdLock holds the lab's deployment lock as another tmsdrift run would,
// until the test ends.
func holdLock(t *testing.T, dir string, h fixers.Holder) {
	t.Helper()
	lock, err := fixers.AcquireLock(context.Background(), filepath.Join(dir, ".tmsdrift", "runs"), 0, h)
	require.NoError(t, err)
	if h.Run != "" {
		require.NoError(t, lock.Running(h.Run))
	}
	t.Cleanup(func() { assert.NoError(t, lock.Release()) })
}

// unfinishedRun leaves a fix run that never finished in the lab's runs
// folder, as a killed fix does.
func unfinishedRun(t *testing.T, dir, inv string) {
	t.Helper()
	j, err := fixers.NewJournal(filepath.Join(dir, ".tmsdrift", "runs"), fixers.RunManifest{Command: "fix",
		Deployment: "acme", Inventory: inv, StartedAt: time.Now()})
	require.NoError(t, err)
	require.NoError(t, j.Close())
}

// mustRun runs a command line the setup of a case needs.
func mustRun(t *testing.T, code int, args ...string) {
	t.Helper()
	got, stdout, stderr := tmsdrift(t, args...)
	require.Equal(t, code, got, "%v: %s%s", args, stdout, stderr)
}

// setFacts rewrites one string in a lab file.
func setFacts(t *testing.T, dir, rel, old, repl string) {
	t.Helper()
	rewrite(t, filepath.Join(dir, filepath.FromSlash(rel)), func(b []byte) []byte {
		require.Contains(t, string(b), old, rel)
		return []byte(strings.Replace(string(b), old, repl, 1))
	})
}

func TestRefusalsChangeNothing(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // messages are matched whole below
	const run = "20261125T020000Z-3fa2c8"
	promoteHolds := fixers.Holder{PID: 4242, Host: "ops01", Command: "tmsdrift promote", Since: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC), Run: run}
	rollbackHolds := fixers.Holder{PID: 4243, Host: "ops02", Command: "tmsdrift rollback", Since: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)}
	badInventory := func(t *testing.T, _, inv string) {
		rewrite(t, inv, func(b []byte) []byte { return append(b, []byte("\nnot_a_field: 1\n")...) })
	}
	fixed := func(t *testing.T, _, inv string) { mustRun(t, report.ExitOK, "fix", "-i", inv, "--apply") }
	activated := func(t *testing.T, dir, inv string) {
		setFacts(t, dir, "db-dr.json", `"state": "RESTORING"`, `"state": "ONLINE"`)
		mustRun(t, report.ExitFail, "activate-offsite", "-i", inv, "--apply", "--yes")
	}
	prepared := func(t *testing.T, dir, inv string) {
		mustRun(t, report.ExitFail, "upgrade", "prepare", "-i", inv, "--apply", "--yes")
		for _, node := range []string{"tms01", "tms02"} { // tms03 lags
			setFacts(t, dir, "nodes/"+node+"/facts.json", `"version": "15.13.2"`, `"version": "15.14.0"`)
		}
	}
	for _, c := range []struct {
		name   string
		lab    string
		setup  func(t *testing.T, dir, inv string) // before the snapshot
		args   []string                            // then "-i INVENTORY", unless they name $DIR, the lab's folder
		answer string                              // typed at the prompt on a terminal ("": no terminal)
		code   int
		says   string // in stderr
	}{
		// No terminal to ask on, and no --yes.
		{name: "promote without a terminal", lab: "manual-cutover", args: []string{"promote", "tms02", "--apply"},
			code: report.ExitUsage, says: "there is no terminal to ask on, so pass --yes; nothing was changed"},
		{name: "upgrade prepare without a terminal", lab: "post-upgrade", args: []string{"upgrade", "prepare", "--apply"},
			code: report.ExitUsage, says: "there is no terminal to ask on"},
		{name: "activate-offsite without a terminal", lab: "offsite", args: []string{"activate-offsite", "--apply"},
			code: report.ExitUsage, says: "there is no terminal to ask on"},
		// Asked, answered no.
		{name: "promote not confirmed", lab: "manual-cutover", args: []string{"promote", "tms02", "--apply"}, answer: "n\n",
			code: report.ExitFail, says: "not confirmed; nothing was changed"},
		{name: "promote not confirmed, runs folder there", lab: "post-upgrade", setup: fixed,
			args: []string{"promote", "tms02", "--apply"}, answer: "no\n", code: report.ExitFail, says: "not confirmed"},
		// Bad input.
		{name: "fix, bad inventory", lab: "post-upgrade", setup: badInventory, args: []string{"fix", "--apply"},
			code: report.ExitUsage, says: "not_a_field"},
		{name: "promote, bad inventory", lab: "manual-cutover", setup: badInventory, args: []string{"promote", "tms02", "--apply", "--yes"},
			code: report.ExitUsage, says: "not_a_field"},
		{name: "rollback, bad inventory", lab: "post-upgrade", setup: badInventory, args: []string{"rollback", "last"},
			code: report.ExitUsage, says: "not_a_field"},
		{name: "promote an unknown node", lab: "manual-cutover", args: []string{"promote", "tms09", "--apply", "--yes"},
			code: report.ExitUsage, says: "tms09"},
		{name: "rollback of an unknown run", lab: "post-upgrade", args: []string{"rollback", "20260101T000000Z-000000"},
			code: report.ExitUsage, says: "20260101T000000Z-000000"},
		{name: "rollback of an unknown run, runs folder there", lab: "post-upgrade", setup: fixed,
			args: []string{"rollback", "20260101T000000Z-000000"}, code: report.ExitUsage, says: "20260101T000000Z-000000"},
		{name: "rollback of no run", lab: "post-upgrade", args: []string{"rollback", "last"}, code: report.ExitUsage},
		{name: "rollback of not a run", lab: "post-upgrade", args: []string{"rollback", "not-a-run"}, code: report.ExitUsage, says: "not-a-run"},
		// Another run holds the lock.
		{name: "fix while a promote runs", lab: "post-upgrade", setup: func(t *testing.T, dir, _ string) { holdLock(t, dir, promoteHolds) },
			args: []string{"fix", "--apply"}, code: report.ExitUsage,
			says: `this deployment is locked by "tmsdrift promote" (run ` + run + `, process 4242 on ops01 since 2026-11-25T02:00:00Z)`},
		{name: "post-upgrade while a rollback runs", lab: "post-upgrade", setup: func(t *testing.T, dir, _ string) { holdLock(t, dir, rollbackHolds) },
			args: []string{"post-upgrade"}, code: report.ExitUsage,
			says: `this deployment is locked by "tmsdrift rollback" (process 4243 on ops02 since 2026-11-25T02:00:00Z)`},
		{name: "rollback while a promote runs", lab: "post-upgrade", setup: func(t *testing.T, dir, inv string) { fixed(t, dir, inv); holdLock(t, dir, promoteHolds) },
			args: []string{"rollback", "last"}, code: report.ExitUsage, says: `locked by "tmsdrift promote" (run ` + run},
		{name: "promote while a rollback runs", lab: "manual-cutover", setup: func(t *testing.T, dir, _ string) { holdLock(t, dir, rollbackHolds) },
			args: []string{"promote", "tms02", "--apply", "--yes"}, code: report.ExitUsage, says: `locked by "tmsdrift rollback"`},
		// The facts contradict the inventory's primary.
		{name: "fix undoing a cutover", lab: "cutover-unrecorded", args: []string{"fix", "--apply"},
			code: report.ExitFail, says: "the facts disagree with the inventory about which node is live"},
		{name: "post-upgrade undoing a cutover", lab: "cutover-unrecorded", args: []string{"post-upgrade"},
			code: report.ExitFail, says: "the facts disagree with the inventory about which node is live"},
		// An earlier run never finished.
		{name: "fix after an unfinished run", lab: "post-upgrade", setup: unfinishedRun, args: []string{"fix", "--apply"},
			code: report.ExitFail, says: "an earlier run never finished"},
		{name: "promote after an unfinished run", lab: "manual-cutover", setup: unfinishedRun, args: []string{"promote", "tms02", "--apply", "--yes"},
			code: report.ExitFail, says: "never finished"},
		// The preflight fails.
		{name: "promote, preflight fails", lab: "mixed-versions", args: []string{"promote", "tms03", "--apply", "--yes"},
			code: report.ExitFail, says: "promote refused: the preflight failed (version.same on tms03); nothing was changed"},
		{name: "promote the primary", lab: "manual-cutover", args: []string{"promote", "tms01", "--apply", "--yes", "--force"},
			code: report.ExitFail, says: "promote refused: the preflight failed (role on tms01"},
		{name: "activate-offsite, off-site database restoring", lab: "offsite", args: []string{"activate-offsite", "--apply", "--yes", "--force"},
			code: report.ExitFail, says: "refused"},
		{name: "activate-offsite twice", lab: "offsite", setup: activated, args: []string{"activate-offsite", "--apply", "--yes", "--force"},
			code: report.ExitUsage, says: "the deployment already runs on its off-site site"},
		{name: "return-to-primary without --database-resynced", lab: "offsite", setup: activated, args: []string{"return-to-primary", "--apply", "--yes", "--force"},
			code: report.ExitFail, says: "return-to-primary refused: the preflight failed (database-resynced"},
		{name: "upgrade finish with a node left behind", lab: "post-upgrade", setup: prepared, args: []string{"upgrade", "finish", "--apply", "--yes"},
			code: report.ExitFail, says: "upgrade finish refused: the preflight failed"},
		// Something changed since the run.
		{name: "rollback of a run changed since", lab: "post-upgrade", setup: func(t *testing.T, dir, inv string) {
			fixed(t, dir, inv)
			rewrite(t, filepath.Join(dir, filepath.FromSlash(tms02WebConfig)), func(b []byte) []byte { return append(b, "<!-- edited -->\r\n"...) })
		}, args: []string{"rollback", "last"}, code: report.ExitFail, says: "changed since the run"},
		// Not a refusal, but the same promise: with nothing to do, fix
		// --apply starts no run and leaves the lock file as it was.
		{name: "fix with nothing left to do", lab: "post-upgrade", setup: fixed, args: []string{"fix", "--apply"},
			code: report.ExitOK},
		// A file is never replaced without --force, nor written with a bad
		// value, nor its folder made.
		{name: "keygen over a key", lab: "manual-cutover", args: []string{"keygen", "-o", "$DIR/keys/machinekey.xml"},
			code: report.ExitUsage, says: "keygen never replaces a key without --force"},
		{name: "keygen, bad algorithm", lab: "manual-cutover", args: []string{"keygen", "-o", "$DIR/new/machinekey.xml", "--validation", "MD5"},
			code: report.ExitUsage, says: "MD5"},
		{name: "init over the inventory", lab: "manual-cutover", args: []string{"init", "--model", "single", "-o", "$DIR/inventory.yaml"},
			code: report.ExitUsage, says: "use --force to overwrite it"},
		{name: "init, bad model", lab: "manual-cutover", args: []string{"init", "--model", "nlb-plus", "-o", "$DIR/new/inventory.yaml"},
			code: report.ExitUsage, says: "nlb-plus"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, inv := labCopy(t, c.lab)
			if c.setup != nil {
				c.setup(t, dir, inv)
			}
			before := treeSnapshot(t, dir)
			var args []string
			for _, a := range c.args {
				args = append(args, strings.Replace(a, "$DIR", dir, 1))
			}
			if !strings.Contains(strings.Join(c.args, " "), "$DIR") {
				args = append(args, "-i", inv)
			}
			var code int
			var stdout, stderr string
			if c.answer != "" {
				code, stdout, stderr = answerOnTerminal(t, c.answer, args...)
			} else {
				code, stdout, stderr = tmsdrift(t, args...)
			}
			assert.Equal(t, c.code, code, "%v: %s%s", args, stdout, stderr)
			assert.Contains(t, stderr, c.says)
			assert.Equal(t, before, treeSnapshot(t, dir), "%v refused, and must change nothing", args)
		})
	}
}
