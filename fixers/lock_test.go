package fixers

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecondFixerFailsClearly(t *testing.T) {
	runs := t.TempDir()
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

func TestWaitingFixerGetsTheLockWhenReleased(t *testing.T) {
	runs := t.TempDir()
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
	select {
	case <-waiting:
	case err := <-got:
		t.Fatalf("the second fixer did not wait: %v", err)
	case <-ctx.Done():
		t.Fatal("the second fixer never tried the lock")
	}
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
	runs := t.TempDir()
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
	runs := t.TempDir()
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
	top := t.TempDir()
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
	runs := filepath.Join(t.TempDir(), "runs")
	first, err := AcquireLock(ctx, runs, 0, Holder{PID: 1})
	require.NoError(t, err)
	waiting := whenWaiting(t)
	got := make(chan *Lock, 1)
	go func() {
		l, err := AcquireLock(ctx, runs, time.Minute, Holder{PID: 2})
		assert.NoError(t, err)
		got <- l
	}()
	<-waiting
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
	runs := filepath.Join(t.TempDir(), "runs")
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
