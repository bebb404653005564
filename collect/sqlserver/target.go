package sqlserver

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// target is one SQL Server to talk to: the parsed DSN, the variable it came
// from, the time bounds, and the secrets no message may show.
type target struct {
	env            string
	cfg            msdsn.Config
	connectTimeout time.Duration
	queryTimeout   time.Duration
	scrub          scrubber
	// tls is the connection's encryption (tls.go).
	tls *tlsState
}

// newTarget reads the DSN from the environment variable env and prepares
// the driver's configuration with tmsdrift's time bounds and encryption.
func newTarget(env string, db inventory.Database, want tlsWanted) (*target, error) {
	if env == "" {
		return nil, errors.New("database.dsn_env is not set: live access needs the name of the environment variable holding the DSN")
	}
	dsn, ok := os.LookupEnv(env)
	if !ok || strings.TrimSpace(dsn) == "" {
		return nil, fmt.Errorf("environment variable %s is not set: it must hold the TMS database's connection string, e.g. sqlserver://user:password@sql01.acme.local/TMS?database=tmsng", env)
	}
	cfg, err := msdsn.Parse(dsn)
	if err != nil {
		// The parser's message can quote parts of the string, the password
		// among them; say what is wrong without it.
		return nil, fmt.Errorf("environment variable %s does not hold a valid SQL Server connection string (expected e.g. sqlserver://user:password@sql01.acme.local/TMS?database=tmsng; the parser's details are not shown since they could contain the password)", env)
	}
	t := &target{
		env:            env,
		connectTimeout: seconds(db.ConnectTimeoutSeconds, inventory.DefaultConnectTimeoutSeconds),
		queryTimeout:   seconds(db.QueryTimeoutSeconds, inventory.DefaultQueryTimeoutSeconds),
		scrub:          newScrubber(dsn, cfg.Password, cfg.ChangePassword),
	}
	// tmsdrift bounds time itself: the connection carries the deadline of
	// each step (dialer.go), the dial and DNS lookup end with the connect
	// timeout, and no per-read idle timeout from the DSN second-guesses it.
	cfg.DialTimeout = t.connectTimeout
	cfg.ConnTimeout = 0
	// A retry on a broken connection would restart the clock.
	cfg.DisableRetry = true
	if cfg.AppName == "" {
		cfg.AppName = "tmsdrift"
	}
	if t.tls, err = configureTLS(&cfg, env, want); err != nil {
		return nil, t.scrub.error(err)
	}
	t.cfg = cfg
	return t, nil
}

// seconds turns an inventory limit into a duration; 0 means the default
// (inventories built in code may skip ApplyDefaults).
func seconds(v, def float64) time.Duration {
	if v <= 0 {
		v = def
	}
	return time.Duration(v * float64(time.Second))
}

// namesDatabase reports whether the DSN logs in to the database called
// name. The settings statements then run as written; otherwise they run
// in name through InDatabaseQuery and InDatabaseUpdate (statements.go).
func (t *target) namesDatabase(name string) bool {
	return strings.EqualFold(strings.TrimSpace(t.cfg.Database), name)
}

// tmsDatabase is database.name, or the default for an inventory built in
// code without ApplyDefaults.
func tmsDatabase(db inventory.Database) string {
	if strings.TrimSpace(db.Name) == "" {
		return inventory.DefaultDatabaseName
	}
	return db.Name
}

// server names the SQL Server for messages: host, instance or port. It is
// not secret; the user name and password are never part of it.
func (t *target) server() string {
	s := t.cfg.Host
	if s == "" {
		s = "localhost"
	}
	if t.cfg.Instance != "" {
		s += `\` + t.cfg.Instance
	}
	if t.cfg.Port != 0 {
		s += ":" + strconv.FormatUint(t.cfg.Port, 10)
	}
	return s
}

// login names the login for messages: the SQL login, or Windows
// integrated authentication when the DSN has no user.
func (t *target) login() string {
	if t.cfg.User == "" {
		return "the Windows account running tmsdrift (integrated authentication)"
	}
	return fmt.Sprintf("login %q", t.cfg.User)
}

// newScrubber collects the strings that must never be shown: the whole
// DSN, and the password as written and as URL-escaped in a sqlserver://
// URL.
func newScrubber(dsn string, passwords ...string) scrubber {
	s := scrubber{dsn}
	for _, p := range passwords {
		if p == "" {
			continue
		}
		s = append(s, p, url.QueryEscape(p), url.PathEscape(p), url.UserPassword("", p).String())
	}
	return s
}
