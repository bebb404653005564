package fixers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tmsdrift/tmsdrift/fixtures"
)

func TestSecondFixerFailsClearly(t *testing.T) {
	runs := fixtures.TempDir(t)
	ctx := testContext(t)
	first, err := AcquireLock(ctx, runs, 0, Holder{PID: 4242, Host: "ops01", Command: "tmsdrift fix --apply", Since: time.Now()})
	require.NoError(t, err)

	_, err = AcquireLock(ctx, runs, 0, Holder{PID: 1, Host: "ops02"})
	var locked *LockedError
	require.True(t, errors.As(err, &locked), "%v", err)
	assert.Contains(t, err.Error(), `this deployment is locked by "tmsdrift fix --apply" (process 4242 on ops01`)
	assert.Contains(t, err.Error(), "nothing was changed")

	require.NoError(t, first.Release())
	again, err := AcquireLock(ctx, runs, 0, Holder{PID: 2})
	require.NoError(t, err, "released: the next fixer gets it")
	require.NoError(t, again.Release())
}

// whenWaiting signals when a fixer found the lock held and waits for it.
func whenWaiting(t *testing.T) <-chan struct{} {
	waiting := make(chan struct{}, 1)
	lockWaiting = func() {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}
	t.Cleanup(func() { lockWaiting = nil })
	return waiting
}

// untilWaiting returns once the second fixer found the lock held and
// waits for it (whenWaiting); it fails the test when that fixer got past
// the lock (got) or never tried it.
func untilWaiting[T any](t *testing.T, ctx context.Context, waiting <-chan struct{}, got <-chan T) {
	t.Helper()
	select {
	case <-waiting:
	case v := <-got:
		t.Fatalf("the second fixer did not wait: it got past a held lock: %v", v)
	case <-ctx.Done():
		t.Fatal("the second fixer never tried the lock")
	}
}

func TestWaitingFixerGetsTheLockWhenReleased(t *testing.T) {
	runs := fixtures.TempDir(t)
	ctx := testContext(t)
	first, err := AcquireLock(ctx, runs, 0, Holder{PID: 1})
	require.NoError(t, err)
	waiting := whenWaiting(t)
	got := make(chan error, 1)
	go func() {
		l, err := AcquireLock(ctx, runs, time.Minute, Holder{PID: 2})
		if err == nil {
			err = l.Release()
		}
		got <- err
	}()
	// The second fixer found the lock held and waits: only now is the
	// lock released.
	untilWaiting(t, ctx, waiting, got)
	select {
	case err := <-got:
		t.Fatalf("the second fixer got past a held lock: %v", err)
	default:
	}
	require.NoError(t, first.Release())
	select {
	case err := <-got:
		assert.NoError(t, err, "the waiting fixer got the lock once it was released")
	case <-ctx.Done():
		t.Fatal("the waiting fixer never got the lock")
	}
}

func TestWaitingFixerStopsWithItsContext(t *testing.T) {
	runs := fixtures.TempDir(t)
	first, err := AcquireLock(testContext(t), runs, 0, Holder{PID: 1})
	require.NoError(t, err)
	defer first.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = AcquireLock(ctx, runs, time.Hour, Holder{PID: 2})
	assert.ErrorIs(t, err, context.Canceled)
}

// TestLockNamesItsHolder: the message a second fixer gets names the
// command that holds the lock (a rollback, a runbook, not always "a fix")
// and, once it has one, its run.
func TestLockNamesItsHolder(t *testing.T) {
	runs := fixtures.TempDir(t)
	ctx := testContext(t)
	since := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	first, err := AcquireLock(ctx, runs, 0, Holder{PID: 77, Host: "ops01", Command: "tmsdrift rollback", Since: since})
	require.NoError(t, err)
	defer first.Release()
	_, err = AcquireLock(ctx, runs, 0, Holder{PID: 1})
	assert.EqualError(t, err, `this deployment is locked by "tmsdrift rollback" (process 77 on ops01 since 2026-11-25T02:00:00Z), which holds `+
		filepath.Join(runs, "lock")+`; nothing was changed: wait for it to finish, or pass --wait`)
	require.NoError(t, first.Running("20261125T020000Z-3fa2c8"))
	_, err = AcquireLock(ctx, runs, 0, Holder{PID: 1})
	assert.ErrorContains(t, err, `locked by "tmsdrift rollback" (run 20261125T020000Z-3fa2c8, process 77 on ops01`)

	require.NoError(t, os.WriteFile(filepath.Join(runs, "lock"), []byte("not json"), 0o600))
	_, err = AcquireLock(ctx, runs, 0, Holder{PID: 1})
	assert.ErrorContains(t, err, "locked by another tmsdrift process, which holds")
}

// TestLockOfARunThatChangedNothingLeavesNoTrace: a lock given back by a
// run that never said it was Starting takes back the folders, .gitignore
// and lock file taking it made, or what the lock file said before (and
// its time); a run that started keeps them.
func TestLockOfARunThatChangedNothingLeavesNoTrace(t *testing.T) {
	ctx := testContext(t)
	top := fixtures.TempDir(t)
	runs := filepath.Join(top, ".tmsdrift", "runs")

	l, err := AcquireLock(ctx, runs, 0, Holder{PID: 1, Command: "tmsdrift promote"})
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(runs, ".gitignore"))
	require.NoError(t, l.Release())
	assert.NoDirExists(t, filepath.Join(top, ".tmsdrift"), "nothing left behind")
	assert.Empty(t, readTree(t, top))

	l, err = AcquireLock(ctx, runs, 0, Holder{PID: 2, Command: "tmsdrift fix"})
	require.NoError(t, err)
	l.Starting()
	require.NoError(t, l.Release())
	kept := readTree(t, top)
	assert.Contains(t, kept[".tmsdrift/runs/lock"], `"pid":2`, "a run that started keeps its lock file")
	assert.Contains(t, kept, ".tmsdrift/runs/.gitignore")
	old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, os.Chtimes(filepath.Join(runs, "lock"), old, old))

	l, err = AcquireLock(ctx, runs, 0, Holder{PID: 3, Command: "tmsdrift rollback"})
	require.NoError(t, err)
	assert.Contains(t, readTree(t, top)[".tmsdrift/runs/lock"], `"pid":3`)
	require.NoError(t, l.Release())
	assert.Equal(t, kept, readTree(t, top), "the lock file says again what it said")
	st, err := os.Stat(filepath.Join(runs, "lock"))
	require.NoError(t, err)
	assert.True(t, st.ModTime().Equal(old), "and keeps its time: %v", st.ModTime())
}

// TestLockTakenBackIsStillALock: a fixer waiting while the holder takes
// its lock file back gets a lock that holds: a third is refused.
func TestLockTakenBackIsStillALock(t *testing.T) {
	ctx := testContext(t)
	runs := filepath.Join(fixtures.TempDir(t), "runs")
	first, err := AcquireLock(ctx, runs, 0, Holder{PID: 1})
	require.NoError(t, err)
	waiting := whenWaiting(t)
	got := make(chan *Lock, 1)
	go func() {
		l, err := AcquireLock(ctx, runs, time.Minute, Holder{PID: 2})
		assert.NoError(t, err)
		got <- l
	}()
	untilWaiting(t, ctx, waiting, got)
	require.NoError(t, first.Release()) // changed nothing: removes the lock file
	second := <-got
	require.NotNil(t, second)
	defer second.Release()
	_, err = AcquireLock(ctx, runs, 0, Holder{PID: 3})
	var locked *LockedError
	require.True(t, errors.As(err, &locked), "the waiter's lock holds: %v", err)
	assert.Equal(t, 2, locked.Holder.PID)
}

// TestLockOnAFileTakenBackIsRetaken: a fixer that opened the lock file
// just before its holder took it back (removed it) must not hold a lock
// on the removed file, beside a third fixer holding one on a new file.
func TestLockOnAFileTakenBackIsRetaken(t *testing.T) {
	ctx := testContext(t)
	runs := filepath.Join(fixtures.TempDir(t), "runs")
	first, err := AcquireLock(ctx, runs, 0, Holder{PID: 1})
	require.NoError(t, err)
	released := false
	lockOpened = func() {
		if !released {
			released = true
			require.NoError(t, first.Release()) // changed nothing: removes the file
		}
	}
	t.Cleanup(func() { lockOpened = nil })
	second, err := AcquireLock(ctx, runs, 0, Holder{PID: 2})
	require.NoError(t, err)
	lockOpened = nil
	require.True(t, released)
	defer second.Release()
	assert.FileExists(t, filepath.Join(runs, "lock"))
	_, err = AcquireLock(ctx, runs, 0, Holder{PID: 3})
	var locked *LockedError
	require.True(t, errors.As(err, &locked), "the second fixer's lock holds: %v", err)
	assert.Equal(t, 2, locked.Holder.PID)
}

// lockChildEnv, set, makes this test binary another fixer in another
// process (TestMain): it takes the lock in the runs folder the variable
// names, as "tmsdrift promote", says "locked" on its standard output, holds
// the lock until its standard input closes and gives it back as a run that
// changed nothing (refused: no Starting).
const lockChildEnv = "TMSDRIFT_TEST_LOCK_CHILD"

func TestMain(m *testing.M) {
	if runs := os.Getenv(lockChildEnv); runs != "" {
		os.Exit(lockChild(runs))
	}
	os.Exit(m.Run())
}

func lockChild(runs string) int {
	l, err := AcquireLock(context.Background(), runs, 0, Holder{PID: os.Getpid(), Host: "child", Command: "tmsdrift promote", Since: time.Now()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := l.Release(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// otherFixer starts this test binary as another fixer holding the lock in
// runs (lockChild) and returns it once it holds it, with the pipe whose
// closing makes it give the lock back.
func otherFixer(t *testing.T, ctx context.Context, runs string) (*exec.Cmd, io.Closer, *strings.Builder) {
	t.Helper()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), lockChildEnv+"="+runs)
	stdin, err := child.StdinPipe()
	require.NoError(t, err)
	stdout, err := child.StdoutPipe()
	require.NoError(t, err)
	stderr := &strings.Builder{}
	child.Stderr = stderr
	require.NoError(t, child.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = child.Wait()
		t.Fatalf("the other fixer never took the lock: %v\n%s", err, stderr)
	}
	require.Equal(t, "locked\n", line)
	return child, stdin, stderr
}

// TestLockBetweenTwoProcesses: the lock between two processes (this test
// binary run again as the other fixer), the way two tmsdrift commands
// meet: flock on Unix, LockFileEx on Windows (run under Wine by make
// test-windows). A fixer is refused with a message naming the holder's
// command and process, waits with a wait, and gets the lock once the
// holder gives it back having changed nothing (it removes the lock file
// it made: on Unix while still locked, on Windows just after unlocking);
// the lock it gets holds against a third; released, the runs folder is
// gone, no trace left.
func TestLockBetweenTwoProcesses(t *testing.T) {
	ctx := testContext(t)
	top := fixtures.TempDir(t)
	runs := filepath.Join(top, ".tmsdrift", "runs")
	child, release, stderr := otherFixer(t, ctx, runs)

	_, err := AcquireLock(ctx, runs, 0, Holder{PID: os.Getpid(), Command: "tmsdrift fix --apply"})
	var locked *LockedError
	require.True(t, errors.As(err, &locked), "%v", err)
	assert.Contains(t, err.Error(), fmt.Sprintf(`this deployment is locked by "tmsdrift promote" (process %d on child since `, child.Process.Pid))
	assert.Contains(t, err.Error(), "nothing was changed: wait for it to finish, or pass --wait")

	waiting := whenWaiting(t)
	got := make(chan *Lock, 1)
	go func() {
		l, err := AcquireLock(ctx, runs, time.Minute, Holder{PID: os.Getpid(), Command: "tmsdrift fix --apply"})
		assert.NoError(t, err)
		got <- l
	}()
	untilWaiting(t, ctx, waiting, got)
	require.NoError(t, release.Close())
	require.NoError(t, child.Wait(), "the other fixer gave its lock back: %s", stderr)
	var second *Lock
	select {
	case second = <-got:
	case <-ctx.Done():
		t.Fatal("the waiting fixer never got the lock")
	}
	require.NotNil(t, second)
	_, err = AcquireLock(ctx, runs, 0, Holder{PID: 3})
	require.True(t, errors.As(err, &locked), "the waiter's lock holds: %v", err)
	assert.Equal(t, os.Getpid(), locked.Holder.PID)
	require.NoError(t, second.Release())
	assert.NoDirExists(t, filepath.Join(top, ".tmsdrift"), "neither run changed anything: no trace")
	assert.Empty(t, readTree(t, top))
}

// TestLockFileOpenElsewhereWhenTakenBack: the holder takes back (removes)
// its lock file while another process has it open. On Windows, which
// removes no open file, the removal fails with a sharing violation and the
// file stays; the holder still gives the lock up cleanly (exit 0) and the
// next fixer takes the lock on the file that is there. On Unix the file is
// removed and the next fixer makes a new one.
func TestLockFileOpenElsewhereWhenTakenBack(t *testing.T) {
	ctx := testContext(t)
	runs := filepath.Join(fixtures.TempDir(t), "runs")
	child, release, stderr := otherFixer(t, ctx, runs)
	open, err := os.Open(filepath.Join(runs, "lock")) // as a refused fixer reading the holder would
	require.NoError(t, err)
	require.NoError(t, release.Close())
	require.NoError(t, child.Wait(), "the other fixer gave its lock back: %s", stderr)
	require.NoError(t, open.Close())
	if runtime.GOOS == "windows" {
		assert.FileExists(t, filepath.Join(runs, "lock"), "open elsewhere: a sharing violation, the file stays")
	} else {
		assert.NoFileExists(t, filepath.Join(runs, "lock"))
	}
	l, err := AcquireLock(ctx, runs, 0, Holder{PID: 2})
	require.NoError(t, err, "the lock was given up")
	defer l.Release()
	_, err = AcquireLock(ctx, runs, 0, Holder{PID: 3})
	var locked *LockedError
	require.True(t, errors.As(err, &locked), "and the new holder's lock holds: %v", err)
	assert.Equal(t, 2, locked.Holder.PID)
}
