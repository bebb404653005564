// Package sqlserver reads the TMS database's facts live from SQL Server
// through github.com/microsoft/go-mssqldb, and writes the TMS server
// addresses for fixers.
//
// Gather is collect.Options.LiveDB: it fills the same facts.DBFacts a
// recorded db.json holds, so every db.* and addresses.* rule judges a live
// server exactly as it judges a snapshot. ReadSettings reads the TMS
// server addresses alone, and WriteAddresses writes them as a
// compare-and-set in one serializable transaction (issue 4's fixer calls
// both).
//
// Three promises hold for everything here:
//
//   - The DSN comes only from the environment variable the inventory names
//     (database.dsn_env); it and its password never appear in a result,
//     an error or a log line (scrub.go).
//   - Time is bounded: connect_timeout_seconds covers resolving, connecting
//     and logging in; query_timeout_seconds each statement. The connection
//     itself carries the deadline, so a server that stops answering cannot
//     hold a run past it, whatever the driver does.
//   - Nothing from the inventory is pasted into SQL text: the statements
//     are constants (statements.go) or the operator's own settings
//     statements, and every value travels as a parameter.
//
// docs/database.md lists the statements, the permissions they need and how
// latency is measured.
package sqlserver
