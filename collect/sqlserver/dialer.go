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
// not while it reads the pre-login answer, and after a cancelled query it
// waits up to five seconds for the server to confirm; a deadline on the
// connection itself ends every one of those waits at tmsdrift's bound.
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
	if network == "tcp" || network == "tcp4" || network == "tcp6" {
		d.mu.Lock()
		d.conn = c
		d.mu.Unlock()
	}
	return d.tls.watch(c), nil
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
