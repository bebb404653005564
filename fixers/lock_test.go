package fixers

import (
	"context"
	"errors"
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
	assert.Contains(t, err.Error(), "another fix is running")
	assert.Contains(t, err.Error(), "process 4242 on ops01")
	assert.Contains(t, err.Error(), "nothing was changed")

	require.NoError(t, first.Release())
	again, err := AcquireLock(ctx, runs, 0, Holder{PID: 2})
	require.NoError(t, err, "released: the next fixer gets it")
	require.NoError(t, again.Release())
}

func TestWaitingFixerGetsTheLockWhenReleased(t *testing.T) {
	runs := t.TempDir()
	ctx := testContext(t)
	first, err := AcquireLock(ctx, runs, 0, Holder{PID: 1})
	require.NoError(t, err)
	waiting := make(chan struct{}, 1)
	lockWaiting = func() {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}
	t.Cleanup(func() { lockWaiting = nil })
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
