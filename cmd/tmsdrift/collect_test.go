package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

func runCmd(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, nil, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestShowScript prints the scripts for review, the collector with its
// SHA-256.
func TestShowScript(t *testing.T) {
	code, out, _ := runCmd("collect", "--show-script")
	require.Equal(t, report.ExitOK, code)
	assert.True(t, strings.HasPrefix(out, "# SHA-256 of this script: "+psscript.CollectorSHA256()+"\n"))
	assert.Contains(t, out, psscript.Collector())
	code, out, _ = runCmd("collect", "--show-script=set-service.ps1")
	require.Equal(t, report.ExitOK, code)
	assert.Equal(t, psscript.Scripts()["set-service.ps1"], out)
	// The name after a space, as a shell user writes it.
	code, out, _ = runCmd("collect", "--show-script", "discover.ps1")
	require.Equal(t, report.ExitOK, code)
	assert.Equal(t, psscript.Scripts()["discover.ps1"], out)
	code, _, errOut := runCmd("collect", "--show-script", "evil.ps1")
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, errOut, `no script "evil.ps1"`)
	code, _, errOut = runCmd("collect", "-o", t.TempDir(), "stray")
	assert.Equal(t, report.ExitUsage, code, "an argument without --show-script is still refused")
	assert.Contains(t, errOut, "stray")
	code, _, errOut = runCmd("collect", "--show-script=evil.ps1")
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, errOut, "collector.ps1, discover.ps1, read-file.ps1")
}

func TestCollectUsage(t *testing.T) {
	code, _, errOut := runCmd("collect", "-i", "x.yaml")
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, errOut, "-o DIR is required")
	code, _, errOut = runCmd("collect", "-o", t.TempDir())
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, errOut, "-i INVENTORY is required")
	if runtime.GOOS != "windows" {
		code, _, errOut = runCmd("collect", "--local", "-o", filepath.Join(t.TempDir(), "me"))
		assert.Equal(t, report.ExitUsage, code)
		assert.Contains(t, errOut, "transport local reads a Windows TMS server")
	}
}

// TestCollectReplacesOnlyASnapshot: collect writes a fresh snapshot over a
// previous one, atomically, and refuses a folder holding something else.
func TestCollectReplacesOnlyASnapshot(t *testing.T) {
	setCredentials(t)
	ll := serveLab(t, labNamed(t, "single").Inventory, "ssh")
	parent := t.TempDir()
	dir := filepath.Join(parent, "snap")
	for range 2 {
		code, out, errOut := runCmd("collect", "-i", ll.Inventory, "-o", dir)
		require.Equalf(t, report.ExitOK, code, "%s%s", out, errOut)
		assert.Contains(t, out, "recorded 1 node and the database")
	}
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary folder left beside the snapshot")
	assert.FileExists(t, filepath.Join(dir, "nodes", "tms01", "facts.json"))
	assert.FileExists(t, filepath.Join(dir, "db.json"))

	other := t.TempDir()
	keep := filepath.Join(other, "important.txt")
	require.NoError(t, os.WriteFile(keep, []byte("keep me"), 0o644))
	code, _, errOut := runCmd("collect", "-i", ll.Inventory, "-o", other)
	assert.NotEqual(t, report.ExitOK, code)
	assert.Contains(t, errOut, "holds no previous snapshot")
	assert.FileExists(t, keep)
}

// TestProgressLine: on a terminal the line counts nodes done and failed;
// elsewhere nothing is printed.
func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, on: true, total: 3, started: time.Now()}
	p.tick(false)
	p.tick(true)
	p.finish()
	assert.Contains(t, b.String(), "\rcollecting: 1/3 nodes done")
	assert.Contains(t, b.String(), "\rcollecting: 2/3 nodes done, 1 unreachable")
	assert.True(t, strings.HasSuffix(b.String(), "\n"))

	b.Reset()
	quiet := newProgress(&b, 3) // a buffer is no terminal
	quiet.tick(false)
	quiet.finish()
	assert.Empty(t, b.String())
}

// Issue 8: collect said "recorded 2 nodes and the database" when it had
// read nothing. The summary names what was recorded completely, in part,
// and not at all, and the database's fate.
func TestCollectSaysWhatWasNotRecorded(t *testing.T) {
	setCredentials(t)
	ll := serveLab(t, labNamed(t, "manual-cutover").Inventory, "ssh", func(inv *inventory.Inventory) {
		inv.Nodes[2].Transport.Port = closedPort(t)
		inv.Database.Snapshot = "no-such-db.json"
	})
	dir := filepath.Join(t.TempDir(), "snap")
	code, out, errOut := runCmd("collect", "-i", ll.Inventory, "-o", dir)
	assert.Equal(t, report.ExitErrored, code, errOut)
	assert.NotContains(t, out, "recorded 3 nodes")
	assert.Contains(t, out, "not everything")
	assert.Contains(t, out, "complete:     tms01, tms02")
	assert.Contains(t, out, "not recorded: tms03")
	assert.Contains(t, out, "database:     not recorded")
	assert.Contains(t, errOut, "could not read tms03: facts.json: collector: connect")
}

// closedPort is a local TCP port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}
