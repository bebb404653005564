package fixers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJournalRoundTripAndLayout(t *testing.T) {
	runs := filepath.Join(t.TempDir(), "runs")
	j, err := NewJournal(runs, RunManifest{Command: "fix", Deployment: "acme", Inventory: "inventory.yaml",
		StartedAt: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	defer j.Close()
	assert.Regexp(t, `^20261125T020000Z-[0-9a-f]{6}$`, j.ID())
	assert.Equal(t, filepath.Join(runs, j.ID()), j.Dir())

	rel, st, err := j.backup("tms02", `C:\Program Files\TANDBERG\TMS\wwwTMS\web.config`, strings.NewReader("<configuration/>"))
	require.NoError(t, err)
	assert.Equal(t, "backup/tms02/C/Program Files/TANDBERG/TMS/wwwTMS/web.config", rel)
	assert.Equal(t, stateOf([]byte("<configuration/>")), st)
	yes := true
	j.add(Record{Node: "tms02", Kind: KindFile, Object: `C:\Program Files\TANDBERG\TMS\wwwTMS\web.config`, Action: Replace,
		Rules: []string{"machinekey.present"}, Status: Applied, Before: stateOfFile(st, rel), After: State{Exists: &yes, Size: 1, SHA256: strings.Repeat("a", 64)}})
	j.add(Record{Node: "tms02", Kind: KindService, Object: "W3SVC", Action: Set, Status: Applied,
		Before: State{StartType: "Automatic", State: "Running"}, After: State{StartType: "Manual", State: "Stopped"}})
	j.add(Record{Kind: KindDatabase, Object: "db.json", Action: Set, Status: Applied,
		Before: State{Settings: map[string]string{"ipv4_local": "10.10.0.12"}}, After: State{Settings: map[string]string{"ipv4_local": "10.10.0.11"}}})
	require.NoError(t, j.finish(time.Now()))

	for _, p := range []string{j.Dir(), filepath.Join(j.Dir(), "manifest.json"), filepath.Join(j.Dir(), filepath.FromSlash(rel))} {
		st, err := os.Stat(p)
		require.NoError(t, err)
		want := os.FileMode(0o600)
		if st.IsDir() {
			want = 0o700
		}
		assert.Equalf(t, want, st.Mode().Perm(), "%s: backups hold machineKeys", p)
	}

	back, err := OpenJournal(runs, j.ID())
	require.NoError(t, err)
	defer back.Close()
	assert.Equal(t, j.Manifest().Changes, back.Manifest().Changes)
	r, err := back.openBackup(rel)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	_, err = back.openBackup("../../etc/passwd")
	assert.Error(t, err)

	ignore, err := os.ReadFile(filepath.Join(runs, ".gitignore"))
	require.NoError(t, err)
	assert.Contains(t, string(ignore), "\n*\n", "run folders are kept out of Git")

	listed, err := ListRuns(runs)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	assert.Equal(t, j.ID(), listed[0].ID)
}

func TestBackupPath(t *testing.T) {
	for in, want := range map[string]string{
		`C:\Program Files\TMS\web.config`: "backup/n/C/Program Files/TMS/web.config",
		`d:/tms//a\.\b.txt`:               "backup/n/D/tms/a/b.txt",
		`C:\a\b?c*.txt`:                   "backup/n/C/a/b_c_.txt",
	} {
		got, err := backupPath("n", in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		assert.True(t, validBackupPath(got))
	}
	for _, bad := range []string{`C:\a\..\..\x`, `\\server\share\x`, `relative\x`, `C:\`} {
		_, err := backupPath("n", bad)
		assert.Error(t, err, bad)
	}
	got, err := backupPath("../evil", `C:\x`)
	require.NoError(t, err)
	assert.Equal(t, "backup/.._evil/C/x", got, "a node name cannot leave the run folder")
}

// validManifest is a manifest ParseRunManifest accepts.
func validManifest() string {
	return `{
  "schema": "tmsdrift/run/v1",
  "id": "20261125T020000Z-3fa2c8",
  "command": "fix",
  "deployment": "acme",
  "inventory": "inventory.yaml",
  "started_at": "2026-11-25T02:00:00Z",
  "changes": [
    {"node": "tms02", "kind": "file", "object": "C:\\TMS\\web.config", "action": "replace", "status": "applied",
     "before": {"exists": true, "size": 3, "sha256": "` + strings.Repeat("a", 64) + `", "backup": "backup/tms02/C/TMS/web.config"},
     "after": {"exists": true, "size": 4, "sha256": "` + strings.Repeat("b", 64) + `"}},
    {"node": "tms02", "kind": "service", "object": "W3SVC", "action": "set", "status": "restored",
     "before": {"start_type": "Automatic", "state": "Running"}, "after": {"start_type": "Manual", "state": "Stopped"}},
    {"node": "", "kind": "database", "object": "db.json", "action": "set", "status": "applied",
     "before": {"settings": {"ipv4_local": "10.10.0.12"}}, "after": {"settings": {"ipv4_local": "10.10.0.11"}}}
  ]
}`
}

func TestParseRunManifest(t *testing.T) {
	m, err := ParseRunManifest([]byte(validManifest()))
	require.NoError(t, err)
	assert.Len(t, m.Changes, 3)

	for name, edit := range map[string][2]string{
		"wrong schema":           {`tmsdrift/run/v1`, `tmsdrift/run/v9`},
		"bad id":                 {`"id": "20261125T020000Z-3fa2c8"`, `"id": "../x"`},
		"unknown key":            {`"command": "fix",`, `"command": "fix", "extra": 1,`},
		"backup outside the run": {`backup/tms02/C/TMS/web.config`, `../../../etc/shadow`},
		"absolute backup":        {`backup/tms02/C/TMS/web.config`, `/etc/shadow`},
		"backup with dot-dot":    {`backup/tms02/C/TMS/web.config`, `backup/../../x`},
		"bad hash":               {strings.Repeat("a", 64), "xyz"},
		"unknown kind":           {`"kind": "service"`, `"kind": "registry"`},
		"unknown status":         {`"status": "restored"`, `"status": "maybe"`},
		"unknown service state":  {`"state": "Stopped"`, `"state": "Asleep"`},
		"unknown setting":        {`{"ipv4_local": "10.10.0.11"}`, `{"password": "x"}`},
		"file without exists":    {`"before": {"exists": true, "size": 3,`, `"before": {"size": 3,`},
		"trailing data":          {"\n}", "\n} {}"},
	} {
		t.Run(name, func(t *testing.T) {
			raw := strings.Replace(validManifest(), edit[0], edit[1], 1)
			require.NotEqual(t, validManifest(), raw, "the edit applies")
			_, err := ParseRunManifest([]byte(raw))
			assert.Error(t, err)
		})
	}
}

// FuzzParseRunManifest: rollback reads manifests back from disk, where
// anything can happen to them. The parser never panics, and what it
// accepts only points inside the run folder and survives a round trip.
func FuzzParseRunManifest(f *testing.F) {
	f.Add([]byte(validManifest()))
	f.Add([]byte(`{"schema":"tmsdrift/run/v1","id":"20261125T020000Z-3fa2c8","changes":[]}`))
	f.Add([]byte(`{"schema":"tmsdrift/run/v1","id":"20261125T020000Z-3fa2c8","changes":[{"kind":"file","node":"a","object":"b","action":"create","status":"pending","before":{"exists":false},"after":{"exists":true,"sha256":"` + strings.Repeat("0", 64) + `"}}]}`))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseRunManifest(raw)
		if err != nil {
			return
		}
		for _, r := range m.Changes {
			for _, b := range []string{r.Before.Backup, r.After.Backup} {
				if b != "" {
					assert.True(t, validBackupPath(b), "backup %q accepted", b)
					assert.False(t, filepath.IsAbs(b))
					assert.NotContains(t, strings.Split(b, "/"), "..")
				}
			}
		}
		again, err := json.Marshal(m)
		require.NoError(t, err)
		m2, err := ParseRunManifest(again)
		require.NoError(t, err, "what was accepted is written back acceptably")
		assert.Equal(t, len(m.Changes), len(m2.Changes))
	})
}

// Two runs in one second (IDs have whole seconds) are listed by their
// start time, so that rollback last picks the newer.
func TestListRunsNewestFirstWithinOneSecond(t *testing.T) {
	runs := t.TempDir()
	base := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 8 {
		j, err := NewJournal(runs, RunManifest{Command: "fix", StartedAt: base.Add(time.Duration(i) * time.Millisecond)})
		require.NoError(t, err)
		ids = append(ids, j.ID())
		require.NoError(t, j.Close())
	}
	listed, err := ListRuns(runs)
	require.NoError(t, err)
	require.Len(t, listed, 8)
	for i, m := range listed {
		assert.Equal(t, ids[7-i], m.ID)
	}
	last, err := ResolveRun(runs, "last")
	require.NoError(t, err)
	assert.Equal(t, ids[7], last)
}

// A run that never finished stays open until it is rolled back or carried
// on; a run folder killed before its manifest was written changed nothing
// and is passed over.
func TestUnfinishedRuns(t *testing.T) {
	runs := t.TempDir()
	done, err := NewJournal(runs, RunManifest{Command: "fix"})
	require.NoError(t, err)
	require.NoError(t, done.finish(time.Now()))
	killed, err := NewJournal(runs, RunManifest{Command: "fix"})
	require.NoError(t, err)
	yes := true
	file := State{Exists: &yes, Size: 1, SHA256: strings.Repeat("a", 64)}
	killed.add(Record{Node: "tms02", Kind: KindFile, Object: `C:\TMS\wwwTMS\Data\Logo\a.png`, Action: Replace, Rules: []string{"data.synced"}, Status: Applied, Before: file, After: file})
	killed.add(Record{Node: "tms02", Kind: KindFile, Object: `C:\TMS\wwwTMS\web.config`, Action: Replace, Rules: []string{"machinekey.present"}, Status: Pending, Before: file, After: file})
	killed.add(Record{Node: "tms03", Kind: KindService, Object: "W3SVC", Action: Set, Status: NotAttempted,
		Before: State{StartType: "Automatic", State: "Running"}, After: State{StartType: "Manual", State: "Stopped"}})
	require.NoError(t, killed.save())
	require.NoError(t, os.Mkdir(filepath.Join(runs, "20261125T020000Z-000000"), 0o700), "a run killed before its manifest")

	open, err := Unfinished(runs)
	require.NoError(t, err)
	require.Len(t, open, 1)
	assert.Equal(t, killed.ID(), open[0].ID)
	assert.Equal(t, `1 change made; under way when it stopped (made or not): tms02 C:\TMS\wwwTMS\web.config (a temporary file .web.config.tmsdrift-<hex>.tmp may be left beside it: delete it by hand)`,
		open[0].Progress())

	resume, err := NewJournal(runs, RunManifest{Command: "fix", Resumes: []string{killed.ID()}})
	require.NoError(t, err)
	require.NoError(t, MarkResumed(runs, []string{killed.ID()}, resume.ID()))
	open, err = Unfinished(runs)
	require.NoError(t, err)
	require.Len(t, open, 1, "the resume itself is running")
	assert.Equal(t, resume.ID(), open[0].ID)
	require.NoError(t, resume.finish(time.Now()))
	open, err = Unfinished(runs)
	require.NoError(t, err)
	assert.Empty(t, open)

	back, err := OpenJournal(runs, killed.ID())
	require.NoError(t, err)
	defer back.Close()
	assert.Equal(t, resume.ID(), back.Manifest().ResumedBy, "written to its manifest")
	require.NoError(t, killed.Close())
	require.NoError(t, done.Close())
	require.NoError(t, resume.Close())
}
