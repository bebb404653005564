package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/report"
)

// canonicalFacts rewrites every node's facts.json of a lab copy the way
// the node test servers write it when they set a service (fakenode:
// decoded, indented, keys sorted). A live node's services are state, not
// a file; once the snapshot starts in the servers' own encoding, a
// service set and set back leaves the same bytes, so the end states
// below are compared byte for byte, facts.json included.
func canonicalFacts(t *testing.T, dir string) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "nodes", "*", "facts.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(must(os.ReadFile(p)), &doc), p)
		out, err := json.MarshalIndent(doc, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, append(out, '\n'), 0o644))
	}
}

// liveEndState is every file of a served lab: the lab folder the test
// servers answer from (database snapshot, each node's facts.json with its
// services, its files), and the live inventory, with what differs from
// one serving to the next (temporary folders, ports) replaced by names so
// that two servings of the same lab compare equal.
func liveEndState(t *testing.T, lab string, ll *liveLab) map[string]string {
	t.Helper()
	out := files(t, lab)
	inv := string(must(os.ReadFile(ll.Inventory)))
	inv = strings.ReplaceAll(inv, filepath.Dir(ll.Inventory), "<live>")
	inv = strings.ReplaceAll(inv, lab, "<lab>")
	for name, srv := range ll.WSMan {
		inv = replaceOnce(t, inv, "port: "+strconv.Itoa(srv.Port)+"\n", "port: <"+name+">\n")
	}
	for name, srv := range ll.SSH {
		inv = replaceOnce(t, inv, "port: "+strconv.Itoa(srv.Port)+"\n", "port: <"+name+">\n")
	}
	out["live inventory"] = inv
	return out
}

// replaceOnce replaces old, which must occur exactly once, with repl.
func replaceOnce(t *testing.T, s, old, repl string) string {
	t.Helper()
	require.Equal(t, 1, strings.Count(s, old), "%q in:\n%s", old, s)
	return strings.Replace(s, old, repl, 1)
}

// TestPromoteKilledThroughLiveTransportsResumes: issue 12's "a promote
// killed after its third step resumes to the same end state as an
// uninterrupted one", through the WinRM and the SSH test servers. The
// servers run in this test; promote runs in a child process (this test
// binary as tmsdrift, see killedRunbook) that reaches them over TCP, is
// stopped once its third step (the database) is journaled and killed with
// SIGKILL. Running the same command again carries the run on through the
// same servers to exactly the end state of an uninterrupted promote of
// another serving of the same lab: every file, the live inventory and the
// services as the test servers' node snapshots record them. One `rollback
// last` then gives back every file byte for byte.
func TestPromoteKilledThroughLiveTransportsResumes(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	setCredentials(t)
	serve := func(t *testing.T, kind string) (string, *liveLab) {
		dir, labInv := labCopy(t, "manual-cutover")
		canonicalFacts(t, dir)
		ll := serveLab(t, labInv, kind)
		t.Cleanup(func() { checkNoLeftovers(t, ll) })
		return dir, ll
	}
	for _, kind := range []string{"winrm", "ssh"} {
		t.Run(kind, func(t *testing.T) {
			wantDir, wantLL := serve(t, kind)
			wantOrig := liveEndState(t, wantDir, wantLL)
			code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", wantLL.Inventory, "--apply", "--yes")
			require.Equal(t, report.ExitOK, code, stdout+stderr)
			want := liveEndState(t, wantDir, wantLL)
			require.ElementsMatch(t, []string{"live inventory", "db.json", "nodes/tms01/facts.json", "nodes/tms02/facts.json"}, diffFiles(wantOrig, want),
				"the uninterrupted promote changed the services of both nodes, the database and the inventory")

			dir, ll := serve(t, kind)
			orig := liveEndState(t, dir, ll)
			require.Equal(t, wantOrig, orig, "two servings of the same lab compare equal")
			runs := filepath.Dir(ll.Inventory)

			step := killedRunbook(t, 3, "promote", "tms02", "-i", ll.Inventory, "--apply", "--yes")
			assert.Equal(t, "database", step)
			ids := runFolders(t, runs)
			require.Len(t, ids, 1)
			open, err := fixers.Unfinished(filepath.Join(runs, ".tmsdrift", "runs"))
			require.NoError(t, err)
			require.Len(t, open, 1, "the killed run is open")
			left := liveEndState(t, dir, ll)
			assert.Equal(t, orig["live inventory"], left["live inventory"], "killed before the inventory step")
			for _, p := range []string{"db.json", "nodes/tms01/facts.json", "nodes/tms02/facts.json"} {
				assert.Equal(t, want[p], left[p], "%s: the first three steps were made through %s", p, kind)
			}

			code, stdout, stderr = tmsdrift(t, "promote", "tms02", "-i", ll.Inventory, "--apply", "--yes")
			assert.Equal(t, report.ExitOK, code, stdout+stderr) // and compare the end states either way
			assert.Contains(t, stdout, "Run "+ids[0]+" (promote, started ")
			assert.Contains(t, stdout, "3 of 5 steps are done. Carrying it on")
			assert.Contains(t, stdout, "done (before the interruption)")
			assert.Contains(t, stdout, "Every step is done.")
			assert.NotContains(t, stdout+stderr, livePassword)
			assert.Equal(t, want, liveEndState(t, dir, ll), "the same end state as an uninterrupted promote through "+kind)
			assert.Equal(t, ids, runFolders(t, runs), "carried on in its own run folder")
			nonPassing, code := nonPass(t, ll.Inventory)
			assert.Equal(t, report.ExitOK, code)
			assert.Empty(t, nonPassing, "the live audit afterwards is clean")

			code, stdout, stderr = tmsdrift(t, "rollback", "-i", ll.Inventory, "last")
			require.Equal(t, report.ExitOK, code, stdout+stderr)
			assert.Equal(t, orig, liveEndState(t, dir, ll), "every file back byte for byte, the services included")
			assertNoSecretInTree(t, runs)
		})
	}
}
