package sqlserver

// The statements tmsdrift sends to SQL Server, exactly as sent. They are
// exported so the TDS test server (fixtures/tdsserver) answers these very
// texts and nothing else: a typo here fails the tests loudly instead of
// matching a pattern. Values never go into the text; they travel as
// sp_executesql parameters (@p1, @name, @value). docs/database.md lists
// them with the permissions each needs.

// PingStatement is the trivial round trip the latency measurement repeats
// on the open connection.
const PingStatement = "SELECT 1;"

// ServerQuery reads the server's own facts in one round trip:
// SERVERPROPERTY, the server's UTC clock (every age is measured against
// it), the connection's database, and the sys.databases row of the TMS
// database (@p1, its name; no row when it does not exist). Readable by any
// login (sys.databases lists every database to holders of VIEW ANY
// DATABASE, which public has by default).
const ServerQuery = `SELECT
    CAST(SERVERPROPERTY('ServerName') AS nvarchar(128)) AS server_name,
    CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition,
    CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS product_version,
    CAST(SERVERPROPERTY('IsClustered') AS bit) AS is_clustered,
    CAST(SERVERPROPERTY('IsHadrEnabled') AS bit) AS is_hadr_enabled,
    CAST(SERVERPROPERTY('IsIntegratedSecurityOnly') AS bit) AS integrated_security_only,
    SYSUTCDATETIME() AS observed_at,
    DB_NAME() AS current_database,
    d.name AS database_name,
    d.state_desc AS state,
    d.recovery_model_desc AS recovery_model
FROM (VALUES (1)) AS one (x)
LEFT JOIN sys.databases AS d ON d.name = @p1;`

// BackupQuery returns when the last full backup (type D) of database @p1
// finished, in UTC: backupset stores the server's local time plus its
// offset from UTC in 15-minute steps (127 when unknown, then the server's
// current offset is used). No row: never backed up. Needs SELECT on
// msdb.dbo.backupset (db_datareader in msdb, or membership of
// db_backupoperator).
const BackupQuery = `SELECT TOP (1)
    CASE WHEN b.time_zone BETWEEN -48 AND 48
        THEN DATEADD(minute, -15 * b.time_zone, b.backup_finish_date)
        ELSE DATEADD(minute, DATEDIFF(minute, SYSDATETIME(), SYSUTCDATETIME()), b.backup_finish_date)
    END AS finished_utc
FROM msdb.dbo.backupset AS b
WHERE b.database_name = @p1 AND b.type = 'D' AND b.backup_finish_date IS NOT NULL
ORDER BY b.backup_finish_date DESC;`

// LogShippingSecondariesQuery lists, on the primary, the secondaries that
// log shipping of database @p1 feeds. No row: log shipping is not
// configured. Needs SELECT on the two msdb tables.
const LogShippingSecondariesQuery = `SELECT s.secondary_server
FROM msdb.dbo.log_shipping_primary_databases AS p
JOIN msdb.dbo.log_shipping_primary_secondaries AS s ON s.primary_id = p.primary_id
WHERE p.primary_database = @p1;`

// LogShippingRestoreQuery reads SQL Server's log-shipping monitor record of
// the last restore of database @p1, on the secondary (or on a monitor
// server that keeps a copy). last_restored_date_utc is NULL until the
// first restore. Needs SELECT on msdb.dbo.log_shipping_monitor_secondary.
const LogShippingRestoreQuery = `SELECT secondary_server, last_restored_date_utc
FROM msdb.dbo.log_shipping_monitor_secondary
WHERE primary_database = @p1;`

// The TMS server addresses live in tmsng, whose schema Cisco does not
// publish and which changes between TMS versions. These defaults match
// tmsdrift's reference schema (the one the TDS test server and the labs
// use): a table dbo.NetworkSettings (Name nvarchar(128) primary key, Value
// nvarchar(4000) NULL) with one row per address, named after the fields of
// TMS's Administrative Tools > Configuration > Network Settings page. They
// are a tmsdrift assumption, NOT taken from a TMS release: an operator checks them against their
// TMS version and sets database.settings in the inventory
// (docs/database.md).
const (
	// DefaultSettingsQuery returns the settings as rows of (name, value),
	// in the DSN's database.
	DefaultSettingsQuery = "SELECT Name, Value FROM dbo.NetworkSettings;"
	// DefaultSettingsUpdate changes one setting: @name is the setting's
	// name, @value its new value. A fixer runs it once per address inside
	// one transaction and insists on exactly one row affected.
	DefaultSettingsUpdate = "UPDATE dbo.NetworkSettings SET Value = @value WHERE Name = @name;"

	DefaultNameIPv4Local = "TMSServerIPv4Address"
	DefaultNameIPv6Local = "TMSServerIPv6Address"
	DefaultNameDNSLocal  = "TMSServerFQDN"
	DefaultNameDNSPublic = "TMSServerPublicAddress"
)

// The settings statements run in the TMS database (database.name) whatever
// database the DSN names. When the DSN names it, they are sent as they
// are; otherwise — a DSN on msdb or master, as the log-shipping
// secondary's must be while its copy of tmsng is restoring (the off-site
// runbooks then write the addresses through it), or one without a
// database — they travel as the parameter @stmt of the TMS database's own
// sp_executesql: EXEC tmsng.sys.sp_executesql runs its statement in
// tmsng's context, and "EXECUTE (Transact-SQL)" lets a variable hold the
// module's name (a widely used pattern for a database chosen at run time;
// not tried against a real SQL Server here). The procedure's name is
// built on the server from the parameter @db with QUOTENAME, so the
// database name, like every value, is never part of the text and cannot
// be read as SQL; QUOTENAME returns NULL beyond 128 characters, which the
// inventory refuses (database.name). docs/database.md.
const (
	// InDatabaseQuery runs @stmt, a statement returning rows (the
	// settings query), in database @db.
	InDatabaseQuery = `DECLARE @run nvarchar(300) = QUOTENAME(@db) + N'.sys.sp_executesql';
EXEC @run @stmt;`
	// InDatabaseUpdate runs @stmt, the settings update, in database @db
	// with its parameters @name and @value passed on (declared
	// nvarchar(max), so nothing is cut short on the way). The rows it
	// changes are reported as the update's own.
	InDatabaseUpdate = `DECLARE @run nvarchar(300) = QUOTENAME(@db) + N'.sys.sp_executesql';
EXEC @run @stmt, N'@name nvarchar(max), @value nvarchar(max)', @name = @name, @value = @value;`
)
