// Package history keeps the runs of `tmsdrift serve`: one folder per run,
// named by the run's UTC start time (the run's id everywhere: in the
// folder name, run.json, the logs, the URLs), holding the reports and a
// small run.json that says what the run was and found. Listing reads only
// the run.json files, never the reports, so a history of 10,000 runs
// lists in moments.
//
// A run folder is complete or absent: it is written under a temporary
// name that atomicfile.IsTemp recognises and renamed into place at the
// end, so a run killed half-way leaves only debris that Clean removes.
package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/internal/jsondoc"
	"github.com/tmsdrift/tmsdrift/report"
)

// RunSchema identifies run.json.
const RunSchema = "tmsdrift/history/v1"

// RunFile is the name of the run record in a run folder.
const RunFile = "run.json"

// The reports a run folder may hold, by file name.
const (
	ReportJSON     = "report.json"
	ReportHTML     = "report.html"
	ReportMarkdown = "report.md"
)

// idLayout is the UTC start time as a run id: sortable as text, and a
// valid folder name on Windows (no colons).
const idLayout = "20060102T150405Z"

// idPattern is what a run id looks like: the start time, and a counter
// when two runs started within the same second.
var idPattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z(-[0-9]{1,4})?$`)

// NewID is the id of a run started at t.
func NewID(t time.Time) string { return t.UTC().Format(idLayout) }

// ValidID reports whether id is a run id. Every id that comes from
// outside (a URL, the command line) is checked with it before it is
// joined to a path, so it cannot name anything outside the history.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Trigger says why a run happened.
type Trigger string

// Triggers.
const (
	Scheduled Trigger = "schedule" // the scheduler's tick
	Once      Trigger = "once"     // serve --once
)

// Run is run.json: what one run was and what it found.
type Run struct {
	Schema     string    `json:"schema"`
	ID         string    `json:"id"`
	Deployment string    `json:"deployment"`
	Trigger    Trigger   `json:"trigger"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// ExitCode is what `tmsdrift audit` would have exited with (contract
	// §6): 2 for an inventory that had become invalid, 3 for a run that
	// could not finish (a timeout, a panic).
	ExitCode int `json:"exit_code"`
	// Verdict is the exit code in a word: pass, fail, invalid, error.
	Verdict string `json:"verdict"`
	// Summary counts the results; nil when there was no audit.
	Summary *report.Summary `json:"summary,omitempty"`
	// Changes is what changed since the previous run with a report.
	Changes *Changes `json:"changes,omitempty"`
	// Versions is the TMS version each node reported ("" when unknown),
	// which the upgrade watch compares with the next run's.
	Versions map[string]string `json:"versions,omitempty"`
	// Upgrade is set when the run detected a TMS upgrade.
	Upgrade *Upgrade `json:"upgrade,omitempty"`
	// Notifications are the results of the notifications the run sent.
	Notifications []Notification `json:"notifications,omitempty"`
	// Problems are the inventory's problems (file:line:col: field:
	// message) when it had become invalid.
	Problems []string `json:"problems,omitempty"`
	// Error says why the run could not finish (timeout, panic, cancel).
	Error string `json:"error,omitempty"`
	// Files are the reports in the folder.
	Files []string `json:"files"`
}

// Duration is how long the run took.
func (r *Run) Duration() time.Duration { return r.FinishedAt.Sub(r.StartedAt) }

// Changes sums up what changed since the previous run.
type Changes struct {
	// Since is the start of the run compared with, as a run id ("" on
	// the first run).
	Since string `json:"since,omitempty"`
	// Summary is the one-line form, e.g. "+2 failing, -1 resolved".
	Summary        string `json:"summary"`
	NewFailures    int    `json:"new_failures"`
	Resolved       int    `json:"resolved"`
	Waived         int    `json:"waived,omitempty"`
	StillFailing   int    `json:"still_failing"`
	NewErrors      int    `json:"new_errors"`
	ClearedErrors  int    `json:"cleared_errors"`
	VerdictChanged bool   `json:"verdict_changed"`
}

// Upgrade is what the upgrade watch saw and did.
type Upgrade struct {
	// Nodes lists "node: old → new" for every node whose TMS version
	// differs from the previous run's.
	Nodes []string `json:"nodes"`
	// AutoFix is true when the inventory let the service restore.
	AutoFix bool `json:"auto_fix"`
	// FixRun is the id of the fix run folder (.tmsdrift/runs) when the
	// service restored something.
	FixRun string `json:"fix_run,omitempty"`
	// Restored lists what was put back ("machinekey.present tms02: pass").
	Restored []string `json:"restored,omitempty"`
	// Command is what to run by hand when the service did not restore.
	Command string `json:"command,omitempty"`
	// Error says why an automatic restore failed.
	Error string `json:"error,omitempty"`
}

// Notification is the outcome of one notification channel.
type Notification struct {
	Channel string `json:"channel"`
	// Target says where, without secrets (notify.Result.Target).
	Target   string `json:"target,omitempty"`
	OK       bool   `json:"ok"`
	Attempts int    `json:"attempts,omitempty"`
	Error    string `json:"error,omitempty"`
	// Retry is true when this notification repeats one that failed in an
	// earlier run.
	Retry bool `json:"retry,omitempty"`
}

// Verdict is the word for an exit code.
func Verdict(exitCode int) string {
	switch exitCode {
	case report.ExitOK:
		return "pass"
	case report.ExitFail:
		return "fail"
	case report.ExitUsage:
		return "invalid"
	}
	return "error"
}

// Store is a history folder.
type Store struct{ dir string }

// Open returns the store at dir; the folder is created by the first run.
func Open(dir string) *Store { return &Store{dir: dir} }

// Dir is the history folder.
func (s *Store) Dir() string { return s.dir }

// Pending is a run folder being written; nothing of it is visible under
// the run's id until Commit.
type Pending struct {
	s   *Store
	id  string
	tmp string
}

// Begin starts the folder of a run that started at started; its id is
// NewID(started), with a counter when that id is taken.
func (s *Store) Begin(started time.Time) (*Pending, error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	// The id must sort after every run's: the history's order is the
	// order of the runs (the newest is "latest", the oldest are pruned).
	// A run in the same second as the newest gets the next counter, not
	// a slot freed by pruning; a run whose clock reads earlier than the
	// newest run's (a clock set back) gets the newest's second with the
	// next counter, and run.json keeps its true start. The newest run is
	// the newest whose run.json reads: a folder someone named like a run
	// far in the future does not drag every id after it.
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	base, n := NewID(started), 1
	for i := len(ids) - 1; i >= 0; i-- {
		if _, err := s.Get(ids[i]); err != nil {
			continue
		}
		if newest := ids[i]; compareIDs(base, newest) <= 0 {
			base, n = splitID(newest)
			n++
		}
		break
	}
	for ; ; n++ {
		if n > 9999 {
			return nil, fmt.Errorf("history: too many runs started at %s", base)
		}
		id := base
		if n > 1 {
			id += "-" + strconv.Itoa(n)
		}
		if _, err := os.Lstat(filepath.Join(s.dir, id)); errors.Is(err, fs.ErrNotExist) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
	}
	id := base
	if n > 1 {
		id += "-" + strconv.Itoa(n)
	}
	tmp := filepath.Join(s.dir, atomicfile.TempName(id))
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return &Pending{s: s, id: id, tmp: tmp}, nil
}

// ID is the run's id.
func (p *Pending) ID() string { return p.id }

// WriteFile writes one file of the run folder.
func (p *Pending) WriteFile(name string, data []byte) error {
	if name != filepath.Base(name) || name == RunFile {
		return fmt.Errorf("history: %q is not a report file name", name)
	}
	return atomicfile.WriteFile(filepath.Join(p.tmp, name), data, 0o600)
}

// ErrIndexStale marks an error of Commit or Prune that came after the
// runs themselves were written or removed: only the index (a cache) could
// not be updated. The run is recorded all the same, and listings read the
// run.json of every run the index lacks, so the caller warns and goes on.
var ErrIndexStale = errors.New("index not updated (listings read the run folders instead)")

// Commit writes run.json and puts the folder in place under the run's id.
// Once the folder is in place the run is recorded: an error after that
// wraps ErrIndexStale.
func (p *Pending) Commit(run *Run) error {
	run.Schema, run.ID = RunSchema, p.id
	run.StartedAt, run.FinishedAt = run.StartedAt.UTC(), run.FinishedAt.UTC()
	if run.Verdict == "" {
		run.Verdict = Verdict(run.ExitCode)
	}
	entries, err := os.ReadDir(p.tmp)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	run.Files = []string{}
	for _, e := range entries {
		if e.Type().IsRegular() && !atomicfile.IsTemp(e.Name()) {
			run.Files = append(run.Files, e.Name())
		}
	}
	data, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return fmt.Errorf("history: run.json: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(p.tmp, RunFile), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if err := os.Rename(p.tmp, filepath.Join(p.s.dir, p.id)); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	syncDir(p.s.dir)
	if err := p.s.reindex(run); err != nil {
		return fmt.Errorf("%w: %w", ErrIndexStale, err)
	}
	return nil
}

// Abort removes the unfinished folder.
func (p *Pending) Abort() error {
	if err := os.RemoveAll(p.tmp); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// syncDir makes a rename in dir durable where the system allows it (not on
// Windows, where a folder cannot be opened for sync; NTFS journals it).
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync() // best effort: the rename itself has happened
		_ = f.Close()
	}
}

// IDs lists the ids of the complete runs, oldest first. It reads only the
// folder itself.
func (s *Store) IDs() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && ValidID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	slices.SortFunc(ids, compareIDs)
	return ids, nil
}

// compareIDs orders ids by start time, then counter.
func compareIDs(a, b string) int {
	ta, na := splitID(a)
	tb, nb := splitID(b)
	if c := strings.Compare(ta, tb); c != 0 {
		return c
	}
	return na - nb
}

func splitID(id string) (string, int) {
	t, n, ok := strings.Cut(id, "-")
	if !ok {
		return t, 1
	}
	v, _ := strconv.Atoi(n)
	return t, v
}

// List reads the run.json of every complete run, newest first; limit > 0
// keeps only the newest limit runs. A run.json that cannot be read is
// reported with the runs that could.
func (s *Store) List(limit int) ([]*Run, error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	slices.Reverse(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return s.read(ids)
}

// read returns the records of ids: from the index where it has them,
// from each run.json otherwise (a run the index missed, or no index).
func (s *Store) read(ids []string) ([]*Run, error) {
	var indexed map[string]*Run
	if len(ids) > 16 { // a few run.json files read faster than the whole index
		indexed = s.readIndex()
	}
	got := make([]*Run, len(ids))
	errs := make([]error, len(ids))
	var missing []int
	for i, id := range ids {
		// The index is a cache: a row is believed only while its folder
		// holds a run.json of its own (one stat per row, no report read),
		// so a forged or stale entry for a folder without one is read as
		// the folder is, and reported unreadable.
		if r, ok := indexed[id]; ok && s.hasRunFile(id) {
			got[i] = r
		} else {
			missing = append(missing, i)
		}
	}
	// Read by a few workers: the time is in opening many small files.
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(len(missing), 2*runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				got[i], errs[i] = s.Get(ids[i])
			}
		})
	}
	for _, i := range missing {
		next <- i
	}
	close(next)
	wg.Wait()
	runs := make([]*Run, 0, len(ids))
	for _, r := range got {
		if r != nil {
			runs = append(runs, r)
		}
	}
	return runs, errors.Join(errs...)
}

// hasRunFile says whether the run folder id holds a run.json that is a
// regular file, the folder not being a link.
func (s *Store) hasRunFile(id string) bool {
	dir := filepath.Join(s.Dir(), id)
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		return false
	}
	fi, err := os.Lstat(filepath.Join(dir, "run.json"))
	return err == nil && fi.Mode().IsRegular()
}

// Latest is the newest complete run, or nil when there is none.
func (s *Store) Latest() (*Run, error) {
	runs, err := s.List(1)
	if len(runs) == 0 {
		return nil, err
	}
	return runs[0], nil
}

// Get reads the run.json of run id.
func (s *Store) Get(id string) (*Run, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("%q is not a run id (like 20261125T020000Z)", id)
	}
	data, err := os.ReadFile(filepath.Join(s.dir, id, RunFile))
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	return parseRun(data, id)
}

// parseRun decodes the run.json of run id. The plain decoder reads the
// file (a listing reads thousands); jsondoc only words the error when it
// is damaged.
func parseRun(data []byte, id string) (*Run, error) {
	var r Run
	if err := json.Unmarshal(data, &r); err != nil {
		// Not plain UTF-8 JSON: a file saved on Windows (a byte order mark,
		// UTF-16) reads through jsondoc, which also words a real error.
		r = Run{}
		if derr := jsondoc.Decode(data, &r); derr != nil {
			return nil, fmt.Errorf("run %s: %s: %w", id, RunFile, derr)
		}
	}
	if r.Schema != RunSchema || r.ID != id {
		return nil, fmt.Errorf("run %s: %s is not this run's record", id, RunFile)
	}
	if why := r.inconsistent(); why != "" {
		return nil, fmt.Errorf("run %s: %s contradicts itself (edited by hand?): %s", id, RunFile, why)
	}
	return &r, nil
}

// inconsistent says how a record contradicts itself, "" when it does
// not: the verdict is its exit code's word, and the exit code is what
// the counts give (a failure: 1; else an error: 3; else 0), as the
// service writes them. A run.json edited into a pass is not listed as
// one.
func (r *Run) inconsistent() string {
	if r.Verdict != Verdict(r.ExitCode) {
		return fmt.Sprintf("verdict %q with exit code %d", r.Verdict, r.ExitCode)
	}
	if s := r.Summary; s != nil {
		want := report.ExitOK
		switch {
		case s.Fail > 0:
			want = report.ExitFail
		case s.Error > 0:
			want = report.ExitErrored
		}
		if r.ExitCode != want {
			return fmt.Sprintf("exit code %d with %d fail and %d error", r.ExitCode, s.Fail, s.Error)
		}
	}
	return ""
}

// Path is the path of file name in run id's folder, or an error when id
// is not a run id or name not a report the folder may hold: what comes
// from a URL never reaches outside the history.
func (s *Store) Path(id, name string) (string, error) {
	if !ValidID(id) {
		return "", fmt.Errorf("%q is not a run id", id)
	}
	switch name {
	case ReportJSON, ReportHTML, ReportMarkdown, RunFile:
	default:
		return "", fmt.Errorf("%q is not a file of a run", name)
	}
	return filepath.Join(s.dir, id, name), nil
}

// Report reads run id's report.json (through OpenFile: never through a
// link, never of a folder no run wrote).
func (s *Store) Report(id string) (*report.Report, error) {
	f, _, err := s.OpenFile(id, ReportJSON)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return report.ReadJSON(f)
}

// ErrNotInHistory is OpenFile's error for anything that is not a file of
// a run this history recorded.
var ErrNotInHistory = errors.New("not a file of a run of the history")

// OpenFile opens file name of run id for reading, and only a file the
// history wrote: id must be a run id whose folder is a folder (not a
// symbolic link or junction out of the history) holding this run's
// run.json, name one of the run's files that run.json lists, and the
// file a regular file, not a link (checked on the file opened, so a link
// put in its place meanwhile is refused too). What comes from a URL or
// the command line reaches nothing else of the machine. Errors wrap
// ErrNotInHistory, or fs.ErrNotExist when the run or file is gone.
func (s *Store) OpenFile(id, name string) (*os.File, fs.FileInfo, error) {
	p, err := s.Path(id, name)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotInHistory, err)
	}
	dir, err := os.Lstat(filepath.Dir(p))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("run %s: no such run in %s: %w", id, s.dir, fs.ErrNotExist)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", id, err)
	}
	if !dir.IsDir() {
		return nil, nil, fmt.Errorf("run %s: %w: its folder is a link or not a folder", id, ErrNotInHistory)
	}
	run, err := s.Get(id)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotInHistory, err)
	}
	if name != RunFile && !slices.Contains(run.Files, name) {
		return nil, nil, fmt.Errorf("run %s: %w: its run.json lists no %s", id, fs.ErrNotExist, name)
	}
	before, err := os.Lstat(p)
	if err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", id, err)
	}
	if !before.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("run %s: %w: %s is a link or not a regular file", id, ErrNotInHistory, name)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", id, err)
	}
	st, err := f.Stat()
	if err != nil || !os.SameFile(before, st) {
		f.Close()
		return nil, nil, fmt.Errorf("run %s: %w: %s changed while it was opened", id, ErrNotInHistory, name)
	}
	return f, st, nil
}

// Prune removes the oldest runs so that keep remain, and returns their
// ids. keep <= 0 removes nothing. Only runs this history wrote are
// counted and removed (Owned): a folder named like a run that is not one
// of them, a run whose run.json cannot be read, or a run folder holding
// anything but its own files is left alone and returned in left, for the
// caller to say so. An error wrapping ErrIndexStale comes after every old
// run was removed.
func (s *Store) Prune(keep int) (removed, left []string, err error) {
	ids, err := s.IDs()
	if err != nil || keep <= 0 || len(ids) <= keep {
		return nil, nil, err
	}
	var ours []string
	for _, id := range ids {
		if s.Owned(id) == nil {
			ours = append(ours, id)
		} else {
			left = append(left, id)
		}
	}
	if len(ours) <= keep {
		return nil, left, nil
	}
	for _, id := range ours[:len(ours)-keep] {
		// Renamed away first, so a listing never sees half a folder.
		gone := filepath.Join(s.dir, atomicfile.TempName(id))
		if err := os.Rename(filepath.Join(s.dir, id), gone); err != nil {
			return removed, left, fmt.Errorf("history: prune %s: %w", id, err)
		}
		if err := os.RemoveAll(gone); err != nil {
			return removed, left, fmt.Errorf("history: prune %s: %w", id, err)
		}
		removed = append(removed, id)
	}
	if err := s.reindex(nil); err != nil {
		return removed, left, fmt.Errorf("%w: %w", ErrIndexStale, err)
	}
	return removed, left, nil
}

// Owned says whether the folder of run id is one this history wrote, and
// so one Prune may remove: a folder (not a link), holding this run's
// run.json and nothing but the files a run folder holds (run.json, the
// reports, a temporary file of an interrupted write), none of them a
// link or a folder. The error says why not.
func (s *Store) Owned(id string) error {
	if !ValidID(id) {
		return fmt.Errorf("%q is not a run id", id)
	}
	dir := filepath.Join(s.dir, id)
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("run %s: %w", id, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("run %s: a link or not a folder", id)
	}
	if _, err := s.Get(id); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("run %s: %w", id, err)
	}
	for _, e := range entries {
		switch name := e.Name(); {
		case !e.Type().IsRegular():
			return fmt.Errorf("run %s: %s is a link or a folder, which no run writes", id, name)
		case name == RunFile, name == ReportJSON, name == ReportHTML, name == ReportMarkdown, atomicfile.IsTemp(name):
		default:
			return fmt.Errorf("run %s: %s is not a file a run writes", id, name)
		}
	}
	return nil
}

// Clean removes what runs that never finished left behind (folders and
// files named as temporaries), and returns their names. Call it before
// the first run of a process, when no run of this store is in flight.
func (s *Store) Clean() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var removed []string
	for _, e := range entries {
		if !atomicfile.IsTemp(e.Name()) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.dir, e.Name())); err != nil {
			return removed, fmt.Errorf("history: %w", err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

// IndexFile caches every run.json of the history in one file, so a
// listing reads one file instead of one per run. The run folders stay the
// truth: a run the index lacks is read from its run.json, an entry whose
// folder is gone is ignored, and every commit and prune rewrites it.
const IndexFile = "index.json"

// IndexSchema identifies the index.
const IndexSchema = "tmsdrift/history-index/v1"

type index struct {
	Schema string `json:"schema"`
	Runs   []*Run `json:"runs"`
}

// readIndex returns the index's records by id; an index that is missing
// or damaged is an empty one (the run.json files are read instead).
func (s *Store) readIndex() map[string]*Run {
	data, err := os.ReadFile(filepath.Join(s.dir, IndexFile))
	if err != nil {
		return nil
	}
	var ix index
	if json.Unmarshal(data, &ix) != nil || ix.Schema != IndexSchema {
		return nil
	}
	out := make(map[string]*Run, len(ix.Runs))
	for _, r := range ix.Runs {
		if r != nil && r.Schema == RunSchema && ValidID(r.ID) && r.inconsistent() == "" {
			out[r.ID] = r
		}
	}
	return out
}

// Reindex rewrites the index from the run folders (generators and repairs
// use it; commits and prunes keep it current themselves).
func (s *Store) Reindex() error { return s.reindex(nil) }

// reindex rewrites the index for the runs in the folder, with add (just
// committed) among them.
func (s *Store) reindex(add *Run) error {
	ids, err := s.IDs()
	if err != nil {
		return err
	}
	known := s.readIndex()
	if known == nil {
		known = map[string]*Run{}
	}
	if add != nil {
		known[add.ID] = add
	}
	var missing []string
	for _, id := range ids {
		if _, ok := known[id]; !ok {
			missing = append(missing, id)
		}
	}
	extra, _ := s.read(missing) // unreadable records are left out; List reports them
	for _, r := range extra {
		known[r.ID] = r
	}
	ix := index{Schema: IndexSchema, Runs: make([]*Run, 0, len(ids))}
	for _, id := range ids {
		if r, ok := known[id]; ok {
			ix.Runs = append(ix.Runs, r)
		}
	}
	data, err := json.Marshal(ix)
	if err != nil {
		return fmt.Errorf("history: index: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(s.dir, IndexFile), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("history: index: %w", err)
	}
	return nil
}
