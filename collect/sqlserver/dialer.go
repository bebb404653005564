package sqlserver

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// dialer gives go-mssqldb its TCP connections with a hard deadline on
// them. The driver honours contexts while it waits for result tokens, but
// not while it reads the pre-login answer or runs the TLS handshake, and
// after a cancelled query it waits up to five seconds for the server to
// confirm; a deadline on the connection itself ends every one of those
// waits at tmsdrift's bound. Until the login is complete (unwatch), the
// caller's context being cancelled ends them too: `serve` gives a run up
// when it stops, and a server stalling the handshake must not hold it for
// the whole connect timeout.
//
// It is a mssql.HostDialer, so the driver hands it the host name and DNS
// resolution happens here, under the context, instead of in the driver's
// context-free net.LookupIP (an unresolvable name would otherwise wait for
// the system resolver's own timeouts).
type dialer struct {
	host string
	nd   net.Dialer
	// tls watches the server's pre-login answer on the connection.
	tls *tlsState

	mu   sync.Mutex
	conn net.Conn // the TCP connection of the session; one per dialer
	// caller is the context open was called with. The driver's own dial
	// context ends as soon as the login is done, so it cannot be watched;
	// while this one is, its cancellation ends the connections dialled
	// (watches) until unwatch stops them.
	caller  context.Context
	watches []func() bool
}

// DialContext dials and sets the context's deadline on the connection: the
// connect timeout covers pre-login and login too.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := d.nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		if err := c.SetDeadline(dl); err != nil {
			c.Close()
			return nil, fmt.Errorf("set connection deadline: %w", err)
		}
	}
	d.mu.Lock()
	if d.caller != nil {
		// A deadline in the past wakes every read and write blocked on
		// the connection, and the driver gives up with a timeout (open
		// tells it from the connect timeout by the caller's ctx.Err).
		d.watches = append(d.watches, context.AfterFunc(d.caller, func() { _ = c.SetDeadline(time.Unix(1, 0)) }))
	}
	if network == "tcp" || network == "tcp4" || network == "tcp6" {
		d.conn = c
	}
	d.mu.Unlock()
	return d.tls.watch(c), nil
}

// unwatch ends the caller's context's hold on the connections, once the
// login is complete or failed; from then on each step sets its own
// deadline. It reports whether the context was cancelled first (the
// connection's deadline is then already in the past).
func (d *dialer) unwatch() (interrupted bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, stop := range d.watches {
		if !stop() {
			interrupted = true
		}
	}
	d.watches = nil
	return interrupted
}

// HostName makes dialer a mssql.HostDialer (see the type's comment).
func (d *dialer) HostName() string { return d.host }

// deadline moves the session connection's hard deadline; the zero time
// removes it. Without a TCP connection (named pipes, shared memory on
// Windows) only the contexts bound the time.
func (d *dialer) deadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		return nil
	}
	if err := d.conn.SetDeadline(t); err != nil {
		return fmt.Errorf("set connection deadline: %w", err)
	}
	return nil
}
