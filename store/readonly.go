package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrSchemaOutdated: a read-only Open found migrations still to apply.
var ErrSchemaOutdated = errors.New("数据库结构不是最新，需要先迁移（kam migrate）")

// readOnlySQLite opens the file as a SQLite URI, so SQLite itself refuses
// every write (mode=ro) and the connection cannot start one (query_only).
// A WAL database needs its -shm file, which a reader in a folder it may not
// write cannot create: with no writer about (no -shm), it is read as immutable.
func readOnlySQLite(path string) source {
	q := []string{
		"mode=ro",
		"_pragma=busy_timeout(10000)",
		"_pragma=query_only(1)",
		"_pragma=foreign_keys(1)",
		"_time_format=sqlite",
		"_timezone=UTC",
	}
	uri := "file:" + (&url.URL{Path: path}).EscapedPath() + "?"
	if cannotReadShared(uri + strings.Join(q, "&")) {
		q = append(q, "immutable=1")
	}
	return source{dialect: SQLite, driver: "sqlite", sqlxDriver: "sqlite3",
		dsn: uri + strings.Join(q, "&"), redacted: path}
}

// cannotReadShared tries dsn once: true when SQLite refuses it as read-only
// or unopenable, the answer for a WAL database whose folder is read-only.
func cannotReadShared(dsn string) bool {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return false
	}
	defer db.Close()
	err = db.Ping()
	var se interface{ Code() int }
	if errors.As(err, &se) {
		const readOnly, cantOpen = 8, 14 // SQLITE_READONLY_*, SQLITE_CANTOPEN_*
		return se.Code()&0xff == readOnly || se.Code()&0xff == cantOpen
	}
	return false
}

// checkSchemaCurrent is Migrate for a read-only store: it applies nothing and
// says whether anything is pending.
func (s *Store) checkSchemaCurrent(ctx context.Context) error {
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`
	if s.dialect == MySQL {
		exists = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'goose_db_version'`
	}
	// goose would create its version table to answer; a database without one is simply behind.
	var n int
	if err := s.db.GetContext(ctx, &n, exists); err != nil {
		return fmt.Errorf("读取数据库结构版本: %w", err)
	}
	if n == 0 {
		return ErrSchemaOutdated
	}
	p, err := s.migrationProvider()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("读取数据库结构版本: %w", err)
	}
	if pending {
		return ErrSchemaOutdated
	}
	return nil
}
