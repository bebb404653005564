package sqlserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// DiscoverOptions bound `tmsdrift discover database`: it reads a
// production database, so every part of it has a limit.
type DiscoverOptions struct {
	// Values are what the administrator reads on TMS's Network Settings
	// page (the TMS Server IPv4 Address, its host name, ...).
	Values []string
	// Top is how many rows are read per column and value (default 5).
	Top int
	// Budget bounds the whole search (default 60 s); what is not searched
	// by then is reported as not searched, never as "not there".
	Budget time.Duration
	// MaxPairs is how many rows of a one-setting-per-row table are read
	// to name every address (default 200).
	MaxPairs int
}

// Column is a character column of a user table of the TMS database.
type Column struct {
	Schema, Table, Name, Type string
	// MaxChars is the most characters the column holds; -1 is MAX.
	MaxChars   int
	PrimaryKey bool
}

// TableName is "schema.table".
func (c Column) TableName() string { return c.Schema + "." + c.Table }

// Hit is a column that holds one of the values searched for.
type Hit struct {
	Column Column
	Value  string
	// Rows is how many rows hold it (at most Top).
	Rows int
	// Siblings are the other character columns of the table with what
	// they hold in those rows: the column that names a setting, in a
	// table keeping one setting per row.
	Siblings []Sibling
}

// Sibling is another column of a hit's rows and its values there.
type Sibling struct {
	Column Column
	Values []sql.NullString
}

// Pairs are rows of a table read as (name, value): a candidate for
// database.settings.
type Pairs struct {
	Schema, Table           string
	NameColumn, ValueColumn string
	Rows                    []PairRow
	// Truncated is true when the table may hold more rows than were read.
	Truncated bool
}

// PairRow is one (name, value) row; NULL is Valid false.
type PairRow struct{ Name, Value sql.NullString }

// Discovery is what the search found. Every string in it came from the
// database: outside input, to be escaped before it reaches a terminal.
type Discovery struct {
	Server, Database string
	// Edition and ProductVersion are SERVERPROPERTY's, for the facts to
	// report.
	Edition, ProductVersion string
	Columns                 []Column
	// Searched counts the (column, value) searches made; Skipped the
	// columns too short for a value.
	Searched, Skipped int
	Hits              []Hit
	Pairs             []Pairs
	// Problems are searches the server refused or did not finish (a lock
	// held too long, a permission); Incomplete says the budget ran out.
	Problems   []string
	Incomplete string
}

// Discover searches the character columns of the TMS database's user
// tables for each value, on one connection to the server database.dsn_env
// names. It is read-only: it sets a lock timeout for its own session and
// runs SELECTs; identifiers are quoted by SQL Server (QUOTENAME) and
// values travel as parameters. A column shorter than a value is not
// searched for it; each search reads at most Top rows; the whole search
// stops at Budget and says what it did not reach.
func Discover(ctx context.Context, inv *inventory.Inventory, opts DiscoverOptions) (*Discovery, error) {
	if len(opts.Values) == 0 {
		return nil, errors.New("nothing to search for: give --value (what the Network Settings page shows)")
	}
	if opts.Top <= 0 {
		opts.Top = 5
	}
	if opts.Budget <= 0 {
		opts.Budget = time.Minute
	}
	if opts.MaxPairs <= 0 {
		opts.MaxPairs = 200
	}
	db := inv.Database
	t, err := newTarget(db.DSNEnv, db, wantedTLS(inv, true))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Budget)
	defer cancel()
	s, err := open(ctx, t)
	if err != nil {
		return nil, err
	}
	d := &Discovery{Server: t.server()}
	err = s.discover(ctx, d, opts)
	if err != nil && spent(ctx) {
		// The budget ran out: report what was searched, never an absence.
		d.Incomplete, err = fmt.Sprintf("the time budget (%s) ran out after %d searches", opts.Budget, d.Searched), nil
	}
	if cerr := s.close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (s *session) discover(ctx context.Context, d *Discovery, opts DiscoverOptions) error {
	if err := s.step(ctx, "the lock timeout ("+DiscoverLockTimeout+")", func(ctx context.Context) error {
		_, err := s.conn.ExecContext(ctx, DiscoverLockTimeout)
		return err
	}); err != nil {
		return err
	}
	if err := s.query(ctx, "the connection's database", ServerQuery, func(r *sql.Rows) error {
		var skip [7]sql.NullString
		var current sql.NullString
		var rest [3]sql.NullString
		dest := []any{&skip[0], &skip[1], &skip[2], &skip[3], &skip[4], &skip[5], &skip[6], &current, &rest[0], &rest[1], &rest[2]}
		if err := r.Scan(dest...); err != nil {
			return err
		}
		d.Database, d.Edition, d.ProductVersion = current.String, skip[1].String, skip[2].String
		return nil
	}, sql.Named("p1", "")); err != nil {
		return err
	}
	if err := s.query(ctx, "the character columns of the user tables", DiscoverColumnsQuery, func(r *sql.Rows) error {
		var c Column
		var maxChars int64
		if err := r.Scan(&c.Schema, &c.Table, &c.Name, &c.Type, &maxChars, &c.PrimaryKey); err != nil {
			return err
		}
		c.MaxChars = int(maxChars)
		d.Columns = append(d.Columns, c)
		return nil
	}); err != nil {
		return err
	}

	// Search every long enough column for every value.
	for _, v := range opts.Values {
		for _, c := range d.Columns {
			if c.MaxChars != -1 && c.MaxChars < utf8.RuneCountInString(v) {
				d.Skipped++
				continue
			}
			if spent(ctx) {
				d.Incomplete = fmt.Sprintf("the time budget (%s) ran out after %d searches", opts.Budget, d.Searched)
				return nil
			}
			d.Searched++
			found, err := s.columnValues(ctx, c, c, v, opts.Top)
			if done, err := d.note(ctx, opts, err); done || err != nil {
				return err
			}
			if len(found) > 0 {
				d.Hits = append(d.Hits, Hit{Column: c, Value: v, Rows: len(found)})
			}
		}
	}
	// What names the matching rows: the table's other character columns.
	for i := range d.Hits {
		h := &d.Hits[i]
		for _, c := range d.Columns {
			if c.Schema != h.Column.Schema || c.Table != h.Column.Table || c.Name == h.Column.Name {
				continue
			}
			vals, err := s.columnValues(ctx, c, h.Column, h.Value, opts.Top)
			if done, err := d.note(ctx, opts, err); done || err != nil {
				return err
			}
			h.Siblings = append(h.Siblings, Sibling{Column: c, Values: vals})
		}
	}
	// A table with one setting per row: read its (name, value) pairs.
	seen := map[string]bool{}
	for _, h := range d.Hits {
		for _, sib := range h.Siblings {
			if !namesRows(sib) {
				continue
			}
			key := strings.ToLower(h.Column.TableName() + "|" + sib.Column.Name + "|" + h.Column.Name)
			if seen[key] {
				continue
			}
			seen[key] = true
			p := Pairs{Schema: h.Column.Schema, Table: h.Column.Table, NameColumn: sib.Column.Name, ValueColumn: h.Column.Name}
			err := s.query(ctx, "rows of "+h.Column.TableName(), DiscoverPairsStatement, func(r *sql.Rows) error {
				var row PairRow
				if err := r.Scan(&row.Name, &row.Value); err != nil {
					return err
				}
				p.Rows = append(p.Rows, row)
				return nil
			}, sql.Named("schema", p.Schema), sql.Named("table", p.Table), sql.Named("name_column", p.NameColumn),
				sql.Named("value_column", p.ValueColumn), sql.Named("top", int64(opts.MaxPairs)))
			if done, err := d.note(ctx, opts, err); done || err != nil {
				return err
			}
			p.Truncated = len(p.Rows) >= opts.MaxPairs
			d.Pairs = append(d.Pairs, p)
		}
	}
	return nil
}

// namesRows reports whether a sibling column holds a name in every
// matching row (non-NULL, not empty): the name column of a
// one-setting-per-row table.
func namesRows(s Sibling) bool {
	if len(s.Values) == 0 {
		return false
	}
	for _, v := range s.Values {
		if !v.Valid || strings.TrimSpace(v.String) == "" {
			return false
		}
	}
	return true
}

// columnValues reads column col of at most top rows of its table whose
// column match equals value.
func (s *session) columnValues(ctx context.Context, col, match Column, value string, top int) ([]sql.NullString, error) {
	var out []sql.NullString
	err := s.query(ctx, fmt.Sprintf("column %s of %s", col.Name, col.TableName()), DiscoverValuesStatement, func(r *sql.Rows) error {
		var v sql.NullString
		if err := r.Scan(&v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}, sql.Named("schema", col.Schema), sql.Named("table", col.Table), sql.Named("column", col.Name),
		sql.Named("match_column", match.Name), sql.Named("value", value), sql.Named("top", int64(top)))
	return out, err
}

// note records a refused search and carries on; it stops the search
// (done) when the budget ran out, and returns err when the connection
// failed.
func (d *Discovery) note(ctx context.Context, opts DiscoverOptions, err error) (done bool, _ error) {
	var r *refusal
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &r):
		d.Problems = append(d.Problems, r.msg)
		return false, nil
	case spent(ctx):
		d.Incomplete = fmt.Sprintf("the time budget (%s) ran out after %d searches", opts.Budget, d.Searched)
		return true, nil
	}
	return true, err
}

// spent reports whether the budget's context is done or its deadline has
// passed (a statement's own timeout, derived from it, may fire first).
func spent(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
