// Package store persists kam's domain in SQLite (the default, a single file)
// or MySQL/MariaDB (the daemon's production database). Both dialects share one
// schema, migrated with goose from embedded SQL; writes happen in InTx, whose
// Tx implements the loaders' Writer with batched multi-row statements.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"
	_ "modernc.org/sqlite" // registers driver "sqlite"
)

// Dialect names.
const (
	SQLite = "sqlite"
	MySQL  = "mysql"
)

// Options selects and configures the database.
type Options struct {
	// DSN selects MySQL/MariaDB: mysql://user:pass@tcp(host:3306)/kam or a bare
	// go-sql-driver DSN. Empty means SQLite at SQLitePath.
	DSN        string
	SQLitePath string
	Log        zerolog.Logger
	// ReadOnly opens for reading only (SQLite: mode=ro, query_only) and applies
	// no migration: Open fails with ErrSchemaOutdated when one is pending.
	ReadOnly bool
	// Now is the clock every stamp the store makes itself is read from (archive, outbox, locks); nil is time.Now.
	Now func() time.Time
}

// Store is an open database with kam's schema migrated.
type Store struct {
	db      *sqlx.DB
	dialect string
	log     zerolog.Logger
	// writeMu queues this process's SQLite writers in Go instead of in busy_timeout polling.
	writeMu sync.Mutex
	// loadData: the MySQL server accepts LOAD DATA LOCAL INFILE, the fastest way in for revenue.
	loadData bool
	now      func() time.Time
	// file is the SQLite database's path as SQLite reports it; lock files live beside it.
	file string
	// applied are the migration versions this Store applied, in order (see Applied).
	applied []int64
}

// Open connects, checks the connection and applies pending migrations.
func Open(ctx context.Context, opts Options) (*Store, error) {
	src, err := dataSource(opts)
	if err != nil {
		return nil, err
	}
	if src.dialect == SQLite && !opts.ReadOnly {
		if err := createSQLiteFile(opts.SQLitePath); err != nil {
			return nil, err
		}
	}
	sqldb, err := sql.Open(src.driver, src.dsn)
	if err != nil {
		return nil, fmt.Errorf("打开数据库: %w", err)
	}
	db := sqlx.NewDb(sqldb, src.sqlxDriver)
	switch src.dialect {
	case SQLite:
		// WAL lets readers run beside the one writer; each connection has its own page cache.
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
	case MySQL:
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(4)
		db.SetConnMaxLifetime(5 * time.Minute)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Store{db: db, dialect: src.dialect, log: opts.Log, now: now}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("连接数据库 %s: %w", src.redacted, err)
	}
	if s.dialect == SQLite {
		if s.file, err = s.sqliteFile(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	migrate := s.Migrate
	if opts.ReadOnly {
		migrate = s.checkSchemaCurrent
	}
	if err := migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		// A run its kam left running (killed mid-run) is closed as interrupted by whichever kam looks next.
		if _, err := s.MarkInterrupted(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("检查中断的运行: %w", err)
		}
	}
	if s.dialect == MySQL {
		var on sql.NullInt64
		if err := db.GetContext(ctx, &on, "SELECT @@local_infile"); err != nil {
			db.Close()
			return nil, fmt.Errorf("读取 local_infile 设置: %w", err)
		}
		s.loadData = on.Int64 == 1
		if !s.loadData {
			s.log.Info().Msg("MySQL local_infile 未开启，收入改用批量 INSERT 写入（较慢）")
		}
		if err := s.checkCluster(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	s.log.Debug().Str("dialect", s.dialect).Str("db", src.redacted).Msg("数据库已打开")
	return s, nil
}

// createSQLiteFile creates a new database file owner-only (0600) before SQLite
// opens it: SQLite gives its -wal and -shm files the main file's mode, so they
// are owner-only too. The folder is created 0755 as before — it may be one that
// also holds the folders staff share (./var with inbox/ and reports/), so kam
// does not close it; an existing file keeps the mode its administrator gave it.
func createSQLiteFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("创建数据库目录: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("创建数据库文件 %s: %w", path, err)
	}
	return f.Close()
}

// Dialect is SQLite ("sqlite") or MySQL ("mysql").
func (s *Store) Dialect() string { return s.dialect }

// DB is the connection pool, for queries other packages add.
func (s *Store) DB() *sqlx.DB { return s.db }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

// mysqlDriver is the database/sql driver MySQL is opened with: go-sql-driver's;
// the store's tests wrap it to collect every statement the store sends (grammar_test.go).
var mysqlDriver = "mysql"

type source struct {
	dialect    string
	driver     string // database/sql driver name
	sqlxDriver string // name sqlx knows the bind style of
	dsn        string
	redacted   string // for error messages: no password
}

// dataSource builds each dialect's connection string from Options.
func dataSource(opts Options) (source, error) {
	if opts.DSN == "" {
		if opts.SQLitePath == "" {
			return source{}, errors.New("store: neither a MySQL DSN nor a SQLite path is configured")
		}
		if strings.ContainsAny(opts.SQLitePath, "?#") {
			return source{}, fmt.Errorf("SQLite 路径 %q 不能含 ? 或 #", opts.SQLitePath)
		}
		q := strings.Join([]string{
			"_pragma=busy_timeout(10000)",
			"_pragma=journal_mode(WAL)",
			"_pragma=foreign_keys(1)",
			"_pragma=synchronous(NORMAL)",
			// Each pooled connection keeps a modest page cache for reads; a write
			// transaction takes writeCache for itself (InTx).
			"_pragma=cache_size(" + strconv.Itoa(readCache) + ")",
			// BEGIN IMMEDIATE takes the write lock up front, so two writers never deadlock on lock upgrade.
			"_txlock=immediate",
			"_time_format=sqlite",
			"_timezone=UTC",
		}, "&")
		if opts.ReadOnly {
			return readOnlySQLite(opts.SQLitePath), nil
		}
		return source{dialect: SQLite, driver: "sqlite", sqlxDriver: "sqlite3",
			dsn: opts.SQLitePath + "?" + q, redacted: opts.SQLitePath}, nil
	}
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(opts.DSN, "mysql://"))
	if err != nil {
		return source{}, fmt.Errorf("数据库连接串 (db.dsn / KAM_DB_DSN) 无法解析: %w", err)
	}
	if cfg.DBName == "" {
		return source{}, errors.New("数据库连接串 (db.dsn / KAM_DB_DSN) 缺少数据库名，例如 mysql://user:pass@tcp(host:3306)/kam")
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Collation = "utf8mb4_unicode_ci"
	// Ad-hoc queries go out in one round trip; bulk inserts still prepare explicitly.
	cfg.InterpolateParams = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	red := cfg.Clone()
	if red.Passwd != "" {
		red.Passwd = "***"
	}
	return source{dialect: MySQL, driver: mysqlDriver, sqlxDriver: "mysql",
		dsn: cfg.FormatDSN(), redacted: red.FormatDSN()}, nil
}

// placeholderLimit is the most bind parameters one statement may carry.
func (s *Store) placeholderLimit() int {
	if s.dialect == MySQL {
		return 65535
	}
	return 32766
}

// maxRowsPerStatement caps a multi-row INSERT where measured throughput peaked (BenchmarkPutRevenue).
func (s *Store) maxRowsPerStatement() int {
	if s.dialect == MySQL {
		return 500
	}
	return 2000
}

// isUniqueViolation tells a duplicate-key error apart from other failures.
func isUniqueViolation(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var se interface{ Code() int }
	if errors.As(err, &se) {
		// SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY
		return se.Code() == 2067 || se.Code() == 1555
	}
	return false
}

// ctxQuerier is what both *sqlx.DB and *sqlx.Tx offer, so readers work inside and outside a transaction.
type ctxQuerier interface {
	sqlx.QueryerContext
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}

var _ ctxQuerier = (*sqlx.DB)(nil)
var _ ctxQuerier = (*sqlx.Tx)(nil)
