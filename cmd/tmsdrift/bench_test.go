package main

import (
	"context"
	"io"
	"testing"

	"github.com/tmsdrift/tmsdrift/fixtures/fleet"
	"github.com/tmsdrift/tmsdrift/report"
)

// BenchmarkAudit1000Nodes is the whole audit of a synthetic 1,000-node
// deployment (load inventory, read every snapshot, evaluate, render JSON),
// without customer files: hashing is measured by bench/datasync.sh.
// Target: under 1 s per op on 2 cores; bench/fleet.sh adds peak memory.
func BenchmarkAudit1000Nodes(b *testing.B) {
	inv, err := fleet.Write(b.TempDir(), 1000)
	if err != nil {
		b.Fatal(err)
	}
	args := []string{"audit", "-i", inv, "--format", "json"}
	if code := run(context.Background(), args, nil, io.Discard, io.Discard); code != report.ExitOK {
		b.Fatalf("the synthetic fleet must be compliant, exit %d", code)
	}
	b.ResetTimer()
	for b.Loop() {
		run(context.Background(), args, nil, io.Discard, io.Discard)
	}
}
