package history

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/report"
)

var t0 = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

// record commits one run started at start with exit code code.
func record(t *testing.T, s *Store, start time.Time, code int) string {
	t.Helper()
	p, err := s.Begin(start)
	require.NoError(t, err)
	require.NoError(t, p.WriteFile(ReportJSON, []byte("{}\n")))
	sum := &report.Summary{Pass: 3} // counts that give the exit code, as the service writes them
	switch code {
	case report.ExitFail:
		sum.Fail = 1
	case report.ExitErrored:
		sum.Error = 1
	}
	require.NoError(t, p.Commit(&Run{Deployment: "lab", Trigger: Scheduled, StartedAt: start, FinishedAt: start.Add(time.Second),
		ExitCode: code, Summary: sum}))
	return p.ID()
}

func TestRunFolderIsCompleteOrAbsent(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "history"))
	p, err := s.Begin(t0)
	require.NoError(t, err)
	assert.Equal(t, "20261125T020000Z", p.ID())
	require.NoError(t, p.WriteFile(ReportJSON, []byte("{}")))
	ids, err := s.IDs()
	require.NoError(t, err)
	assert.Empty(t, ids, "a run being written is not listed")
	assert.Error(t, p.WriteFile("../escape", nil), "only file names")
	assert.Error(t, p.WriteFile(RunFile, nil), "run.json is written by Commit")

	require.NoError(t, p.Commit(&Run{Deployment: "lab", Trigger: Once, StartedAt: t0.In(time.FixedZone("X", 3600)), FinishedAt: t0.Add(2 * time.Second), ExitCode: 1}))
	r, err := s.Get(p.ID())
	require.NoError(t, err)
	assert.Equal(t, RunSchema, r.Schema)
	assert.Equal(t, "fail", r.Verdict)
	assert.Equal(t, []string{ReportJSON}, r.Files)
	assert.Equal(t, 2*time.Second, r.Duration())
	assert.Equal(t, time.UTC, r.StartedAt.Location())
	entries, err := os.ReadDir(s.Dir())
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{p.ID(), IndexFile}, names, "no temporary folder left")

	q, err := s.Begin(t0.Add(time.Hour))
	require.NoError(t, err)
	require.NoError(t, q.Abort())
	ids, err = s.IDs()
	require.NoError(t, err)
	assert.Equal(t, []string{"20261125T020000Z"}, ids)
}

func TestSameSecondGetsACounterAndOrder(t *testing.T) {
	s := Open(t.TempDir())
	a := record(t, s, t0, 0)
	b := record(t, s, t0.Add(500*time.Millisecond), 1)
	// A clock set back an hour: the run still comes after the others
	// (before, it got 20261125T010000Z, sorted first, and was the run
	// schedule.keep pruned first, while "latest" stayed the old one).
	c := record(t, s, t0.Add(-time.Hour), 0)
	d := record(t, s, t0.Add(900*time.Millisecond), 3)
	assert.Equal(t, "20261125T020000Z-2", b)
	assert.Equal(t, "20261125T020000Z-3", c)
	assert.Equal(t, "20261125T020000Z-4", d)
	ids, err := s.IDs()
	require.NoError(t, err)
	assert.Equal(t, []string{a, b, c, d}, ids)
	runs, err := s.List(0)
	require.NoError(t, err)
	require.Len(t, runs, 4)
	assert.Equal(t, []string{d, c, b, a}, []string{runs[0].ID, runs[1].ID, runs[2].ID, runs[3].ID}, "newest first")
	assert.True(t, runs[1].StartedAt.Equal(t0.Add(-time.Hour)), "run.json keeps the true start")

	// Pruned runs free no id: a run in the same second as the newest
	// gets the next counter, not the id of a pruned run (which sorted
	// before the newest and was pruned at once).
	_, _, err = s.Prune(1)
	require.NoError(t, err)
	e := record(t, s, t0.Add(950*time.Millisecond), 0)
	assert.Equal(t, "20261125T020000Z-5", e)
	latest, err := s.Latest()
	require.NoError(t, err)
	assert.Equal(t, e, latest.ID)
	runs, err = s.List(0)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, d, runs[1].ID)
	_, err = s.Get(d)
	require.NoError(t, err)
	// A folder someone named like a run in the future is no run: the
	// next id is the clock's, not a counter after it.
	require.NoError(t, os.Mkdir(filepath.Join(s.Dir(), "29991231T000000Z"), 0o700))
	f := record(t, s, t0.Add(time.Hour), 0)
	assert.Equal(t, "20261125T030000Z", f)
	require.NoError(t, os.RemoveAll(filepath.Join(s.Dir(), "29991231T000000Z")))
	require.NoError(t, os.RemoveAll(filepath.Join(s.Dir(), f)))
	require.NoError(t, os.RemoveAll(filepath.Join(s.Dir(), e)))
	require.NoError(t, s.Reindex())
	runs, err = s.List(0)
	require.NoError(t, err)
	runs, err = s.List(2)
	require.NoError(t, err)
	assert.Len(t, runs, 1)
	latest, err = s.Latest()
	require.NoError(t, err)
	assert.Equal(t, d, latest.ID)
	assert.Equal(t, "error", latest.Verdict)
}

func TestPathRefusesWhatIsNotARunFile(t *testing.T) {
	s := Open(t.TempDir())
	for _, bad := range [][2]string{
		{"..", ReportJSON}, {"../../etc", "passwd"}, {"20261125T020000Z/..", ReportJSON}, {"20261125T020000Z", "../run.json"},
		{"20261125T020000Z", "secrets.txt"}, {"", ReportJSON}, {"20261125T020000Z-99999", ReportJSON}, {`20261125T020000Z\..`, ReportHTML},
	} {
		_, err := s.Path(bad[0], bad[1])
		assert.Error(t, err, "%q %q", bad[0], bad[1])
	}
	p, err := s.Path("20261125T020000Z", ReportHTML)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(s.Dir(), "20261125T020000Z", ReportHTML), p)
	_, err = s.Get("../x")
	assert.Error(t, err)
}

func TestPruneKeepsTheNewest(t *testing.T) {
	s := Open(t.TempDir())
	var ids []string
	for i := range 5 {
		ids = append(ids, record(t, s, t0.Add(time.Duration(i)*time.Hour), 0))
	}
	removed, _, err := s.Prune(3)
	require.NoError(t, err)
	assert.Equal(t, ids[:2], removed)
	left, err := s.IDs()
	require.NoError(t, err)
	assert.Equal(t, ids[2:], left)
	removed, _, err = s.Prune(0)
	require.NoError(t, err)
	assert.Empty(t, removed, "keep 0 prunes nothing")
}

func TestCleanRemovesDebrisOnly(t *testing.T) {
	s := Open(t.TempDir())
	id := record(t, s, t0, 0)
	p, err := s.Begin(t0.Add(time.Hour)) // a run killed half-way
	require.NoError(t, err)
	require.NoError(t, p.WriteFile(ReportJSON, []byte("{")))
	stray := filepath.Join(s.Dir(), atomicfile.TempName("notes.txt"))
	require.NoError(t, os.WriteFile(stray, nil, 0o600))
	mine := filepath.Join(s.Dir(), "README.txt")
	require.NoError(t, os.WriteFile(mine, nil, 0o600))

	removed, err := s.Clean()
	require.NoError(t, err)
	assert.Len(t, removed, 2)
	assert.NoDirExists(t, filepath.Join(s.Dir(), filepath.Base(p.tmp)))
	assert.FileExists(t, mine, "a file a person put there stays")
	ids, err := s.IDs()
	require.NoError(t, err)
	assert.Equal(t, []string{id}, ids)
}

func TestGetRefusesAForeignRecord(t *testing.T) {
	s := Open(t.TempDir())
	id := record(t, s, t0, 0)
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir(), id, RunFile), []byte(`{"schema": "tmsdrift/history/v1", "id": "20200101T000000Z"}`), 0o600))
	_, err := s.Get(id)
	assert.ErrorContains(t, err, "is not this run's record")
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir(), id, RunFile), []byte("{\n\"exit_code\": \"one\"}"), 0o600))
	_, err = s.Get(id)
	assert.ErrorContains(t, err, "line 2")
	runs, err := s.List(0)
	assert.Error(t, err, "List says which record it could not read")
	assert.Empty(t, runs)
}

// TestIndexFollowsTheFolders: the index is a cache of the run folders: a
// run committed without it (a crash between the rename and the index
// write) is still listed, a pruned run is not, and a damaged index is
// ignored.
func TestIndexFollowsTheFolders(t *testing.T) {
	s := Open(t.TempDir())
	a := record(t, s, t0, 0)
	b := record(t, s, t0.Add(time.Hour), 1)
	saved, err := os.ReadFile(filepath.Join(s.Dir(), IndexFile))
	require.NoError(t, err)
	c := record(t, s, t0.Add(2*time.Hour), 0)
	// Put the index back as it was before c: c is read from its run.json.
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir(), IndexFile), saved, 0o600))
	runs, err := s.List(0)
	require.NoError(t, err)
	assert.Equal(t, []string{c, b, a}, idsOf(runs))

	_, _, err = s.Prune(2)
	require.NoError(t, err)
	runs, err = s.List(0)
	require.NoError(t, err)
	assert.Equal(t, []string{c, b}, idsOf(runs))
	ix := s.readIndex()
	assert.Len(t, ix, 2, "prune rewrote the index, and it has c now")

	require.NoError(t, os.WriteFile(filepath.Join(s.Dir(), IndexFile), []byte("{garbage"), 0o600))
	runs, err = s.List(0)
	require.NoError(t, err)
	assert.Equal(t, []string{c, b}, idsOf(runs))
}

func idsOf(runs []*Run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}

// FuzzParseRun: a run.json damaged on disk is an error, never a panic.
func FuzzParseRun(f *testing.F) {
	dir := f.TempDir()
	s := Open(dir)
	p, err := s.Begin(t0)
	require.NoError(f, err)
	require.NoError(f, p.Commit(&Run{Deployment: "lab", StartedAt: t0, FinishedAt: t0, ExitCode: 1,
		Summary: &report.Summary{Fail: 1}, Changes: &Changes{Since: "20261124T020000Z", Summary: "+1 failing"},
		Versions: map[string]string{"tms01": "15.13.2"}, Upgrade: &Upgrade{Nodes: []string{"tms01: 15.12.0 → 15.13.2"}},
		Notifications: []Notification{{Channel: "webhook", OK: false, Error: "timeout"}}}))
	raw, err := os.ReadFile(filepath.Join(dir, p.ID(), RunFile))
	require.NoError(f, err)
	f.Add(raw)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseRun(data, "20261125T020000Z")
		if err == nil {
			assert.Equal(t, "20261125T020000Z", r.ID)
		}
	})
}

// TestIndexFailureStillRecords: the index is a cache. When it cannot be
// written, Commit and Prune have done their work all the same and say so
// with ErrIndexStale; the runs list from their folders.
func TestIndexFailureStillRecords(t *testing.T) {
	s := Open(t.TempDir())
	a := record(t, s, t0, 0)
	ix := filepath.Join(s.Dir(), IndexFile)
	require.NoError(t, os.Remove(ix))
	require.NoError(t, os.Mkdir(ix, 0o700)) // index.json cannot be written

	p, err := s.Begin(t0.Add(time.Hour))
	require.NoError(t, err)
	err = p.Commit(&Run{Deployment: "lab", Trigger: Scheduled, StartedAt: t0.Add(time.Hour), FinishedAt: t0.Add(time.Hour + time.Second)})
	require.ErrorIs(t, err, ErrIndexStale)
	r, err := s.Get(p.ID())
	require.NoError(t, err, "the run is recorded")
	assert.Equal(t, "pass", r.Verdict)

	removed, _, err := s.Prune(1)
	require.ErrorIs(t, err, ErrIndexStale)
	assert.Equal(t, []string{a}, removed, "the old run is gone all the same")
	runs, err := s.List(0)
	require.NoError(t, err)
	assert.Equal(t, []string{p.ID()}, idsOf(runs))
}
