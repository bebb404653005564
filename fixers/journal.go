package fixers

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/tmsdrift/tmsdrift/internal/jsondoc"
	"github.com/tmsdrift/tmsdrift/internal/winpath"
)

// The run folder: every --apply (and every rollback) writes one, so that
// what tmsdrift changed can be seen and put back.
//
//	<runs>/<run-id>/manifest.json            what was changed, before and after
//	<runs>/<run-id>/backup/<node>/<drive>/…  every changed file as it was
//
// <runs> is .tmsdrift/runs beside the inventory unless configured. Backups
// hold web.configs, hence machineKeys: folders are 0700, files 0600.

// RunSchema identifies the run manifest format (docs/contract.md).
const RunSchema = "tmsdrift/run/v1"

// RunManifest is a run folder's manifest.json.
type RunManifest struct {
	Schema     string     `json:"schema"`
	ID         string     `json:"id"`
	Command    string     `json:"command"` // fix, post-upgrade, rollback
	Deployment string     `json:"deployment"`
	Inventory  string     `json:"inventory"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// RollbackOf names the run a rollback undid; RolledBackBy the rollback
	// that undid this run.
	RollbackOf   string `json:"rollback_of,omitempty"`
	RolledBackBy string `json:"rolled_back_by,omitempty"`
	// Resumes names the unfinished runs this run carries on (fix
	// --resume); ResumedBy the run that carried on this one.
	Resumes   []string `json:"resumes,omitempty"`
	ResumedBy string   `json:"resumed_by,omitempty"`
	Changes   []Record `json:"changes"`
}

// Finished reports whether the run got to its end. A run that did not was
// killed, or its machine stopped, part of the way through: some changes
// may be made, one may be half-made.
func (m *RunManifest) Finished() bool { return m.FinishedAt != nil }

// Open reports whether a run that never finished still waits for someone
// to roll it back or carry it on.
func (m *RunManifest) Open() bool {
	return !m.Finished() && m.RolledBackBy == "" && m.ResumedBy == ""
}

// Record is one change of a run and what became of it.
type Record struct {
	// Step is the runbook step of the change (Change.Step), "" in a fix.
	Step   string       `json:"step,omitempty"`
	Node   string       `json:"node"` // "" for the database
	Kind   Kind         `json:"kind"`
	Object string       `json:"object"`
	Action Action       `json:"action"`
	Rules  []string     `json:"rules,omitempty"`
	Status RecordStatus `json:"status"`
	Error  string       `json:"error,omitempty"`
	Before State        `json:"before"`
	After  State        `json:"after"`
}

// RecordStatus is what became of a change.
type RecordStatus string

// Record statuses.
const (
	// Pending: backed up, about to be applied. A run that ended here
	// (killed) may or may not have applied it; rollback looks.
	Pending RecordStatus = "pending"
	Applied RecordStatus = "applied"
	// Failed: the change itself failed; the transport left it undone.
	Failed RecordStatus = "failed"
	// Restored: applied, then put back because a later change of the same
	// node failed.
	Restored RecordStatus = "restored"
	// NotRestored: applied, and putting it back failed too: the node is
	// half-fixed, and the backup is in the run folder.
	NotRestored RecordStatus = "not-restored"
	// NotAttempted: the node was refused before any write (it changed
	// since the plan, or could not be backed up).
	NotAttempted RecordStatus = "not-attempted"
)

var recordStatuses = []RecordStatus{Pending, Applied, Failed, Restored, NotRestored, NotAttempted}

// State is what an object was or became: a file's content (and where its
// backup is), a service's start type and state, or settings values.
type State struct {
	Exists *bool  `json:"exists,omitempty"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	// Backup is the path of the file's copy inside the run folder.
	Backup    string            `json:"backup,omitempty"`
	StartType string            `json:"start_type,omitempty"`
	State     string            `json:"state,omitempty"`
	Settings  map[string]string `json:"settings,omitempty"`
}

// Journal is an open run folder.
type Journal struct {
	dir  string
	root *os.Root

	mu sync.Mutex
	m  RunManifest
}

// runIDPattern is what run IDs look like: the UTC start time, sortable,
// and a random suffix.
var runIDPattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$`)

// newRunID names a run started at now.
func newRunID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// NewJournal creates a run folder under runsDir and writes its manifest.
// m says what the run is (command, deployment, inventory, start time);
// schema and ID are filled in.
func NewJournal(runsDir string, m RunManifest) (*Journal, error) {
	if err := prepareRunsDir(runsDir); err != nil {
		return nil, err
	}
	if m.StartedAt.IsZero() {
		m.StartedAt = time.Now()
	}
	m.StartedAt = m.StartedAt.UTC()
	m.Schema = RunSchema
	var dir string
	for {
		m.ID = newRunID(m.StartedAt)
		dir = filepath.Join(runsDir, m.ID)
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create run folder: %w", err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open run folder: %w", err)
	}
	if m.Changes == nil {
		m.Changes = []Record{}
	}
	j := &Journal{dir: dir, root: root, m: m}
	if err := j.save(); err != nil {
		root.Close()
		return nil, err
	}
	return j, nil
}

// prepareRunsDir creates the runs folder (0700) with a .gitignore that
// ignores everything in it: backups hold machineKeys, and the folder sits
// beside an inventory that is often kept in Git.
func prepareRunsDir(runsDir string) error {
	if err := os.MkdirAll(runsDir, 0o700); err != nil {
		return fmt.Errorf("create runs folder: %w", err)
	}
	_, err := ensureIgnore(runsDir)
	return err
}

// ensureIgnore writes the runs folder's .gitignore when it has none
// (made says so).
func ensureIgnore(runsDir string) (made bool, err error) {
	ignore := filepath.Join(runsDir, ".gitignore")
	if _, err := os.Stat(ignore); errors.Is(err, fs.ErrNotExist) {
		content := "# tmsdrift run folders: backups of web.config hold machineKeys. Never commit them.\n*\n"
		if err := writeFileAtomic(ignore, []byte(content), 0o600); err != nil {
			return false, fmt.Errorf("create runs folder: %w", err)
		}
		return true, nil
	} else if err != nil {
		return false, fmt.Errorf("create runs folder: %w", err)
	}
	return false, nil
}

// OpenJournal opens an existing run folder (for rollback) and reads its
// manifest.
func OpenJournal(runsDir, id string) (*Journal, error) {
	if !runIDPattern.MatchString(id) {
		return nil, fmt.Errorf("%q is not a run ID (like 20261125T020000Z-3fa2c8)", id)
	}
	dir := filepath.Join(runsDir, id)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open run %s: %w", id, err)
	}
	raw, err := root.ReadFile("manifest.json")
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	m, err := ParseRunManifest(raw)
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("run %s: manifest.json: %w", id, err)
	}
	if m.ID != id {
		root.Close()
		return nil, fmt.Errorf("run %s: manifest.json names run %s", id, m.ID)
	}
	return &Journal{dir: dir, root: root, m: *m}, nil
}

// ID is the run's ID.
func (j *Journal) ID() string { return j.m.ID }

// Dir is the run folder.
func (j *Journal) Dir() string { return j.dir }

// Manifest returns a copy of the manifest as it stands.
func (j *Journal) Manifest() RunManifest {
	j.mu.Lock()
	defer j.mu.Unlock()
	m := j.m
	m.Changes = slices.Clone(j.m.Changes)
	return m
}

// Close releases the run folder.
func (j *Journal) Close() error { return j.root.Close() }

// add appends a record and returns its index.
func (j *Journal) add(r Record) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.m.Changes = append(j.m.Changes, r)
	return len(j.m.Changes) - 1
}

// update changes record i.
func (j *Journal) update(i int, fn func(*Record)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	fn(&j.m.Changes[i])
}

// record returns a copy of record i.
func (j *Journal) record(i int) Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.m.Changes[i]
}

// finish records the end of the run and saves the manifest.
func (j *Journal) finish(now time.Time) error {
	j.mu.Lock()
	t := now.UTC()
	j.m.FinishedAt = &t
	j.mu.Unlock()
	return j.save()
}

// markResumed records that run by carries this unfinished run on.
func (j *Journal) markResumed(by string) error {
	j.mu.Lock()
	j.m.ResumedBy = by
	j.mu.Unlock()
	return j.save()
}

// markRolledBack records that run rollback undid this run.
func (j *Journal) markRolledBack(rollback string) error {
	j.mu.Lock()
	j.m.RolledBackBy = rollback
	j.mu.Unlock()
	return j.save()
}

// save writes manifest.json atomically (temporary file, sync, rename).
func (j *Journal) save() error {
	j.mu.Lock()
	data, err := json.MarshalIndent(j.m, "", "  ")
	j.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode run manifest: %w", err)
	}
	data = append(data, '\n')
	if err := writeFileAtomic(filepath.Join(j.dir, "manifest.json"), data, 0o600); err != nil {
		return fmt.Errorf("save run manifest: %w", err)
	}
	return nil
}

// backup copies r, the current content of winPath on node, into the run
// folder and returns where it went and what it was.
func (j *Journal) backup(node, winPath string, r io.Reader) (string, FileState, error) {
	rel, err := backupPath(node, winPath)
	if err != nil {
		return "", FileState{}, err
	}
	rel, st, err := j.keep(rel, r)
	if err != nil {
		return "", FileState{}, fmt.Errorf("back up %s: %w", winPath, err)
	}
	return rel, st, nil
}

// keep copies r into the run folder at rel (a slash path under backup/,
// as validBackupPath accepts: a kind of change with something other than
// a node file to keep, such as the inventory, picks its own place there)
// and returns where it went and what it kept. An object kept twice in one
// run (a runbook that changes it in two steps) gets rel~1, rel~2, ...:
// a backup is never overwritten.
func (j *Journal) keep(rel string, r io.Reader) (string, FileState, error) {
	if !validBackupPath(rel) {
		return "", FileState{}, fmt.Errorf("backup path %q is not inside the run folder", rel)
	}
	if err := j.root.MkdirAll(path.Dir(rel), 0o700); err != nil {
		return "", FileState{}, err
	}
	name := rel
	f, err := j.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	for n := 1; errors.Is(err, fs.ErrExist) && n < 1000; n++ {
		name = fmt.Sprintf("%s~%d", rel, n)
		f, err = j.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if err != nil {
		return "", FileState{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", FileState{}, err
	}
	return name, FileState{Exists: true, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// openBackup opens a backup of this run folder by its manifest path.
func (j *Journal) openBackup(rel string) (io.ReadCloser, error) {
	if !validBackupPath(rel) {
		return nil, fmt.Errorf("backup path %q is not inside the run folder", rel)
	}
	f, err := j.root.Open(rel)
	if err != nil {
		return nil, fmt.Errorf("open backup: %w", err)
	}
	return f, nil
}

// backupPath is where a node file's backup goes: backup/<node>/<drive>/…,
// the snapshot layout, so a person can find and restore it by hand.
// Characters a local file name cannot hold become "_".
func backupPath(node, winPath string) (string, error) {
	drive, names, err := winpath.Split(winPath)
	if err != nil {
		return "", fmt.Errorf("back up: %w", err)
	}
	parts := []string{"backup", safeName(node), drive}
	for _, c := range names {
		parts = append(parts, safeName(c))
	}
	if len(parts) < 4 {
		return "", fmt.Errorf("back up %q: no file name", winPath)
	}
	return path.Join(parts...), nil
}

// safeName makes a name fit for a file name on Windows and Unix alike.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(`<>:"/\|?*`, r) {
			return '_'
		}
		return r
	}, s)
	if s == "" || s == "." || s == ".." {
		return "_"
	}
	return s
}

// validBackupPath accepts a manifest's backup path only inside backup/ of
// the run folder, so an edited manifest cannot make rollback read other
// files.
func validBackupPath(rel string) bool {
	return strings.HasPrefix(rel, "backup/") && filepath.IsLocal(filepath.FromSlash(rel)) && path.Clean(rel) == rel
}

// ParseRunManifest reads a run manifest strictly: rollback acts on what it
// says, so anything unexpected (unknown keys, kinds, statuses, paths
// outside the run folder, malformed hashes) is an error naming what.
func ParseRunManifest(raw []byte) (*RunManifest, error) {
	// Read as Windows saves it (a byte order mark, UTF-16), like every
	// other file tmsdrift reads; a key given twice is refused.
	raw, err := jsondoc.Text(raw)
	if err != nil {
		return nil, fmt.Errorf("malformed: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var m RunManifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("malformed: %w", jsondoc.Describe(raw, err))
	}
	if err := jsondoc.DuplicateKeys(raw); err != nil {
		return nil, fmt.Errorf("malformed: %w", err)
	}
	if dec.More() {
		return nil, errors.New("malformed: data after the JSON document")
	}
	if m.Schema != RunSchema {
		return nil, fmt.Errorf("schema: got %q, want %q", m.Schema, RunSchema)
	}
	if !runIDPattern.MatchString(m.ID) {
		return nil, fmt.Errorf("id: %q is not a run ID", m.ID)
	}
	for _, id := range append([]string{m.RollbackOf, m.RolledBackBy, m.ResumedBy}, m.Resumes...) {
		if id != "" && !runIDPattern.MatchString(id) {
			return nil, fmt.Errorf("%q is not a run ID", id)
		}
	}
	for i, r := range m.Changes {
		if err := r.validate(); err != nil {
			return nil, fmt.Errorf("changes[%d]: %w", i, err)
		}
	}
	return &m, nil
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// validate checks one record as ParseRunManifest promises: what every
// kind shares here, the rest by its kind (kinds.go).
func (r Record) validate() error {
	if !slices.Contains(recordStatuses, r.Status) {
		return fmt.Errorf("status %q is unknown", r.Status)
	}
	if r.Object == "" {
		return errors.New("object: missing")
	}
	if len(r.Step) > 200 || strings.ContainsFunc(r.Step, unicode.IsControl) {
		return errors.New("step: not a step name")
	}
	// Only what an object was before the run can have a backup.
	if r.After.Backup != "" {
		return errors.New("backup: only a before state has one")
	}
	k, err := kindOf(r.Kind)
	if err != nil {
		return err
	}
	return k.validate(r)
}

// ListRuns reads the manifests of every run under runsDir, newest first
// (by start time).
// A folder whose manifest cannot be read is an error: rollback must not
// silently pick an older run.
func ListRuns(runsDir string) ([]RunManifest, error) {
	entries, err := os.ReadDir(runsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var out []RunManifest
	for _, e := range entries {
		if !e.IsDir() || !runIDPattern.MatchString(e.Name()) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(runsDir, e.Name(), "manifest.json")); errors.Is(err, fs.ErrNotExist) {
			// Killed between creating its folder and writing its
			// manifest, which comes before any change: it changed
			// nothing, and there is nothing to roll back.
			continue
		}
		j, err := OpenJournal(runsDir, e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, j.Manifest())
		if err := j.Close(); err != nil {
			return nil, fmt.Errorf("run %s: %w", e.Name(), err)
		}
	}
	// Newest first by start time: IDs have whole seconds only, and two
	// runs within one second must not come out in a random order
	// (rollback last).
	sort.Slice(out, func(a, b int) bool {
		if !out[a].StartedAt.Equal(out[b].StartedAt) {
			return out[a].StartedAt.After(out[b].StartedAt)
		}
		return out[a].ID > out[b].ID
	})
	return out, nil
}

// Unfinished returns the runs under runsDir that started and never
// finished, and that nobody has rolled back or carried on since (Open),
// newest first. Call it holding the deployment's lock: otherwise a run in
// progress looks the same.
func Unfinished(runsDir string) ([]RunManifest, error) {
	runs, err := ListRuns(runsDir)
	if err != nil {
		return nil, err
	}
	var out []RunManifest
	for _, m := range runs {
		if m.Open() {
			out = append(out, m)
		}
	}
	return out, nil
}

// Progress says how far an unfinished run got, for people: how many
// changes were made, which one was under way (made or not: rollback looks),
// and what else the journal shows.
func (m *RunManifest) Progress() string {
	count := map[RecordStatus]int{}
	var underway []string
	for _, r := range m.Changes {
		count[r.Status]++
		if r.Status != Pending {
			continue
		}
		u := strings.TrimPrefix(r.Node+" ", " ") + r.Object
		if n, ok := kinds[r.Kind].(pendingNoter); ok {
			if note := n.pendingNote(r); note != "" {
				u += " (" + note + ")"
			}
		}
		underway = append(underway, u)
	}
	var parts []string
	if n := count[Applied] + count[NotRestored]; n > 0 {
		parts = append(parts, plural(n, "change")+" made")
	}
	if len(underway) > 0 {
		parts = append(parts, "under way when it stopped (made or not): "+strings.Join(underway, ", "))
	}
	if n := count[Restored] + count[Failed]; n > 0 {
		parts = append(parts, plural(n, "change")+" failed or put back")
	}
	if len(parts) == 0 {
		parts = append(parts, "no change made")
	}
	return strings.Join(parts, "; ")
}

// MarkResumed records in each of the unfinished runs ids that run by
// carries them on, so that they are no longer reported as open. Their
// backups stay: each can still be rolled back.
func MarkResumed(runsDir string, ids []string, by string) error {
	for _, id := range ids {
		j, err := OpenJournal(runsDir, id)
		if err != nil {
			return err
		}
		err = j.markResumed(by)
		if cerr := j.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("run %s: %w", id, cerr)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
