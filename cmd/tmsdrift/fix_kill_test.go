package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// Issue 8, item 3: `fix --apply` killed in the middle of a data copy. The
// test runs the real command line in a child process (this test binary,
// through TestMain), holds the child's second file write after its first
// bytes reached the temporary file, kills it with SIGKILL, and looks at
// what is left: the journal, the debris, the next audit, fix, resume and
// rollback.

// Environment of the child: the command line (JSON), and the write to hold.
const (
	childArgsEnv = "TMSDRIFT_TEST_MAIN_ARGS"
	childHoldEnv = "TMSDRIFT_TEST_HOLD_WRITE"
)

// runChildIfAsked runs the command line in place of the tests when the
// test binary was started as fix --apply's child (TestMain calls it).
func runChildIfAsked() {
	if raw := os.Getenv(childArgsEnv); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			panic(err)
		}
		if n, err := strconv.Atoi(os.Getenv(childHoldEnv)); err == nil {
			openNode = holdingOpener(openNode, int32(n), os.NewFile(3, "held"))
		}
		if n, err := strconv.Atoi(os.Getenv(childHaltStepEnv)); err == nil {
			signal := os.NewFile(3, "halted")
			if p := os.Getenv(childHaltFileEnv); p != "" {
				// Windows passes no descriptor 3 (os/exec's ExtraFiles).
				if signal, err = os.Create(p); err != nil {
					panic(err)
				}
			}
			afterRunbookStep = haltAfterStep(n, signal)
		}
		os.Exit(run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
	}
}

// holdingOpener wraps open: the n-th WriteFile of the process passes its
// first bytes, then says "held" on signal and never returns.
func holdingOpener(open collect.Opener, n int32, signal *os.File) collect.Opener {
	var writes atomic.Int32
	return func(ctx context.Context, inv *inventory.Inventory, node *inventory.Node) (collect.Source, error) {
		src, err := open(ctx, inv, node)
		if err != nil {
			return nil, err
		}
		t, ok := src.(collect.Target)
		if !ok {
			return src, nil
		}
		return &holdingTarget{Target: t, writes: &writes, at: n, signal: signal}, nil
	}
}

type holdingTarget struct {
	collect.Target
	writes *atomic.Int32
	at     int32
	signal *os.File
}

func (h *holdingTarget) WriteFile(ctx context.Context, path string, r io.Reader) error {
	if h.writes.Add(1) == h.at {
		r = &holdingReader{r: r, signal: h.signal}
	}
	return h.Target.WriteFile(ctx, path, r)
}

// holdingReader hands out 16 bytes, and blocks on the next read: by then
// the writer has put the 16 bytes into its temporary file.
type holdingReader struct {
	r      io.Reader
	signal *os.File
	given  bool
}

func (h *holdingReader) Read(p []byte) (int, error) {
	if !h.given {
		h.given = true
		return h.r.Read(p[:min(len(p), 16)])
	}
	if _, err := h.signal.WriteString("held\n"); err != nil {
		panic(err)
	}
	select {} // until SIGKILL
}

// killedFix runs `tmsdrift fix --apply` on inv in a child process, kills it
// during its second file write and returns the ID of the run it left.
func killedFix(t *testing.T, dir, inv string) string {
	t.Helper()
	args, err := json.Marshal([]string{"fix", "-i", inv, "--apply"})
	require.NoError(t, err)
	held, signal, err := os.Pipe()
	require.NoError(t, err)
	defer held.Close()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childArgsEnv+"="+string(args), childHoldEnv+"=2")
	child.ExtraFiles = []*os.File{signal}
	var out strings.Builder
	child.Stdout, child.Stderr = &out, &out
	require.NoError(t, child.Start())
	signal.Close()
	line, err := bufio.NewReader(held).ReadString('\n')
	if err != nil {
		_ = child.Wait()
		t.Fatalf("the child never reached the held write: %v\n%s", err, out.String())
	}
	require.Equal(t, "held\n", line)
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	err = child.Wait()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v", err)
	require.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal(), "killed, not ended: %s", out.String())

	ids := runFolders(t, dir)
	require.Len(t, ids, 1)
	return ids[0]
}

var tempName = regexp.MustCompile(`\.acme-logo\.png\.tmsdrift-[0-9a-f]{16}\.tmp$`)

func TestFixKilledMidCopy(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	// data-drift: tms02 lacks MeetingReminder.txt (write 1) and has
	// another acme-logo.png (write 2, held and killed).
	origDir, _ := labCopy(t, "data-drift")
	orig := files(t, origDir)
	_, want := labCopy(t, "data-drift")
	code, _, stderr := tmsdrift(t, "fix", "-i", want, "--apply")
	require.Equal(t, report.ExitFail, code, "the extra package stays without --prune: %s", stderr)
	uninterrupted := files(t, filepath.Dir(want))

	dir, inv := labCopy(t, "data-drift")
	id := killedFix(t, dir, inv)

	// What the kill left: the first copy made, the second file as it was,
	// its temporary file beside it, and a journal that never finished.
	left := files(t, dir)
	const logo = "nodes/tms02/fs/C/Program Files/TANDBERG/TMS/wwwTMS/Data/CompanyLogo/acme-logo.png"
	const reminder = "nodes/tms02/fs/C/Program Files/TANDBERG/TMS/wwwTMS/Data/EmailTemplate/MeetingReminder.txt"
	assert.Equal(t, uninterrupted[reminder], left[reminder], "write 1 was made")
	assert.Equal(t, orig[logo], left[logo], "write 2 never replaced the file")
	var debris []string
	for p, data := range left {
		if tempName.MatchString(p) {
			debris = append(debris, p)
			assert.Len(t, data, 16, "the bytes written before the kill")
		}
	}
	require.Len(t, debris, 1, "the temporary file of the killed write")
	runs, err := fixers.ListRuns(filepath.Join(dir, ".tmsdrift", "runs"))
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.False(t, runs[0].Finished())
	var statuses []string
	for _, c := range runs[0].Changes {
		statuses = append(statuses, string(c.Status))
	}
	assert.Equal(t, []string{"applied", "pending"}, statuses)

	// The audit: debris, not an extra customer file.
	code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json")
	assert.Equal(t, report.ExitFail, code, stderr)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	var synced *checks.Result
	for i, r := range rep.Results {
		if r.Rule == "data.synced" && r.Node == "tms02" {
			synced = &rep.Results[i]
		}
	}
	require.NotNil(t, synced)
	assert.Regexp(t, `1 left by an interrupted write: wwwTMS\\Data\\CompanyLogo\\\.acme-logo\.png\.tmsdrift-[0-9a-f]{16}\.tmp`, synced.Observed)
	assert.Regexp(t, `1 extra: wwwTMS\\Data\\Software\\s52020tc7_3_20\.pkg(;|$)`, synced.Observed, "the only extra file is the customer's")
	assert.Contains(t, synced.Message, "an interrupted tmsdrift write left temporary files")

	// The next fix --apply sees the run that never finished and refuses.
	code, stdout, stderr = tmsdrift(t, "fix", "-i", inv, "--apply")
	assert.Equal(t, report.ExitFail, code, stdout+stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "run "+id+" (fix, started ")
	assert.Contains(t, stderr, "never finished: 1 change made; under way when it stopped (made or not): tms02 C:\\Program Files\\TANDBERG\\TMS\\wwwTMS\\Data\\CompanyLogo\\acme-logo.png")
	assert.Contains(t, stderr, "roll it back: tmsdrift rollback -i "+inv+" "+id)
	assert.Contains(t, stderr, "or carry it on: tmsdrift fix -i "+inv+" --apply --resume")
	assert.Equal(t, left, files(t, dir), "refused: nothing changed")
	assert.Equal(t, []string{id}, runFolders(t, dir))

	// The plan says so too, and plans the cleanup.
	code, stdout, stderr = tmsdrift(t, "fix", "-i", inv)
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stderr, "never finished")
	assert.Regexp(t, `delete wwwTMS\\Data\\CompanyLogo\\\.acme-logo\.png\.tmsdrift-[0-9a-f]{16}\.tmp \(a temporary file left by an interrupted tmsdrift write\)`, stdout)

	// Rolled back (on a second killed copy): every byte as before the run,
	// the temporary file gone.
	dir2, inv2 := labCopy(t, "data-drift")
	id2 := killedFix(t, dir2, inv2)
	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv2, id2)
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Regexp(t, `delete \.acme-logo\.png\.tmsdrift-[0-9a-f]{16}\.tmp \(the temporary file the interrupted run's write left\)`, stdout)
	assert.Equal(t, orig, files(t, dir2), "rolled back byte for byte, debris included")
	code, _, stderr = tmsdrift(t, "fix", "-i", inv2, "--apply")
	assert.Equal(t, report.ExitFail, code)
	assert.NotContains(t, stderr, "never finished", "the rolled-back run is closed")
	assert.Equal(t, uninterrupted, files(t, dir2), "and fixing again gives the uninterrupted result")

	// Carried on: the same end as an uninterrupted fix.
	code, stdout, stderr = tmsdrift(t, "fix", "-i", inv, "--apply", "--resume")
	assert.Equal(t, report.ExitFail, code, "the extra package stays: %s%s", stdout, stderr)
	assert.Regexp(t, `tms02\s+fixed\s+2 changes`, stdout, "the logo and the debris")
	assert.Equal(t, uninterrupted, files(t, dir), "resumed: the uninterrupted end state, no debris")
	runs, err = fixers.ListRuns(filepath.Join(dir, ".tmsdrift", "runs"))
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, []string{id}, runs[0].Resumes)
	assert.Equal(t, runs[0].ID, runs[1].ResumedBy)
	code, _, stderr = tmsdrift(t, "fix", "-i", inv, "--apply")
	assert.Equal(t, report.ExitFail, code)
	assert.NotContains(t, stderr, "never finished", "the interrupted run is closed")

	// Rolling back the resume, then the interrupted run, gives back the
	// lab as it was.
	code, _, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stderr)
	code, _, stderr = tmsdrift(t, "rollback", "-i", inv, id)
	require.Equal(t, report.ExitOK, code, stderr)
	assert.Equal(t, orig, files(t, dir))
}
