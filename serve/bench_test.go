package serve

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/tmsdrift/tmsdrift/history"
)

// BenchmarkScheduledRunsHeap runs the service through 1,000 scheduled
// runs on gocron's fake clock (an hour apart, the single lab, the history
// pruned to its default 90) and reports the live heap after run 10 and
// after run 1,000: nothing may grow from run to run. Run it with
// -benchtime=1x (bench/README.md has the results).
func BenchmarkScheduledRunsHeap(b *testing.B) {
	for b.Loop() {
		at10, at1000 := scheduledRunsHeap(b, 1000)
		b.ReportMetric(float64(at10)/(1<<20), "heapMB@10")
		b.ReportMetric(float64(at1000)/(1<<20), "heapMB@1000")
		b.ReportMetric(float64(at1000)/float64(at10), "ratio")
	}
}

func scheduledRunsHeap(b *testing.B, n int) (at10, at1000 uint64) {
	inv := labWith(b, "single", "schedule:\n  audit: '@every 1h'\n  listen: '127.0.0.1:0'\n")
	fc := clockwork.NewFakeClockAt(t0)
	runs := make(chan *history.Run, 4)
	ready := make(chan struct{})
	svc, err := New(Options{InventoryPath: inv, Clock: fc,
		OnRun: func(r *history.Run) { runs <- r },
		Ready: func(net.Addr) { close(ready) }})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx) }()
	<-ready
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for i := 1; i <= n; i++ {
		if err := fc.BlockUntilContext(ctx, 1); err != nil {
			b.Fatal(err)
		}
		next, err := svc.NextRun()
		for err == nil && !next.After(fc.Now()) {
			time.Sleep(time.Millisecond) // gocron moves its next run forward as it hands a run out
			next, err = svc.NextRun()
		}
		if err != nil {
			b.Fatal(err)
		}
		fc.Advance(next.Sub(fc.Now()))
		select {
		case <-runs:
		case <-time.After(time.Minute):
			b.Fatalf("run %d did not finish", i)
		}
		switch i {
		case 10:
			at10 = heap()
		case n:
			at1000 = heap()
		}
	}
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return at10, at1000
}
