package sqlserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// Errors from the driver and the network become sentences an
// administrator can act on. Two kinds leave this file:
//
//   - refusal: the server answered one question with an error (a missing
//     permission, a missing table). Only the facts of that question are
//     unknown; the probe carries on.
//   - any other error: the server is unreachable, refused the login,
//     stalled or dropped the connection. Every database fact is unknown.

// refusal is SQL Server's error answer to one question.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

// connectError explains why the connection or the login failed.
func (t *target) connectError(ctx context.Context, err error) error {
	if cerr := t.tls.certificateError(t.server()); cerr != nil {
		return t.scrub.error(cerr)
	}
	var me mssql.Error
	var dns *net.DNSError
	switch {
	case strings.Contains(err.Error(), "server does not support encryption"):
		return fmt.Errorf("SQL Server at %s does not offer encryption (it has no certificate, or its TLS is off), and database.encrypt is %s: give SQL Server a certificate (docs/database.md); only on a network you trust, set database.encrypt: optional", t.server(), t.tls.mode)
	case strings.Contains(err.Error(), "TLS Handshake failed"):
		why := strings.TrimSpace(err.Error()[strings.Index(err.Error(), "TLS Handshake failed")+len("TLS Handshake failed"):])
		why = strings.TrimPrefix(why, ": ")
		if t.tls.mode == inventory.EncryptStrict {
			return t.scrub.error(fmt.Errorf("SQL Server at %s did not complete TDS 8 (strict) TLS: %s (strict needs SQL Server 2022 or later with a certificate; older servers need database.encrypt: mandatory)", t.server(), why))
		}
		return t.scrub.error(fmt.Errorf("the TLS handshake with SQL Server at %s failed: %s", t.server(), why))
	case errors.As(err, &me):
		return t.scrub.error(t.loginRefused(me))
	case errors.Is(ctx.Err(), context.Canceled):
		// The dialer ended a stalled handshake with a past deadline
		// (dialer.go): a timeout to the driver, a cancellation here.
		return errors.New("interrupted while connecting to SQL Server")
	case timedOut(ctx, err):
		return fmt.Errorf("SQL Server at %s did not answer within %s (database.connect_timeout_seconds): the server, a firewall or the network stalls the connection", t.server(), t.connectTimeout)
	case errors.As(err, &dns):
		why := "the name does not resolve"
		if !dns.IsNotFound {
			why = "the DNS lookup failed: " + dns.Err
		}
		return t.scrub.error(fmt.Errorf("cannot find SQL Server host %q: %s (check the host in $%s)", t.cfg.Host, why, t.env))
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("SQL Server at %s refused the connection: nothing listens there (is SQL Server running, TCP/IP enabled and the port right?)", t.server())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("SQL Server at %s closed the connection before the login completed", t.server())
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted while connecting to SQL Server")
	}
	return t.scrub.error(fmt.Errorf("cannot connect to SQL Server at %s: %w", t.server(), err))
}

// loginRefused explains SQL Server's answer to a login it did not accept.
// The server hides the exact reason of 18456 from clients on purpose.
func (t *target) loginRefused(me mssql.Error) error {
	all := me.All
	if len(all) == 0 {
		all = []mssql.Error{me}
	}
	for _, e := range all {
		if e.Number == 4060 {
			return fmt.Errorf("SQL Server at %s refused the login: it cannot open the database named in $%s (error 4060: the database does not exist, is not online, or %s has no access to it)", t.server(), t.env, t.login())
		}
	}
	switch me.Number {
	case 18456:
		return fmt.Errorf("SQL Server at %s refused %s (error 18456: wrong user name or password, or the login may not connect)", t.server(), t.login())
	case 18470:
		return fmt.Errorf("SQL Server at %s refused %s: the login is disabled (error 18470)", t.server(), t.login())
	case 18486:
		return fmt.Errorf("SQL Server at %s refused %s: the login is locked out after too many failed attempts (error 18486)", t.server(), t.login())
	case 18487, 18488:
		return fmt.Errorf("SQL Server at %s refused %s: its password expired or must be changed (error %d)", t.server(), t.login(), me.Number)
	}
	return fmt.Errorf("SQL Server at %s refused %s (error %d: %s)", t.server(), t.login(), me.Number, me.Message)
}

// queryError explains why the question what could not be answered: a
// *refusal when the server said no, otherwise an error that ends the probe.
func (t *target) queryError(ctx context.Context, what string, err error) error {
	var me mssql.Error
	switch {
	case errors.As(err, &me):
		return &refusal{t.scrub.clean(fmt.Sprintf("SQL Server refused %s (error %d: %s)%s", what, me.Number, me.Message, hint(me.Number)))}
	case timedOut(ctx, err):
		return fmt.Errorf("SQL Server at %s did not answer %s within %s (database.query_timeout_seconds): the server is stalled or blocked", t.server(), what, t.queryTimeout)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("interrupted while reading %s", what)
	}
	return t.scrub.error(fmt.Errorf("the connection to SQL Server at %s broke while reading %s: %w", t.server(), what, err))
}

// hint says what to do about the errors a least-privilege login meets.
func hint(number int32) string {
	switch number {
	case 229, 230, 297, 300:
		return "; grant the login the permission docs/database.md lists"
	case 208, 207:
		return "; the object is not there: for the TMS addresses, check database.settings against your TMS version"
	}
	return ""
}

// timedOut reports whether err comes from the step's deadline: the
// context's or the connection's.
func timedOut(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
