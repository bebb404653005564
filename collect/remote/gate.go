package remote

import (
	"io"
	"sync"
)

// Gate forwards writes to W until Shut. Transports hand gates to
// libraries that may still write from their own goroutines after a call
// was abandoned at its deadline: after Shut those writes are dropped, so
// the caller's buffer is never written while it reads it.
type Gate struct {
	W io.Writer

	mu     sync.Mutex
	closed bool
}

// Write forwards p unless the gate is shut.
func (g *Gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, io.ErrClosedPipe
	}
	return g.W.Write(p)
}

// Shut stops forwarding; it waits for a write in progress.
func (g *Gate) Shut() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}
