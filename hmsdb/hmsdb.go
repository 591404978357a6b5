package hmsdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/shoalhq/shoal"
	"github.com/shoalhq/shoal/internal/hivemeta"
)

// URI schemes of the catalog.
const (
	SchemeMySQL    = "hmsdb+mysql"
	SchemePostgres = "hmsdb+postgres"
)

// Default timeouts, used when the URI does not set connect_timeout or
// query_timeout.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultQueryTimeout   = 60 * time.Second
)

// DefaultCatalog is the Hive catalog (CTLGS.NAME) whose databases are read.
const DefaultCatalog = "hive"

// TableMaterializedView is the Hive table type of materialized views, which
// like views are not scanned for partitions.
const TableMaterializedView = hivemeta.TableMaterializedView

// dialect is the backend database flavour.
type dialect int

const (
	dialectMySQL dialect = iota
	dialectPostgres
)

// Catalog reads a Hive Metastore's backend database. It is safe for
// concurrent use.
type Catalog struct {
	db          *sql.DB
	dialect     dialect
	version     string
	hasCatalogs bool // DBS.CTLG_NAME exists
	// partitionsIndexHint forces MySQL to read a table's partitions
	// through an index that starts with TBL_ID: its optimizer otherwise
	// scans all of PARTITIONS once per table of a large metastore.
	partitionsIndexHint string
	queryTimeout        time.Duration
}

var _ shoal.Catalog = (*Catalog)(nil)

// config is a parsed catalog URI.
type config struct {
	dialect        dialect
	user, password string
	host, port     string
	dbname         string
	params         url.Values // driver parameters that are passed on
	connectTimeout time.Duration
	queryTimeout   time.Duration
	redacted       string // the URI without its password
}

// Query parameters accepted by each dialect besides connect_timeout and
// query_timeout. Anything else is refused, so that a URI cannot turn off
// the read-only session.
var allowedParams = map[dialect][]string{
	dialectMySQL:    {"tls", "charset", "loc"},
	dialectPostgres: {"sslmode", "sslrootcert", "sslcert", "sslkey", "application_name", "search_path"},
}

func parseURI(uri string) (*config, error) {
	u, err := url.Parse(uri)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URI, password included
		}
		return nil, shoal.Errorf(shoal.EINVALID, "catalog URI: %v", err)
	}
	c := &config{redacted: u.Redacted(), connectTimeout: DefaultConnectTimeout, queryTimeout: DefaultQueryTimeout}
	switch u.Scheme {
	case SchemeMySQL:
		c.dialect, c.port = dialectMySQL, "3306"
	case SchemePostgres:
		c.dialect, c.port = dialectPostgres, "5432"
	default:
		return nil, shoal.Errorf(shoal.EINVALID, "catalog URI %s: scheme must be %s or %s", c.redacted, SchemeMySQL, SchemePostgres)
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, shoal.Errorf(shoal.EINVALID, "catalog URI %s: want %s://user:pass@host:port/dbname", c.redacted, u.Scheme)
	}
	c.host = u.Hostname()
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return nil, shoal.Errorf(shoal.EINVALID, "catalog URI %s: invalid port %q", c.redacted, p)
		}
		c.port = u.Port()
	}
	if u.User != nil {
		c.user = u.User.Username()
		c.password, _ = u.User.Password()
	}
	if c.user == "" {
		return nil, shoal.Errorf(shoal.EINVALID, "catalog URI %s: missing user name", c.redacted)
	}
	c.dbname = strings.TrimPrefix(u.Path, "/")
	if c.dbname == "" || strings.Contains(c.dbname, "/") {
		return nil, shoal.Errorf(shoal.EINVALID, "catalog URI %s: path must be the database name", c.redacted)
	}
	c.params = url.Values{}
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch {
		case k == "connect_timeout" || k == "query_timeout":
			d, err := parseTimeout(v)
			if err != nil {
				return nil, shoal.Errorf(shoal.EINVALID, "catalog URI %s: %s: %v", c.redacted, k, err)
			}
			if k == "connect_timeout" {
				c.connectTimeout = d
			} else {
				c.queryTimeout = d
			}
		case slices.Contains(allowedParams[c.dialect], k):
			c.params.Set(k, v)
		default:
			return nil, shoal.Errorf(shoal.EINVALID, "catalog URI %s: unknown parameter %q (allowed: connect_timeout, query_timeout, %s)",
				c.redacted, k, strings.Join(allowedParams[c.dialect], ", "))
		}
	}
	return c, nil
}

// parseTimeout reads a positive duration, "30s", or a number of seconds as
// libpq's connect_timeout is written.
func parseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.Atoi(s)
		if nerr != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	return d, nil
}

// Open connects to the metastore database named by uri, checks its schema
// version and returns a read-only catalog over it.
func Open(ctx context.Context, uri string) (*Catalog, error) {
	cfg, err := parseURI(uri)
	if err != nil {
		return nil, err
	}
	c := &Catalog{dialect: cfg.dialect, queryTimeout: cfg.queryTimeout}
	switch cfg.dialect {
	case dialectMySQL:
		c.db, err = openMySQL(cfg)
	default:
		c.db, err = openPostgres(cfg)
	}
	if err != nil {
		return nil, redact(fmt.Errorf("open %s: %w", cfg.redacted, err), cfg.password)
	}
	c.db.SetMaxOpenConns(8)
	c.db.SetMaxIdleConns(2)
	c.db.SetConnMaxIdleTime(5 * time.Minute)
	if err := c.init(ctx); err != nil {
		_ = c.db.Close()
		var se *shoal.Error
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, redact(fmt.Errorf("open %s: %w", cfg.redacted, err), cfg.password)
	}
	return c, nil
}

func openMySQL(cfg *config) (*sql.DB, error) {
	mc := mysql.NewConfig()
	mc.User, mc.Passwd = cfg.user, cfg.password
	mc.Net, mc.Addr = "tcp", net.JoinHostPort(cfg.host, cfg.port)
	mc.DBName = cfg.dbname
	mc.Timeout = cfg.connectTimeout
	mc.ParseTime = false
	if v := cfg.params.Get("tls"); v != "" {
		mc.TLSConfig = v
	}
	if v := cfg.params.Get("charset"); v != "" {
		mc.Params = map[string]string{"charset": v}
	}
	if v := cfg.params.Get("loc"); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil {
			return nil, shoal.Errorf(shoal.EINVALID, "catalog URI %s: loc: %v", cfg.redacted, err)
		}
		mc.Loc = loc
	}
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(&initConnector{
		Connector: conn,
		// Every session is read-only before the pool hands it out; a write
		// fails with ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION. The long
		// net_write_timeout lets a slow caller consume a streamed partition
		// listing without the server dropping the connection.
		init: []string{
			"SET SESSION TRANSACTION READ ONLY",
			"SET SESSION net_write_timeout = 3600",
		},
	}), nil
}

func openPostgres(cfg *config) (*sql.DB, error) {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(cfg.user, cfg.password),
		Host:     net.JoinHostPort(cfg.host, cfg.port),
		Path:     "/" + cfg.dbname,
		RawQuery: cfg.params.Encode(),
	}
	pc, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, shoal.Errorf(shoal.EINVALID, "catalog URI %s: %v", cfg.redacted, redact(err, cfg.password))
	}
	pc.ConnectTimeout = cfg.connectTimeout
	// The server starts every transaction of the session read-only.
	pc.RuntimeParams["default_transaction_read_only"] = "on"
	return stdlib.OpenDB(*pc), nil
}

// initConnector runs statements on each new connection.
type initConnector struct {
	driver.Connector
	init []string
}

func (c *initConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("driver connection cannot execute statements")
	}
	for _, q := range c.init {
		if _, err := ex.ExecContext(ctx, q, nil); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	return conn, nil
}

// init checks the connection, the read-only session and the schema version.
func (c *Catalog) init(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.queryTimeout)
	defer cancel()
	if c.dialect == dialectPostgres {
		var ro string
		if err := c.db.QueryRowContext(ctx, "SHOW transaction_read_only").Scan(&ro); err != nil {
			return err
		}
		if ro != "on" {
			return errors.New("session is not read-only")
		}
	}
	var vs []string
	rows, err := c.db.QueryContext(ctx, c.q(`SELECT "SCHEMA_VERSION" FROM "VERSION"`))
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	defer func() { _ = rows.Close() }() // rows.Err() reports read errors
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		vs = append(vs, v.String)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case len(vs) == 0:
		return shoal.Errorf(shoal.EINVALID, "hive metastore VERSION table is empty: schema not initialized")
	case len(vs) > 1:
		return shoal.Errorf(shoal.EINVALID, "hive metastore VERSION table has %d rows, want 1", len(vs))
	}
	c.version = strings.TrimSpace(vs[0])
	major, _, _ := strings.Cut(c.version, ".")
	if major != "3" && major != "4" {
		return shoal.Errorf(shoal.EINVALID, "unsupported hive metastore schema version %q: want 3.x or 4.x", c.version)
	}
	// CTLG_NAME exists from schema 3.0.0; look rather than assume.
	schema := "DATABASE()"
	if c.dialect == dialectPostgres {
		schema = "current_schema()"
	}
	var n int
	err = c.db.QueryRowContext(ctx, c.q(`SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = `+schema+
		` AND table_name = 'DBS' AND column_name = 'CTLG_NAME'`)).Scan(&n)
	if err != nil {
		return fmt.Errorf("inspect DBS columns: %w", err)
	}
	c.hasCatalogs = n > 0
	if c.dialect == dialectMySQL {
		// Prefer (TBL_ID, PART_NAME), schema 4.x's UNIQUEPARTITION, which
		// also gives the order; else any index on TBL_ID first.
		var idx sql.NullString
		err := c.db.QueryRowContext(ctx, `SELECT s1.INDEX_NAME FROM information_schema.STATISTICS s1
			LEFT JOIN information_schema.STATISTICS s2 ON s2.TABLE_SCHEMA = s1.TABLE_SCHEMA AND s2.TABLE_NAME = s1.TABLE_NAME
				AND s2.INDEX_NAME = s1.INDEX_NAME AND s2.SEQ_IN_INDEX = 2 AND s2.COLUMN_NAME = 'PART_NAME'
			WHERE s1.TABLE_SCHEMA = DATABASE() AND s1.TABLE_NAME = 'PARTITIONS' AND s1.SEQ_IN_INDEX = 1 AND s1.COLUMN_NAME = 'TBL_ID'
			ORDER BY s2.INDEX_NAME IS NULL, s1.INDEX_NAME LIMIT 1`).Scan(&idx)
		switch {
		case err == nil && idx.Valid:
			c.partitionsIndexHint = " FORCE INDEX (`" + strings.ReplaceAll(idx.String, "`", "``") + "`)"
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("inspect PARTITIONS indexes: %w", err)
		}
	}
	return nil
}

// Version returns the metastore schema version, for example "3.1.0".
func (c *Catalog) Version() string { return c.version }

// Close closes the connection pool.
func (c *Catalog) Close() error { return c.db.Close() }

// q adapts a query written with "quoted" identifiers and ? placeholders to
// the dialect.
func (c *Catalog) q(s string) string {
	if c.dialect == dialectMySQL {
		return strings.ReplaceAll(s, `"`, "`")
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// catalogFilter restricts DBS rows (aliased d) to the default catalog.
func (c *Catalog) catalogFilter() string {
	if !c.hasCatalogs {
		return "1 = 1"
	}
	return `COALESCE(d."CTLG_NAME", '` + DefaultCatalog + `') = '` + DefaultCatalog + `'`
}

// Databases lists the databases of the default catalog, sorted by name.
func (c *Catalog) Databases(ctx context.Context) ([]shoal.Database, error) {
	ctx, cancel := context.WithTimeout(ctx, c.queryTimeout)
	defer cancel()
	rows, err := c.db.QueryContext(ctx, c.q(`SELECT d."NAME", d."DB_LOCATION_URI", d."OWNER_NAME" FROM "DBS" d WHERE `+c.catalogFilter()))
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	defer func() { _ = rows.Close() }() // rows.Err() reports read errors
	var dbs []shoal.Database
	for rows.Next() {
		var name, loc, owner sql.NullString
		if err := rows.Scan(&name, &loc, &owner); err != nil {
			return nil, fmt.Errorf("list databases: %w", err)
		}
		dbs = append(dbs, shoal.Database{Name: name.String, Location: loc.String, Owner: owner.String})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	slices.SortFunc(dbs, func(a, b shoal.Database) int { return strings.Compare(a.Name, b.Name) })
	return dbs, nil
}

// dbID returns DBS.DB_ID of a database of the default catalog.
func (c *Catalog) dbID(ctx context.Context, db string) (int64, error) {
	var id int64
	err := c.db.QueryRowContext(ctx, c.q(`SELECT d."DB_ID" FROM "DBS" d WHERE d."NAME" = ? AND `+c.catalogFilter()), db).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, shoal.Errorf(shoal.ENOTFOUND, "database %q not found", db)
	}
	return id, err
}

// Tables lists the tables of a database, sorted by name. It runs five
// queries per database, whatever the number of tables.
func (c *Catalog) Tables(ctx context.Context, db string) ([]shoal.Table, error) {
	ctx, cancel := context.WithTimeout(ctx, c.queryTimeout)
	defer cancel()
	id, err := c.dbID(ctx, db)
	if err != nil {
		return nil, wrapf(err, "list tables of %s", db)
	}
	tables, byID, bySD, err := c.tableRows(ctx, db, id)
	if err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", db, err)
	}
	// Table parameters.
	err = c.each(ctx, `SELECT p."TBL_ID", p."PARAM_KEY", p."PARAM_VALUE" FROM "TABLE_PARAMS" p
		JOIN "TBLS" t ON t."TBL_ID" = p."TBL_ID" WHERE t."DB_ID" = ?`, []any{id}, func(rows *sql.Rows) error {
		var tid int64
		var k, v sql.NullString
		if err := rows.Scan(&tid, &k, &v); err != nil {
			return err
		}
		if t := byID[tid]; t != nil {
			if t.Params == nil {
				t.Params = map[string]string{}
			}
			t.Params[k.String] = v.String
		}
		return nil
	})
	if err == nil {
		err = c.each(ctx, `SELECT k."TBL_ID", k."PKEY_NAME" FROM "PARTITION_KEYS" k
			JOIN "TBLS" t ON t."TBL_ID" = k."TBL_ID" WHERE t."DB_ID" = ? ORDER BY k."TBL_ID", k."INTEGER_IDX"`, []any{id}, func(rows *sql.Rows) error {
			var tid int64
			var name string
			if err := rows.Scan(&tid, &name); err != nil {
				return err
			}
			if t := byID[tid]; t != nil {
				t.PartitionKeys = append(t.PartitionKeys, name)
			}
			return nil
		})
	}
	if err == nil {
		err = c.each(ctx, `SELECT b."SD_ID", b."BUCKET_COL_NAME" FROM "BUCKETING_COLS" b
			JOIN "TBLS" t ON t."SD_ID" = b."SD_ID" WHERE t."DB_ID" = ? ORDER BY b."SD_ID", b."INTEGER_IDX"`, []any{id}, func(rows *sql.Rows) error {
			var sd int64
			var name sql.NullString
			if err := rows.Scan(&sd, &name); err != nil {
				return err
			}
			if t := bySD[sd]; t != nil {
				t.BucketColumns = append(t.BucketColumns, name.String)
			}
			return nil
		})
	}
	if err == nil {
		err = c.each(ctx, `SELECT t."TBL_ID", sp."PARAM_VALUE" FROM "SERDE_PARAMS" sp
			JOIN "SDS" s ON s."SERDE_ID" = sp."SERDE_ID" JOIN "TBLS" t ON t."SD_ID" = s."SD_ID"
			WHERE t."DB_ID" = ? AND sp."PARAM_KEY" = 'skip.header.line.count'`, []any{id}, func(rows *sql.Rows) error {
			var tid int64
			var v sql.NullString
			if err := rows.Scan(&tid, &v); err != nil {
				return err
			}
			if t := byID[tid]; t != nil {
				t.SerDeParams = map[string]string{"skip.header.line.count": v.String}
			}
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", db, err)
	}
	out := make([]shoal.Table, len(tables))
	for i := range tables {
		out[i] = tables[i].Shoal()
	}
	return out, nil
}

// tableRows reads TBLS joined with SDS and SERDES, sorted by name. byID and
// bySD point into the returned slice.
func (c *Catalog) tableRows(ctx context.Context, db string, id int64) ([]hivemeta.Table, map[int64]*hivemeta.Table, map[int64]*hivemeta.Table, error) {
	var tables []hivemeta.Table
	var ids, sds []int64
	err := c.each(ctx, `SELECT t."TBL_ID", t."TBL_NAME", t."TBL_TYPE", t."OWNER", s."SD_ID", s."LOCATION",
		s."INPUT_FORMAT", s."OUTPUT_FORMAT", s."NUM_BUCKETS", se."SLIB"
		FROM "TBLS" t LEFT JOIN "SDS" s ON s."SD_ID" = t."SD_ID" LEFT JOIN "SERDES" se ON se."SERDE_ID" = s."SERDE_ID"
		WHERE t."DB_ID" = ?`, []any{id}, func(rows *sql.Rows) error {
		var tid int64
		var sd, buckets sql.NullInt64
		var name, typ, owner, loc, in, out, slib sql.NullString
		if err := rows.Scan(&tid, &name, &typ, &owner, &sd, &loc, &in, &out, &buckets, &slib); err != nil {
			return err
		}
		tables = append(tables, hivemeta.Table{
			Database:     db,
			Name:         name.String,
			Type:         typ.String,
			Owner:        owner.String,
			Location:     loc.String,
			InputFormat:  in.String,
			OutputFormat: out.String,
			SerDe:        slib.String,
			NumBuckets:   int(buckets.Int64),
		})
		ids = append(ids, tid)
		sds = append(sds, sd.Int64)
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	order := make([]int, len(tables))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(tables[a].Name, tables[b].Name) })
	sorted := make([]hivemeta.Table, len(tables))
	byID := make(map[int64]*hivemeta.Table, len(tables))
	bySD := make(map[int64]*hivemeta.Table, len(tables))
	for i, j := range order {
		sorted[i] = tables[j]
		byID[ids[j]] = &sorted[i]
		if sds[j] != 0 {
			bySD[sds[j]] = &sorted[i]
		}
	}
	return sorted, byID, bySD, nil
}

// each runs a query and calls fn for each row.
func (c *Catalog) each(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := c.db.QueryContext(ctx, c.q(query), args...)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }() // rows.Err() reports read errors
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// errQueryTimeout cancels a partition listing whose query did not start
// returning rows within the query timeout.
var errQueryTimeout = errors.New("query timeout")

// Partitions streams the partitions of a table in PART_NAME order, with one
// query whose rows are handed to fn as they arrive. Views and unpartitioned
// tables have no partitions. The query timeout bounds the wait for the
// first row, not the time fn spends on the listing.
func (c *Catalog) Partitions(ctx context.Context, t *shoal.Table, fn func(shoal.Partition) error) error {
	if !hivemeta.Scanned(t) {
		return nil
	}
	name := t.QualifiedName()
	tid, err := c.tableID(ctx, t.Database, t.Name)
	if err != nil {
		return wrapf(err, "list partitions of %s", name)
	}
	qctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(c.queryTimeout, func() { cancel(errQueryTimeout) })
	order := `p."PART_NAME"`
	if c.dialect == dialectPostgres {
		order = `p."PART_NAME" COLLATE "C"` // byte order, as MySQL's latin1_bin
	}
	// Values come from the partition name, which Hive derives from them
	// with a reversible escaping: joining PARTITION_KEY_VALS would double
	// the rows streamed.
	rows, err := c.db.QueryContext(qctx, c.q(`SELECT p."PART_NAME", s."LOCATION", pp."PARAM_VALUE"
		FROM "PARTITIONS" p`+c.partitionsIndexHint+`
		LEFT JOIN "SDS" s ON s."SD_ID" = p."SD_ID"
		LEFT JOIN "PARTITION_PARAMS" pp ON pp."PART_ID" = p."PART_ID" AND pp."PARAM_KEY" = 'transient_lastDdlTime'
		WHERE p."TBL_ID" = ?
		ORDER BY `+order+`, p."PART_ID"`), tid)
	timer.Stop()
	if err != nil {
		return fmt.Errorf("list partitions of %s: %w", name, queryErr(qctx, err))
	}
	defer func() { _ = rows.Close() }() // rows.Err() reports read errors
	var pname, loc, ddl sql.NullString
	for rows.Next() {
		if err := rows.Scan(&pname, &loc, &ddl); err != nil {
			return fmt.Errorf("list partitions of %s: %w", name, err)
		}
		p := shoal.Partition{
			Values:      hivemeta.ValuesFromName(pname.String, len(t.PartitionKeys)),
			Spec:        pname.String,
			Location:    loc.String,
			LastDDLTime: hivemeta.UnixTime(ddl.String),
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list partitions of %s: %w", name, queryErr(qctx, err))
	}
	return nil
}

// tableID returns TBLS.TBL_ID of a table of the default catalog.
func (c *Catalog) tableID(ctx context.Context, db, table string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, c.queryTimeout)
	defer cancel()
	var id int64
	err := c.db.QueryRowContext(ctx, c.q(`SELECT t."TBL_ID" FROM "TBLS" t JOIN "DBS" d ON d."DB_ID" = t."DB_ID"
		WHERE d."NAME" = ? AND t."TBL_NAME" = ? AND `+c.catalogFilter()), db, table).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, shoal.Errorf(shoal.ENOTFOUND, "table %s.%s not found", db, table)
	}
	return id, err
}

// queryErr names the query timeout when it is what stopped a query.
func queryErr(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), errQueryTimeout) {
		return fmt.Errorf("%w: %w", errQueryTimeout, err)
	}
	return err
}

// FormatOf maps Hive's input format and SerDe class names to a format.
func FormatOf(inputFormat, serde string) shoal.Format { return hivemeta.FormatOf(inputFormat, serde) }

// wrapf adds context to err but keeps a *shoal.Error as it is, so that its
// code survives.
func wrapf(err error, format string, args ...any) error {
	var se *shoal.Error
	if errors.As(err, &se) {
		return se
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// redactedError hides a password that a driver error may quote.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redact(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), password, "xxxxx"), err: err}
}
