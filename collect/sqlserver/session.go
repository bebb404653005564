package sqlserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
)

// session is one open connection to one SQL Server. Every statement of a
// probe runs on this one connection, so the latency samples time the same
// path the facts were read over, and nothing opens behind tmsdrift's back.
type session struct {
	t      *target
	db     *sql.DB
	conn   *sql.Conn
	dialer *dialer
	// connectMS is how long resolving, connecting and logging in took.
	connectMS float64
}

// open connects and logs in within the connect timeout.
func open(ctx context.Context, t *target) (*session, error) {
	d := &dialer{host: t.cfg.Host, tls: t.tls, caller: ctx}
	c := mssql.NewConnectorConfig(t.cfg)
	c.Dialer = d
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)

	cctx, cancel := context.WithTimeout(ctx, t.connectTimeout)
	defer cancel()
	start := time.Now()
	conn, err := db.Conn(cctx)
	elapsed := time.Since(start)
	interrupted := d.unwatch()
	if err != nil {
		if interrupted {
			// The caller gave up and the dialer ended the stalled
			// connection. Decided here, not from cctx.Err(): a parent's
			// cancel closes its Done channel (which the dialer's watch
			// sees) before it cancels cctx, so cctx could still look
			// alive and the failure read as the connect timeout.
			err = errors.New("interrupted while connecting to SQL Server")
		} else {
			err = t.connectError(cctx, err)
		}
		if cerr := db.Close(); cerr != nil {
			err = fmt.Errorf("%w (closing: %v)", err, t.scrub.error(cerr))
		}
		return nil, err
	}
	s := &session{t: t, db: db, conn: conn, dialer: d, connectMS: millis(elapsed)}
	if interrupted {
		return nil, errors.Join(errors.New("interrupted while connecting to SQL Server"), s.close())
	}
	if err := d.deadline(time.Time{}); err != nil {
		return nil, errors.Join(err, s.close())
	}
	return s, nil
}

// close ends the session; the connection goes with the pool.
func (s *session) close() error {
	return s.t.scrub.error(errors.Join(s.conn.Close(), s.db.Close()))
}

// step runs fn under the query timeout, with the same deadline on the
// connection itself.
func (s *session) step(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	qctx, cancel := context.WithTimeout(ctx, s.t.queryTimeout)
	defer cancel()
	dl, _ := qctx.Deadline()
	if err := s.dialer.deadline(dl); err != nil {
		return err
	}
	if err := fn(qctx); err != nil {
		var r *refusal
		if errors.As(err, &r) {
			return r
		}
		return s.t.queryError(qctx, what, err)
	}
	return nil
}

// queryer runs a statement that returns rows: the session's connection,
// or a transaction open on it (*sql.Conn and *sql.Tx both are one).
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// query runs stmt with args on the connection and hands every row to
// scan. A scan error (a statement returning other columns than expected)
// is a refusal of that question, not a broken connection.
func (s *session) query(ctx context.Context, what, stmt string, scan func(*sql.Rows) error, args ...any) error {
	return s.queryOn(ctx, s.conn, what, stmt, scan, args...)
}

// queryOn is query on q: the connection, or a transaction on it.
func (s *session) queryOn(ctx context.Context, q queryer, what, stmt string, scan func(*sql.Rows) error, args ...any) error {
	return s.step(ctx, what, func(ctx context.Context) error {
		rows, err := q.QueryContext(ctx, stmt, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return &refusal{s.t.scrub.clean(fmt.Sprintf("cannot read %s: %v", what, err))}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return rows.Close()
	})
}

// ping times one round trip of PingStatement.
func (s *session) ping(ctx context.Context) (time.Duration, error) {
	var took time.Duration
	err := s.step(ctx, "a round trip ("+PingStatement+")", func(ctx context.Context) error {
		start := time.Now()
		_, err := s.conn.ExecContext(ctx, PingStatement)
		took = time.Since(start)
		return err
	})
	return took, err
}

// millis is a duration in milliseconds, to the microsecond.
func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
