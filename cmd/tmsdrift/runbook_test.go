package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// nonPass audits inv and returns the non-pass results as "rule node
// status", and the exit code.
func nonPass(t *testing.T, inv string) ([]string, int) {
	t.Helper()
	rep, code, out := auditJSON(t, inv)
	var list []string
	for _, r := range rep.Results {
		if r.Status != "pass" {
			list = append(list, strings.TrimSpace(r.Rule+" "+r.Node)+" "+string(r.Status))
		}
	}
	if list == nil && code != report.ExitOK {
		t.Logf("audit: %s", out)
	}
	return list, code
}

// diffFiles lists the files that differ between two trees (files()).
// assertLiveFilesBack compares a live lab's files after a rollback with
// orig, byte for byte; a node's facts.json by its services only, since the
// test server re-encodes it when it sets one (a live node's services are
// not a file).
func assertLiveFilesBack(t *testing.T, orig, back map[string]string) {
	t.Helper()
	for p, data := range orig {
		if !strings.HasSuffix(p, "/facts.json") {
			assert.Equal(t, data, back[p], p)
			continue
		}
		var was, is struct{ Services []map[string]string }
		require.NoError(t, json.Unmarshal([]byte(data), &was))
		require.NoError(t, json.Unmarshal([]byte(back[p]), &is))
		assert.Equal(t, was.Services, is.Services, p)
	}
}

func diffFiles(a, b map[string]string) []string {
	var out []string
	for p, x := range a {
		if y, ok := b[p]; !ok || x != y {
			out = append(out, p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			out = append(out, p)
		}
	}
	return out
}

// TestPromoteThenRollback: promote tms02 on the three-node manual-cutover
// lab audits clean afterwards, with only the promoted values changed; the
// run is listed; `rollback last` gives back every file, the inventory
// included, byte for byte.
func TestPromoteThenRollback(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	dir, inv := labCopy(t, "manual-cutover")
	orig := files(t, dir)

	code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", inv)
	require.Equal(t, report.ExitOK, code, stderr)
	assert.Contains(t, stdout, "Preflight: passed.")
	assert.Contains(t, stdout, "Nothing was changed. To carry it out: tmsdrift promote tms02 -i "+inv+" --apply")
	assert.Equal(t, orig, files(t, dir), "a plan changes nothing")
	assert.NoDirExists(t, filepath.Join(dir, ".tmsdrift"), "a plan writes no run folder and takes no lock")

	code, stdout, stderr = tmsdrift(t, "promote", "tms02", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Contains(t, stdout, "Every step is done.")
	assert.Contains(t, stdout, "press Enforce Now (Administrative Tools > Configuration > Network)")
	left, code := nonPass(t, inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Empty(t, left, "the audit after promote is clean")

	after := files(t, dir)
	changed := diffFiles(orig, after)
	assert.ElementsMatch(t, []string{"inventory.yaml", "db.json", "nodes/tms01/facts.json", "nodes/tms02/facts.json"}, changed)
	wantInv := orig["inventory.yaml"]
	for _, r := range [][2]string{
		{"ipv4_local: 10.10.0.11", "ipv4_local: 10.10.0.12"},
		{"master: tms01", "master: tms02"},
		{"role: primary", "role: PRIMARY-TMP"},
		{"    role: standby\n    address: 10.10.0.12", "    role: primary\n    address: 10.10.0.12"},
		{"role: PRIMARY-TMP", "role: standby"},
	} {
		require.Equal(t, 1, strings.Count(wantInv, r[0]), r[0])
		wantInv = strings.Replace(wantInv, r[0], r[1], 1)
	}
	assert.Equal(t, wantInv, after["inventory.yaml"], "only the promoted values changed in the inventory")

	code, stdout, _ = tmsdrift(t, "rollback", "-i", inv)
	require.Equal(t, report.ExitOK, code)
	assert.Regexp(t, `[0-9T]+Z-[0-9a-f]{6}  promote tms02 +\S+  finished`, stdout)

	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, orig, files(t, dir), "every file back byte for byte")
	assert.Contains(t, stdout, "\n  set service W3SVC\n", "a runbook's change repairs no rule: no empty rule list")
	assert.NotContains(t, stdout, "[]")
	code, stdout, _ = tmsdrift(t, "rollback", "-i", inv)
	require.Equal(t, report.ExitOK, code)
	assert.Regexp(t, `promote tms02 +\S+  rolled back by `, stdout)
}

// TestPromoteWithinSiteOffsite: in model offsite, promote makes the
// primary site's standby (lab offsite-three, tms02) its primary: the
// audit afterwards is clean, the off-site standby and its database are
// untouched, and `rollback last` gives back every file byte for byte.
// Then activate-offsite and return-to-primary carry the site's standby
// (now tms01) over and back: it ends a standby again, in a clean audit.
func TestPromoteWithinSiteOffsite(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	dir, inv := labCopy(t, "offsite-three")
	orig := files(t, dir)

	code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Contains(t, stdout, "within the primary site of model offsite: tmsdrift assumption")
	left, code := nonPass(t, inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Empty(t, left, "the audit after promote is clean")
	assert.ElementsMatch(t, []string{"inventory.yaml", "db.json", "nodes/tms01/facts.json", "nodes/tms02/facts.json"}, diffFiles(orig, files(t, dir)),
		"the off-site node and database are left alone")

	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, orig, files(t, dir), "every file back byte for byte")

	code, _, stderr = tmsdrift(t, "promote", "tmsdr01", "-i", inv)
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, "activate-offsite")

	// Over to the off-site site and back: the site's standby comes back
	// a standby.
	p := filepath.Join(dir, "db-dr.json")
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(raw), `"state": "RESTORING"`, `"state": "ONLINE"`, 1)), 0o644))
	code, stdout, stderr = tmsdrift(t, "activate-offsite", "-i", inv, "--apply", "--yes")
	require.Contains(t, stdout, "Every step is done.", stderr)
	assert.Equal(t, report.ExitFail, code, "the off-site database runs alone")
	assert.Equal(t, 2, strings.Count(files(t, dir)["inventory.yaml"], "role: offsite-standby"), "tms01 and tms02 are off the live site")
	code, stdout, stderr = tmsdrift(t, "return-to-primary", "-i", inv, "--database-resynced", "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	left, code = nonPass(t, inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Empty(t, left)
	assert.Equal(t, orig["inventory.yaml"], files(t, dir)["inventory.yaml"], "tms02 a standby again, byte for byte")
}

// TestPromotePreflightFailsChangesNothing: a standby on another version
// is refused with the rule named: exit 1, no file and no run folder
// changed; --force would run it.
func TestPromotePreflightFailsChangesNothing(t *testing.T) {
	dir, inv := labCopy(t, "mixed-versions")
	orig := files(t, dir)
	code, stdout, stderr := tmsdrift(t, "promote", "tms03", "-i", inv, "--apply", "--yes")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stdout, "Preflight: refused")
	assert.Contains(t, stdout, "version.same on tms03: it runs 15.12.0; tms01 runs 15.13.2")
	assert.Contains(t, stderr, "promote refused: the preflight failed (version.same on tms03); nothing was changed")
	assert.Equal(t, orig, files(t, dir))
	assert.Empty(t, runFolders(t, dir))

	code, stdout, _ = tmsdrift(t, "promote", "tms03", "-i", inv, "--force")
	assert.Equal(t, report.ExitOK, code)
	assert.Contains(t, stdout, "Preflight: failed, overridden by --force")
}

// TestPromoteRefusesTheCurrentPrimary: `promote tms01` where tms01 is
// already the primary is a tired administrator's slip, not a cutover: it
// is refused even with --force (the runbook would stop the live primary's
// services, then fail on its inventory step with the deployment down),
// names the role, and changes nothing.
func TestPromoteRefusesTheCurrentPrimary(t *testing.T) {
	dir, inv := labCopy(t, "manual-cutover")
	orig := files(t, dir)
	for _, force := range []bool{false, true} {
		args := []string{"promote", "tms01", "-i", inv, "--apply", "--yes"}
		if force {
			args = append(args, "--force")
		}
		code, stdout, stderr := tmsdrift(t, args...)
		assert.Equal(t, report.ExitFail, code, "%v: %s%s", args, stdout, stderr)
		assert.Contains(t, stdout, "role on tms01: tms01 is primary, not a standby", args)
		assert.Contains(t, stderr, "promote refused: the preflight failed (role on tms01", args)
		assert.Equal(t, orig, files(t, dir), "%v changes nothing", args)
		assert.Empty(t, runFolders(t, dir), args)
	}
}

// TestPromoteRefusesAnImpossibleName: the DNS name that follows the
// primary is built from the new primary's facts; a domain that makes no
// host name is refused, not written into the database (issue 8, item 8).
func TestPromoteRefusesAnImpossibleName(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	dir, inv := labCopy(t, "manual-cutover")
	rewrite(t, inv, func(b []byte) []byte {
		return bytes.Replace(b, []byte("dns_local: tms.acme.local"), []byte("dns_local: tms01.acme.local"), 1)
	})
	rewrite(t, filepath.Join(dir, "nodes", "tms02", "facts.json"), func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"domain": "ACME.LOCAL"`), []byte(`"domain": "ACME LOCAL!"`), 1)
	})
	orig := files(t, dir)
	code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", inv, "--apply", "--yes")
	assert.Equal(t, report.ExitFail, code, stdout+stderr)
	assert.Contains(t, stdout, `addresses.dns_local on tms02: would take tms02's name in place of tms01 (tms01.acme.local): "tms02.acme local!" is not a host name`)
	assert.NotContains(t, stdout, `-> "tms02.acme local!"`)
	assert.Equal(t, orig, files(t, dir))
	assert.Empty(t, runFolders(t, dir))
}

func TestRunbookBadUsage(t *testing.T) {
	dir, inv := labCopy(t, "manual-cutover")
	orig := files(t, dir)
	for _, args := range [][]string{
		{"promote", "tms09", "-i", inv},
		{"promote", "tms02", "-i", inv, "--apply"}, // no terminal, no --yes
		{"activate-offsite", "-i", inv},
		{"upgrade", "plan", "-i", inv, "--apply"},
		{"upgrade", "later", "-i", inv},
		{"upgrade", "plan", "-i", lab("single")},
	} {
		code, _, stderr := tmsdrift(t, args...)
		assert.Equal(t, report.ExitUsage, code, "%v: %s", args, stderr)
	}
	assert.Equal(t, orig, files(t, dir))
	assert.Empty(t, runFolders(t, dir))
}

// Kill test of a runbook: the child stops after its third step, says so
// on fd 3, and is killed with SIGKILL.
const childHaltStepEnv = "TMSDRIFT_TEST_HALT_AFTER_STEP"

// childHaltFileEnv names the file the halted child says so in, in place
// of descriptor 3 (under Windows, which passes none).
const childHaltFileEnv = "TMSDRIFT_TEST_HALT_FILE"

// haltAfterStep stops the process after step n: it signals and waits to
// be killed.
func haltAfterStep(n int, signal *os.File) func(int, string) {
	return func(i int, id string) {
		if i+1 != n {
			return
		}
		if _, err := signal.WriteString("halted " + id + "\n"); err != nil {
			panic(err)
		}
		select {} // until SIGKILL
	}
}

// killedRunbook runs a runbook command in a child process, kills it with
// SIGKILL once step n is journaled, and returns the step's ID.
func killedRunbook(t *testing.T, n int, args ...string) string {
	t.Helper()
	raw, err := json.Marshal(args)
	require.NoError(t, err)
	halted, signal, err := os.Pipe()
	require.NoError(t, err)
	defer halted.Close()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childArgsEnv+"="+string(raw), childHaltStepEnv+"="+strconv.Itoa(n))
	child.ExtraFiles = []*os.File{signal}
	var out strings.Builder
	child.Stdout, child.Stderr = &out, &out
	require.NoError(t, child.Start())
	signal.Close()
	line, err := bufio.NewReader(halted).ReadString('\n')
	if err != nil {
		_ = child.Wait()
		t.Fatalf("the child never halted: %v\n%s", err, out.String())
	}
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	err = child.Wait()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v", err)
	require.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal(), "killed, not ended: %s", out.String())
	return strings.TrimSpace(strings.TrimPrefix(line, "halted "))
}

// TestPromoteKilledAfterThirdStepResumes: a promote killed (SIGKILL) once
// its third step is journaled is carried on by running the same command
// again, to the same end state as a promote that was not interrupted.
func TestPromoteKilledAfterThirdStepResumes(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	wantDir, wantInv := labCopy(t, "manual-cutover")
	code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", wantInv, "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	want := files(t, wantDir)

	dir, inv := labCopy(t, "manual-cutover")
	step := killedRunbook(t, 3, "promote", "tms02", "-i", inv, "--apply", "--yes")
	assert.Equal(t, "database", step)
	ids := runFolders(t, dir)
	require.Len(t, ids, 1)
	runs, err := fixers.Unfinished(filepath.Join(dir, ".tmsdrift", "runs"))
	require.NoError(t, err)
	require.Len(t, runs, 1, "the killed run is open")
	left := files(t, dir)
	assert.NotEqual(t, want["inventory.yaml"], left["inventory.yaml"], "killed before the inventory step")
	assert.Equal(t, want["db.json"], left["db.json"], "the third step was made")

	// A fix meanwhile refuses, and says how to carry the runbook on.
	code, _, stderr = tmsdrift(t, "fix", "-i", inv, "--apply")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stderr, "carry it on: tmsdrift promote tms02 -i "+inv+" --apply")

	code, stdout, stderr = tmsdrift(t, "promote", "tms02", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Contains(t, stdout, "Run "+ids[0]+" (promote, started ")
	assert.Contains(t, stdout, "3 of 5 steps are done. Carrying it on")
	assert.Contains(t, stdout, "done (before the interruption)")
	assert.Equal(t, want, files(t, dir), "the same end state as an uninterrupted promote")
	assert.Equal(t, ids, runFolders(t, dir), "carried on in its own run folder")

	// One run, so one rollback puts everything back.
	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	_, fresh := labCopy(t, "manual-cutover")
	assert.Equal(t, files(t, filepath.Dir(fresh)), files(t, dir))
}

// TestPromoteResumedAfterTheInventoryWasEdited: a promote killed after its
// third step, then the inventory edited by hand before the same command
// is run again. An edit of a value the runbook changes (the address) is
// not overwritten: the inventory step refuses naming the field, the run
// stays open, the file is as the administrator left it. Once that edit is
// undone, the run carries on and keeps the administrator's other edit (a
// comment), to a clean audit.
func TestPromoteResumedAfterTheInventoryWasEdited(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	dir, inv := labCopy(t, "manual-cutover")
	killedRunbook(t, 3, "promote", "tms02", "-i", inv, "--apply", "--yes")
	ids := runFolders(t, dir)
	require.Len(t, ids, 1)
	original := string(must(os.ReadFile(inv)))

	comment := "# tms01 failed at 02:10, promoted tms02 (ticket 4711)\n"
	edited := comment + strings.Replace(original, "ipv4_local: 10.10.0.11", "ipv4_local: 10.10.0.50", 1)
	require.NoError(t, os.WriteFile(inv, []byte(edited), 0o644))
	code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", inv, "--apply", "--yes")
	assert.Equal(t, report.ExitFail, code, stdout+stderr)
	assert.Contains(t, stdout+stderr, `the inventory's addresses.ipv4_local is "10.10.0.50", the plan expected "10.10.0.11"`)
	assert.Equal(t, edited, string(must(os.ReadFile(inv))), "the administrator's edit is not overwritten")
	open, err := fixers.Unfinished(filepath.Join(dir, ".tmsdrift", "runs"))
	require.NoError(t, err)
	require.Len(t, open, 1, "the run stays open")

	edited = comment + original
	require.NoError(t, os.WriteFile(inv, []byte(edited), 0o644))
	code, stdout, stderr = tmsdrift(t, "promote", "tms02", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, ids, runFolders(t, dir), "carried on in its own run folder")
	after := string(must(os.ReadFile(inv)))
	assert.True(t, strings.HasPrefix(after, comment), "the administrator's comment is kept")
	assert.Contains(t, after, "ipv4_local: 10.10.0.12")
	left, code := nonPass(t, inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Empty(t, left)
}

// TestRollbackOfAPromoteAfterALaterFix: after a promote, the address in
// the database drifts and a fix run puts it back. Rolling the promote
// back (by its ID, not last) is refused while the address is neither what
// the promote wrote nor what it found (nothing changed); once the fix has
// put the promote's value back, the promote rolls back to every file of
// the lab byte for byte, and the fix, whose value was replaced since, is
// then refused in its turn.
func TestRollbackOfAPromoteAfterALaterFix(t *testing.T) {
	dir, inv := labCopy(t, "manual-cutover")
	orig := files(t, dir)
	code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	promoteRun := runFolders(t, dir)
	require.Len(t, promoteRun, 1)

	db := filepath.Join(dir, "db.json")
	drift := func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"ipv4_local": "10.10.0.12"`), []byte(`"ipv4_local": "10.10.0.99"`), 1)
	}
	rewrite(t, db, drift)
	drifted := files(t, dir)
	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, promoteRun[0])
	assert.Equal(t, report.ExitFail, code, stdout+stderr)
	assert.Contains(t, stderr, "db.json: changed since the run")
	assert.Equal(t, drifted, files(t, dir), "a refused rollback changes nothing")

	code, stdout, stderr = tmsdrift(t, "fix", "-i", inv, "--apply")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Contains(t, string(must(os.ReadFile(db))), `"ipv4_local": "10.10.0.12"`)
	var fixRun string
	for _, id := range runFolders(t, dir) {
		if id != promoteRun[0] {
			fixRun = id
		}
	}
	require.NotEmpty(t, fixRun)

	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, promoteRun[0])
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, orig, files(t, dir), "the promote rolled back: every file as before it")

	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, fixRun)
	assert.Equal(t, report.ExitFail, code, stdout+stderr)
	assert.Contains(t, stderr, "db.json: changed since the run")
	assert.Equal(t, orig, files(t, dir))
}

// TestActivateOffsiteThenReturnToPrimary on the offsite lab: refused while
// the secondary is restoring; once a DBA brought it online, the off-site
// site takes over; return-to-primary refuses without the confirmation and
// while the primary database is restoring, then brings the deployment
// back, clean, with the primary site's files as they were.
func TestActivateOffsiteThenReturnToPrimary(t *testing.T) {
	dir, inv := labCopy(t, "offsite")
	orig := files(t, dir)
	setDBState := func(file, state string) {
		p := filepath.Join(dir, file)
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		text := string(raw)
		for _, s := range []string{"ONLINE", "RESTORING"} {
			text = strings.Replace(text, `"state": "`+s+`"`, `"state": "`+state+`"`, 1)
		}
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}

	code, stdout, _ := tmsdrift(t, "activate-offsite", "-i", inv, "--apply", "--yes", "--force")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stdout, "the off-site database (db-dr.json) is RESTORING, not ONLINE")
	assert.Contains(t, stdout, "refused even with --force")
	assert.Equal(t, orig, files(t, dir))

	setDBState("db-dr.json", "ONLINE")
	code, stdout, stderr := tmsdrift(t, "activate-offsite", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitFail, code, "the off-site database runs alone: %s", stderr)
	assert.Contains(t, stdout, "Every step is done.")
	assert.Contains(t, stdout, "disable the SQL Server of the site that was live")
	left, _ := nonPass(t, inv)
	assert.ElementsMatch(t, []string{"db.log-shipping-lag fail", "db.backup-recent fail"}, left)
	active := files(t, dir)
	assert.Contains(t, active["inventory.yaml"], "  snapshot: db-dr.json\n")
	assert.Contains(t, active["inventory.yaml"], "    role: primary\n    address: 10.10.0.31")
	assert.Contains(t, active["db-dr.json"], `"ipv4_local": "10.10.0.31"`)
	assert.Equal(t, orig["db.json"], active["db.json"], "the primary database is not written")

	// activate-offsite again (a tired administrator's second try) would
	// "activate" the primary site's node, now an offsite-standby: back to
	// the primary database without its re-synchronization. Refused, even
	// with --force, pointing at return-to-primary; nothing changed.
	code, stdout, stderr = tmsdrift(t, "activate-offsite", "-i", inv, "--apply", "--yes", "--force")
	assert.Equal(t, report.ExitUsage, code, stdout+stderr)
	assert.Contains(t, stderr, "the deployment already runs on its off-site site")
	assert.Contains(t, stderr, "return-to-primary -i "+inv+" --database-resynced")
	assert.Equal(t, active, files(t, dir), "a second activation changes nothing")

	// Back: not before the confirmation, not while restoring.
	code, stdout, _ = tmsdrift(t, "return-to-primary", "-i", inv, "--apply", "--yes", "--force")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stdout, "database-resynced: the primary database must be re-synchronized")
	setDBState("db.json", "RESTORING")
	code, stdout, _ = tmsdrift(t, "return-to-primary", "-i", inv, "--database-resynced", "--apply", "--yes")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stdout, "the primary database (db.json) is RESTORING, not ONLINE")
	setDBState("db.json", "ONLINE")
	code, stdout, stderr = tmsdrift(t, "return-to-primary", "-i", inv, "--database-resynced", "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	left, code = nonPass(t, inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Empty(t, left)
	back := files(t, dir)
	assert.ElementsMatch(t, []string{"db-dr.json"}, diffFiles(orig, back),
		"everything as it was but the off-site database, which ran the deployment meanwhile")

	// Back on the primary site, the next site failure can be met again.
	code, stdout, stderr = tmsdrift(t, "activate-offsite", "-i", inv)
	assert.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Contains(t, stdout, "Preflight: passed.")
}

// TestUpgradePrepareFinish on the post-upgrade lab: prepare stops the
// primary and records the versions; the installers run (here: the facts
// say 15.14.0, and tms02's installer started its services); finish
// refuses while a node lags, then restores the machineKey and the
// address, stops the standby, starts the primary: a clean audit.
func TestUpgradePrepareFinish(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	code, stdout, _ := tmsdrift(t, "upgrade", "plan", "-i", inv)
	require.Equal(t, report.ExitOK, code)
	assert.Contains(t, stdout, "Run the TMS installer on tms01: it upgrades the tmsng database.")
	assert.Empty(t, runFolders(t, dir))

	code, stdout, stderr := tmsdrift(t, "upgrade", "prepare", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitFail, code, "the primary is stopped now: %s", stderr)
	assert.Contains(t, stdout, "Every step is done.")
	facts01 := files(t, dir)["nodes/tms01/facts.json"]
	assert.NotContains(t, facts01, `"state": "Running"`)

	install := func(node string, wake bool) {
		p := filepath.Join(dir, "nodes", node, "facts.json")
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		text := strings.Replace(string(raw), `"version": "15.13.2"`, `"version": "15.14.0"`, 1)
		if wake {
			text = strings.ReplaceAll(text, `"start_type": "Manual",
      "state": "Stopped"`, `"start_type": "Automatic",
      "state": "Running"`)
		}
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	install("tms01", false)
	install("tms02", true)
	code, stdout, _ = tmsdrift(t, "upgrade", "finish", "-i", inv, "--apply", "--yes", "--force")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stdout, "tms03 (15.13.2)")

	install("tms03", false)
	code, stdout, stderr = tmsdrift(t, "upgrade", "finish", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	left, code := nonPass(t, inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Empty(t, left)
	pre := must(os.ReadFile(filepath.Join(dir, "pre-upgrade/web.config")))
	wc := must(os.ReadFile(filepath.Join(dir, "nodes/tms02/fs/C/Program Files/TANDBERG/TMS/wwwTMS/web.config")))
	assert.Equal(t, string(pre), string(wc), "tms02's web.config has its key line back, byte for byte")

	// finish again (was it done?): every step finds its work done.
	done := files(t, dir)
	code, stdout, stderr = tmsdrift(t, "upgrade", "finish", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, done, files(t, dir), "a second finish changes nothing")
	assert.NotContains(t, stdout, "fixed")
}

// TestUpgradePreparedTwice: an administrator runs upgrade prepare, the
// installer on tms01, then prepare again (unsure the first one took) and
// the other installers. finish judges "new" against the versions before
// the upgrade began (the first prepare since the last finish), not the
// second prepare's half-upgraded ones: it ends clean, where it refused
// tms01 as "still 15.14.0, as before the upgrade" even with --force.
func TestUpgradePreparedTwice(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	install := func(node string) {
		rewrite(t, filepath.Join(dir, "nodes", node, "facts.json"), func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"version": "15.13.2"`), []byte(`"version": "15.14.0"`), 1)
		})
	}
	code, stdout, stderr := tmsdrift(t, "upgrade", "prepare", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitFail, code, "the primary is stopped now: %s", stdout+stderr)
	install("tms01")
	code, stdout, stderr = tmsdrift(t, "upgrade", "prepare", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitFail, code, stdout+stderr)
	install("tms02")
	install("tms03")
	code, stdout, stderr = tmsdrift(t, "upgrade", "finish", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.NotContains(t, stdout, "as before the upgrade")
	left, code := nonPass(t, inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Empty(t, left)

	// The next upgrade starts afresh: its prepare records 15.14.0, and a
	// finish with a node left on it names that node.
	code, stdout, stderr = tmsdrift(t, "upgrade", "prepare", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitFail, code, stdout+stderr)
	for _, node := range []string{"tms01", "tms02"} {
		rewrite(t, filepath.Join(dir, "nodes", node, "facts.json"), func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"version": "15.14.0"`), []byte(`"version": "15.15.1"`), 1)
		})
	}
	code, stdout, _ = tmsdrift(t, "upgrade", "finish", "-i", inv, "--apply", "--yes", "--force")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stdout, "not yet: tms03 (15.14.0)")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestPromoteThroughLiveTransports promotes tms02 of a copy of the
// manual-cutover lab whose nodes are served by the WinRM and SSH test
// servers (services set through set-service), audits clean through the
// same transports, and rolls the run back: the inventory and every node's
// snapshot as they were, byte for byte.
func TestPromoteThroughLiveTransports(t *testing.T) {
	setCredentials(t)
	for _, kind := range []string{"winrm", "ssh"} {
		t.Run(kind, func(t *testing.T) {
			dir, labInv := labCopy(t, "manual-cutover")
			ll := serveLab(t, labInv, kind)
			orig := files(t, dir)
			origInv := string(must(os.ReadFile(ll.Inventory)))

			code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", ll.Inventory, "--apply", "--yes")
			require.Equal(t, report.ExitOK, code, stdout+stderr)
			assert.NotContains(t, stdout+stderr, livePassword)
			rep, code, printed := auditJSON(t, ll.Inventory)
			assert.Equalf(t, report.ExitOK, code, "the live audit afterwards passes: %s", printed)
			assert.Zero(t, rep.Summary.Fail)
			assert.ElementsMatch(t, []string{"db.json", "nodes/tms01/facts.json", "nodes/tms02/facts.json"}, diffFiles(orig, files(t, dir)))

			code, stdout, stderr = tmsdrift(t, "rollback", "-i", ll.Inventory, "last")
			require.Equal(t, report.ExitOK, code, stdout+stderr)
			assert.Equal(t, origInv, string(must(os.ReadFile(ll.Inventory))), "the inventory byte for byte")
			assertLiveFilesBack(t, orig, files(t, dir))
			checkNoLeftovers(t, ll)
			assertNoSecretInTree(t, filepath.Dir(ll.Inventory))
		})
	}
}

// TestPromoteOnTheLiveDatabase promotes tms02 with the database read and
// written live (the TDS test server playing the lab's SQL Server): the
// address is written through the settings statement, the audit afterwards
// passes live, and the rollback writes the old address back.
func TestPromoteOnTheLiveDatabase(t *testing.T) {
	dbNoLeaks(t)
	s := dbServeLab(t, fixtures.Lab{DBYAML: filepath.Join(fixtures.LabsDir(), "manual-cutover", "db.yaml")}, tdsserver.Faults{})
	dir, _ := labCopy(t, "manual-cutover")
	inv := filepath.Join(dir, "inventory.live.yaml")
	ipv4 := func() string {
		for _, st := range s.Settings("tmsng") {
			if st.Name == sqlserver.DefaultNameIPv4Local && st.Value != nil {
				return *st.Value
			}
		}
		return ""
	}
	require.Equal(t, "10.10.0.11", ipv4())

	code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	for _, secret := range dbSecrets() {
		assert.NotContains(t, stdout+stderr, secret)
	}
	assert.Equal(t, "10.10.0.12", ipv4())
	left, code := nonPass(t, inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Empty(t, left)

	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, "10.10.0.11", ipv4())
}

// TestActivateOffsiteRollback: the addresses went to the database the
// switched inventory names live, where the rollback (reading the
// inventory as the run left it) finds them: every file comes back.
func TestActivateOffsiteRollback(t *testing.T) {
	dir, inv := labCopy(t, "offsite")
	p := filepath.Join(dir, "db-dr.json")
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(must(os.ReadFile(p))), `"RESTORING"`, `"ONLINE"`, 1)), 0o644))
	orig := files(t, dir)
	code, stdout, stderr := tmsdrift(t, "activate-offsite", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitFail, code, stdout+stderr)
	require.Contains(t, stdout, "Every step is done.")
	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, orig, files(t, dir))
}

// editFacts changes a node's facts.json (as decoded JSON): the tests play
// the installer or the DBA with it.
func editFacts(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(must(os.ReadFile(path)), &doc))
	edit(doc)
	raw, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o644))
}

// TestRunbooksThroughLiveTransports runs activate-offsite and
// return-to-primary on the offsite lab, and upgrade prepare and finish on
// the post-upgrade lab, with every node served by the WinRM and SSH test
// servers: the same end states as through the snapshot folders.
func TestRunbooksThroughLiveTransports(t *testing.T) {
	setCredentials(t)
	for _, kind := range []string{"winrm", "ssh"} {
		t.Run(kind+"/offsite", func(t *testing.T) {
			dir, labInv := labCopy(t, "offsite")
			p := filepath.Join(dir, "db-dr.json")
			require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(must(os.ReadFile(p))), `"RESTORING"`, `"ONLINE"`, 1)), 0o644))
			ll := serveLab(t, labInv, kind, func(inv *inventory.Inventory) {
				inv.Database.OffsiteSnapshot = inv.Resolve(inv.Database.OffsiteSnapshot)
			})
			code, stdout, stderr := tmsdrift(t, "activate-offsite", "-i", ll.Inventory, "--apply", "--yes")
			require.Equal(t, report.ExitFail, code, stdout+stderr)
			require.Contains(t, stdout, "Every step is done.")
			assert.NotContains(t, stdout+stderr, livePassword)
			left, _ := nonPass(t, ll.Inventory)
			assert.ElementsMatch(t, []string{"db.log-shipping-lag fail", "db.backup-recent fail"}, left)
			code, stdout, stderr = tmsdrift(t, "return-to-primary", "-i", ll.Inventory, "--database-resynced", "--apply", "--yes")
			require.Equal(t, report.ExitOK, code, stdout+stderr)
			left, code = nonPass(t, ll.Inventory)
			assert.Equal(t, report.ExitOK, code)
			assert.Empty(t, left)
			checkNoLeftovers(t, ll)
		})
		t.Run(kind+"/upgrade", func(t *testing.T) {
			dir, labInv := labCopy(t, "post-upgrade")
			ll := serveLab(t, labInv, kind)
			code, stdout, stderr := tmsdrift(t, "upgrade", "prepare", "-i", ll.Inventory, "--apply", "--yes")
			require.Equal(t, report.ExitFail, code, "the primary is stopped now: %s", stdout+stderr)
			require.Contains(t, stdout, "Every step is done.")
			for _, node := range []string{"tms01", "tms02", "tms03"} {
				editFacts(t, filepath.Join(dir, "nodes", node, "facts.json"), func(doc map[string]any) {
					doc["tms"].(map[string]any)["version"] = "15.14.0"
					if node != "tms02" {
						return
					}
					for _, s := range doc["services"].([]any) {
						svc := s.(map[string]any)
						if strings.HasPrefix(strings.ToUpper(svc["name"].(string)), "TMS") || strings.EqualFold(svc["name"].(string), "W3SVC") {
							svc["start_type"], svc["state"] = "Automatic", "Running"
						}
					}
				})
			}
			code, stdout, stderr = tmsdrift(t, "upgrade", "finish", "-i", ll.Inventory, "--apply", "--yes")
			require.Equal(t, report.ExitOK, code, stdout+stderr)
			left, code := nonPass(t, ll.Inventory)
			assert.Equal(t, report.ExitOK, code)
			assert.Empty(t, left)
			checkNoLeftovers(t, ll)
		})
	}
}
