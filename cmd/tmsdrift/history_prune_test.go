package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/history"
)

// TestHistoryPruneTouchesOnlyItsRuns: schedule.keep prunes the runs
// tmsdrift wrote and nothing else in the history folder. Before, `serve
// --once` with keep: 1 deleted a person's folder that happened to be
// named like a run id (with the files in it), a run whose run.json was
// damaged, and a run folder holding a file someone added; and it
// counted them among the runs to keep. A link named like a run is left,
// and what it points to untouched.
func TestHistoryPruneTouchesOnlyItsRuns(t *testing.T) {
	dir, inv := labCopy(t, "single")
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, append(raw, "schedule:\n  keep: 1\n"...), 0o644))
	hist := filepath.Join(dir, ".tmsdrift", "history")
	once := func() string {
		t.Helper()
		code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv)
		require.Equal(t, 0, code, stderr)
		last, err := history.Open(hist).Latest()
		require.NoError(t, err)
		return last.ID
	}
	first := once()

	// A person's folder named like a run.
	foreign := filepath.Join(hist, "20100101T000000Z")
	require.NoError(t, os.Mkdir(foreign, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("precious"), 0o600))
	// A run folder with a run.json damaged by hand.
	damaged := filepath.Join(hist, "20100102T000000Z")
	require.NoError(t, os.CopyFS(damaged, os.DirFS(filepath.Join(hist, first))))
	require.NoError(t, os.WriteFile(filepath.Join(damaged, history.RunFile), []byte(`{"schema": "tmsdrift/history/v1", "id": `), 0o600))
	// A folder outside, linked into the history under a run's name.
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "keep-me.txt"), []byte("outside"), 0o600))
	require.NoError(t, os.Symlink(outside, filepath.Join(hist, "20100103T000000Z")))

	second := once()
	// A run of tmsdrift's to which someone added a file.
	require.NoError(t, os.WriteFile(filepath.Join(hist, second, "annotations.txt"), []byte("mine"), 0o600))
	third := once()
	fourth := once()

	assert.DirExists(t, foreign)
	assert.FileExists(t, filepath.Join(foreign, "notes.txt"), "a folder tmsdrift did not write is never pruned")
	assert.FileExists(t, filepath.Join(damaged, history.RunFile), "a run whose run.json cannot be read is left for a person to look at")
	assert.FileExists(t, filepath.Join(outside, "keep-me.txt"))
	_, err = os.Lstat(filepath.Join(hist, "20100103T000000Z"))
	assert.NoError(t, err, "the link is left")
	assert.FileExists(t, filepath.Join(hist, second, "annotations.txt"), "a run folder holding a file tmsdrift did not write is left")
	assert.NoDirExists(t, filepath.Join(hist, first), "the runs tmsdrift wrote are pruned")
	assert.NoDirExists(t, filepath.Join(hist, third))
	assert.DirExists(t, filepath.Join(hist, fourth), "keep: 1 keeps the newest run")
}

// TestHistoryRefusesARunEditedIntoAPass: a run.json whose verdict and
// exit code say pass while its counts say 3 failing (edited by hand) is
// reported as unreadable by `history` (exit 3, naming the run), not
// listed as a pass; the same record in the index is not believed either.
func TestHistoryRefusesARunEditedIntoAPass(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv)
	require.Equal(t, 1, code, stderr)
	hist := filepath.Join(dir, ".tmsdrift", "history")
	last, err := history.Open(hist).Latest()
	require.NoError(t, err)
	for _, f := range []string{filepath.Join(hist, last.ID, history.RunFile), filepath.Join(hist, history.IndexFile)} {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		edited := strings.NewReplacer(`"exit_code": 1`, `"exit_code": 0`, `"exit_code":1`, `"exit_code":0`,
			`"verdict": "fail"`, `"verdict": "pass"`, `"verdict":"fail"`, `"verdict":"pass"`).Replace(string(raw))
		require.NotEqual(t, string(raw), edited, f)
		require.NoError(t, os.WriteFile(f, []byte(edited), 0o600))
	}
	code, stdout, stderr := tmsdrift(t, "history", "-i", inv)
	assert.Equal(t, 3, code, stdout)
	assert.NotContains(t, stdout, "pass ", "not listed as a pass")
	assert.Contains(t, stderr, "run "+last.ID+": run.json contradicts itself (edited by hand?): exit code 0 with 3 fail and 0 error")
}
