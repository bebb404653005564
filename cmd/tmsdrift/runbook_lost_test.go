package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// TestPromoteNodeLostMidwayResumes: through the WinRM and SSH test
// servers, the node to promote is lost once the old primary is stopped
// (from then on its transport cannot be opened, as an unreachable
// server's cannot): the start step fails, the run stays open (exit 1),
// nothing else is touched. Once the node is back, running the same
// command again carries the run on, in its own run folder, to a clean
// audit; one rollback puts everything back, the inventory byte for byte.
func TestPromoteNodeLostMidwayResumes(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	setCredentials(t)
	for _, kind := range []string{"winrm", "ssh"} {
		t.Run(kind, func(t *testing.T) {
			dir, labInv := labCopy(t, "manual-cutover")
			ll := serveLab(t, labInv, kind)
			orig := files(t, dir)
			origInv := string(must(os.ReadFile(ll.Inventory)))
			runs := filepath.Dir(ll.Inventory)

			var lost atomic.Bool
			open := openNode
			t.Cleanup(func() { openNode, afterRunbookStep = open, nil })
			openNode = func(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Source, error) {
				if lost.Load() && strings.EqualFold(n.Name, "tms02") {
					return nil, fmt.Errorf("dial tcp %s:%d: connection refused", n.Transport.Host, n.Transport.Port)
				}
				return open(ctx, inv, n)
			}
			afterRunbookStep = func(_ int, id string) {
				if id == "stop:tms01" {
					lost.Store(true)
				}
			}

			code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", ll.Inventory, "--apply", "--yes")
			require.Equal(t, report.ExitFail, code, stdout+stderr)
			assert.NotContains(t, stdout, "Every step is done.")
			assert.Contains(t, stdout+stderr, "connection refused", "step 2 failed for the lost node")
			ids := runFolders(t, runs)
			require.Len(t, ids, 1)
			open1, err := fixers.Unfinished(filepath.Join(runs, ".tmsdrift", "runs"))
			require.NoError(t, err)
			require.Len(t, open1, 1, "the run stays open")
			assert.Equal(t, origInv, string(must(os.ReadFile(ll.Inventory))), "the inventory step was not reached")
			assert.Equal(t, orig["db.json"], files(t, dir)["db.json"], "the database step was not reached")
			assert.Equal(t, orig["nodes/tms02/facts.json"], files(t, dir)["nodes/tms02/facts.json"], "tms02 was not touched")

			// The node is back: the same command carries the run on.
			lost.Store(false)
			afterRunbookStep = nil
			code, stdout, stderr = tmsdrift(t, "promote", "tms02", "-i", ll.Inventory, "--apply", "--yes")
			require.Equal(t, report.ExitOK, code, stdout+stderr)
			assert.Contains(t, stdout, "Run "+ids[0]+" (promote, started ")
			assert.Contains(t, stdout, "1 of 5 steps are done. Carrying it on")
			assert.Contains(t, stdout, "Every step is done.")
			assert.Equal(t, ids, runFolders(t, runs), "carried on in its own run folder")
			left, code := nonPass(t, ll.Inventory)
			assert.Equal(t, report.ExitOK, code)
			assert.Empty(t, left, "the audit afterwards is clean")

			code, stdout, stderr = tmsdrift(t, "rollback", "-i", ll.Inventory, "last")
			require.Equal(t, report.ExitOK, code, stdout+stderr)
			assert.Equal(t, origInv, string(must(os.ReadFile(ll.Inventory))), "the inventory byte for byte")
			assertLiveFilesBack(t, orig, files(t, dir))
			checkNoLeftovers(t, ll)
		})
	}
}

// TestPromoteWithTheOldPrimaryUnreachable: the reason one promotes. Through
// the WinRM test server, tms01 (the primary) cannot be reached at all: the
// preflight does not refuse for it (a warning says what could not be
// checked), its step is left to the administrator as a manual one, and
// the rest is done — tms02 started, the address written, the inventory
// rewritten. tms01's own files are not touched.
func TestPromoteWithTheOldPrimaryUnreachable(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	setCredentials(t)
	dir, labInv := labCopy(t, "manual-cutover")
	ll := serveLab(t, labInv, "winrm")
	orig := files(t, dir)
	unreachable(t, "tms01", "connection refused")

	code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", ll.Inventory, "--apply", "--yes")
	assert.Equal(t, report.ExitErrored, code, "the audit afterwards cannot read tms01: %s", stdout+stderr)
	assert.Contains(t, stdout, "Preflight: passed.")
	assert.Contains(t, stdout, "the old primary tms01 cannot be reached")
	assert.Contains(t, stdout, "Every step is done.")
	assert.Regexp(t, `1\. BY HAND +stop the old primary's TMS services and IIS`, stdout)
	after := files(t, dir)
	assert.Equal(t, orig["nodes/tms01/facts.json"], after["nodes/tms01/facts.json"], "tms01 not touched")
	assert.NotEqual(t, orig["nodes/tms02/facts.json"], after["nodes/tms02/facts.json"], "tms02 started")
	assert.Contains(t, after["db.json"], `"ipv4_local": "10.10.0.12"`)
	inv := string(must(os.ReadFile(ll.Inventory)))
	assert.Contains(t, inv, "ipv4_local: 10.10.0.12")
}

// TestActivateOffsiteWithThePrimarySiteDown: the guide's "Primary Site
// Failure" as it happens — tms01 cannot be reached at all (through the
// SSH test server). activate-offsite is not refused for it: disabling
// tms01 is left BY HAND, the off-site node is started, the inventory
// switched, the address written to the off-site database; tms01's files
// are not touched, the primary database is not written.
func TestActivateOffsiteWithThePrimarySiteDown(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	setCredentials(t)
	dir, labInv := labCopy(t, "offsite")
	p := filepath.Join(dir, "db-dr.json")
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(must(os.ReadFile(p))), `"RESTORING"`, `"ONLINE"`, 1)), 0o644))
	ll := serveLab(t, labInv, "ssh", func(inv *inventory.Inventory) {
		inv.Database.OffsiteSnapshot = inv.Resolve(inv.Database.OffsiteSnapshot)
	})
	orig := files(t, dir)
	unreachable(t, "tms01", "no route to host")

	code, stdout, stderr := tmsdrift(t, "activate-offsite", "-i", ll.Inventory, "--apply", "--yes")
	assert.Equal(t, report.ExitFail, code, "the off-site database runs alone (log shipping, backup): %s", stdout+stderr)
	assert.Contains(t, stdout, "Preflight: passed.")
	assert.Contains(t, stdout, "tms01 cannot be reached")
	assert.Regexp(t, `1\. BY HAND +stop tms01's TMS services and IIS`, stdout)
	assert.Contains(t, stdout, "Every step is done.")
	after := files(t, dir)
	assert.Equal(t, orig["nodes/tms01/facts.json"], after["nodes/tms01/facts.json"], "tms01 not touched")
	assert.NotEqual(t, orig["nodes/tmsdr01/facts.json"], after["nodes/tmsdr01/facts.json"], "tmsdr01 started")
	assert.Equal(t, orig["db.json"], after["db.json"], "the primary database is not written")
	assert.Contains(t, after["db-dr.json"], `"ipv4_local": "10.10.0.31"`)
	inv := string(must(os.ReadFile(ll.Inventory)))
	assert.Contains(t, inv, "role: offsite-standby")
	assert.Contains(t, inv, "ipv4_local: 10.10.0.31")
}

// unreachable makes node's transport refuse to open for the rest of the
// test, as a server that is down does (the test servers keep running).
func unreachable(t *testing.T, node, why string) {
	t.Helper()
	open := openNode
	t.Cleanup(func() { openNode = open })
	openNode = func(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Source, error) {
		if strings.EqualFold(n.Name, node) {
			return nil, fmt.Errorf("dial tcp %s:%d: %s", n.Transport.Host, n.Transport.Port, why)
		}
		return open(ctx, inv, n)
	}
}
