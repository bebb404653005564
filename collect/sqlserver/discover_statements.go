package sqlserver

// The statements of `tmsdrift discover database` (discover.go): read-only
// questions that find where a tmsng schema keeps the TMS server addresses
// when it is not tmsdrift's reference schema. Like every statement here
// they are sent exactly as written and the TDS test server answers these
// texts; identifiers never go into the text from Go: they travel as
// parameters and SQL Server itself quotes them with QUOTENAME inside the
// dynamic statement, and the value searched for is a parameter too.

// DiscoverLockTimeout makes every statement of the search give up after
// two seconds waiting for a lock (error 1222) rather than queue behind
// TMS's own writers.
const DiscoverLockTimeout = "SET LOCK_TIMEOUT 2000;"

// DiscoverColumnsQuery lists every character column of the user tables of
// the connection's database, with the most characters it holds (-1:
// MAX) and whether it belongs to the primary key. Needs VIEW DEFINITION
// on the tables (db_datareader members see the tables they may read).
// text and ntext are left out: they cannot be compared with =.
const DiscoverColumnsQuery = `SELECT
    s.name AS table_schema,
    t.name AS table_name,
    c.name AS column_name,
    ty.name AS type_name,
    CASE WHEN c.max_length = -1 THEN -1
         WHEN ty.name IN ('nchar', 'nvarchar') THEN c.max_length / 2
         ELSE c.max_length END AS max_chars,
    CAST(CASE WHEN EXISTS (
        SELECT 1 FROM sys.indexes AS i
        JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
        WHERE i.object_id = t.object_id AND i.is_primary_key = 1 AND ic.column_id = c.column_id)
    THEN 1 ELSE 0 END AS bit) AS in_primary_key
FROM sys.tables AS t
JOIN sys.schemas AS s ON s.schema_id = t.schema_id
JOIN sys.columns AS c ON c.object_id = t.object_id
JOIN sys.types AS ty ON ty.user_type_id = c.system_type_id
WHERE t.is_ms_shipped = 0
  AND ty.name IN ('char', 'varchar', 'nchar', 'nvarchar')
ORDER BY s.name, t.name, c.column_id;`

// DiscoverValuesStatement returns, for at most @top rows of table
// @schema.@table whose column @match_column equals @value, the value of
// column @column (the matching column itself, when searching; another
// column of the same rows, to see what names them). SQL Server's
// comparison is the column's collation: case-insensitive and blind to
// trailing spaces by default.
const DiscoverValuesStatement = `DECLARE @sql nvarchar(max) = N'SELECT TOP (@top) CAST(' + QUOTENAME(@column) + N' AS nvarchar(4000)) AS value FROM '
    + QUOTENAME(@schema) + N'.' + QUOTENAME(@table)
    + N' WHERE ' + QUOTENAME(@match_column) + N' = @value;';
EXEC sys.sp_executesql @sql, N'@top int, @value nvarchar(4000)', @top = @top, @value = @value;`

// DiscoverPairsStatement returns at most @top rows of columns
// @name_column and @value_column of table @schema.@table: the rows of a
// table that keeps one setting per row, so every address can be named.
const DiscoverPairsStatement = `DECLARE @sql nvarchar(max) = N'SELECT TOP (@top) CAST(' + QUOTENAME(@name_column) + N' AS nvarchar(4000)) AS name, CAST('
    + QUOTENAME(@value_column) + N' AS nvarchar(4000)) AS value FROM '
    + QUOTENAME(@schema) + N'.' + QUOTENAME(@table) + N';';
EXEC sys.sp_executesql @sql, N'@top int', @top = @top;`
