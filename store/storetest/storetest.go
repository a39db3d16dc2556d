// Package storetest opens throwaway stores for tests: SQLite in a temp dir and,
// when KAM_TEST_MYSQL_DSN names a server, a fresh MariaDB/MySQL database.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"

	"kam/store"
)

// EnvMySQLDSN names the variable holding a go-sql-driver DSN such as root@tcp(127.0.0.1:3306)/test.
const EnvMySQLDSN = "KAM_TEST_MYSQL_DSN"

// ForEachDB runs fn as subtest "sqlite" and, when a MySQL server is
// configured, as subtest "mariadb", each on a new, empty, migrated store.
func ForEachDB(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	ForEachDBWith(t, store.Options{}, fn)
}

// ForEachDBWith is ForEachDB with opts (a clock, say); their DSN and SQLite path are set per database.
func ForEachDBWith(t *testing.T, opts store.Options, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, OpenSQLiteWith(t, opts)) })
	t.Run("mariadb", func(t *testing.T) { fn(t, OpenMySQLWith(t, opts)) })
}

// OpenSQLite opens a store on a new SQLite file in a temp dir, closed at cleanup.
func OpenSQLite(tb testing.TB) *store.Store {
	tb.Helper()
	return OpenSQLiteWith(tb, store.Options{})
}

// OpenSQLiteWith is OpenSQLite with opts; SQLitePath is set to the new file.
func OpenSQLiteWith(tb testing.TB, opts store.Options) *store.Store {
	tb.Helper()
	opts.SQLitePath = filepath.Join(tb.TempDir(), "kam.db")
	opts.DSN = ""
	opts.Log = zerolog.Nop()
	s, err := store.Open(context.Background(), opts)
	if err != nil {
		tb.Fatalf("open SQLite store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// OpenMySQL opens a store on a new uniquely named database, dropped at cleanup.
// Without KAM_TEST_MYSQL_DSN it skips, unless CI=true, where it fails.
func OpenMySQL(tb testing.TB) *store.Store {
	tb.Helper()
	return OpenMySQLWith(tb, store.Options{})
}

// OpenMySQLWith is OpenMySQL with opts; DSN is set to the new database.
func OpenMySQLWith(tb testing.TB, opts store.Options) *store.Store {
	tb.Helper()
	opts.DSN, opts.SQLitePath, opts.Log = NewMySQLDatabase(tb), "", zerolog.Nop()
	s, err := store.Open(context.Background(), opts)
	if err != nil {
		tb.Fatalf("open MySQL store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// NewMySQLDatabase creates a new, empty, uniquely named database, dropped at
// cleanup, and returns its DSN. Without KAM_TEST_MYSQL_DSN it skips, unless
// CI=true, where it fails.
func NewMySQLDatabase(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvMySQLDSN)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set; CI requires the MariaDB tests", EnvMySQLDSN)
		}
		tb.Skipf("%s is not set", EnvMySQLDSN)
	}
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(dsn, "mysql://"))
	if err != nil {
		tb.Fatalf("%s: %v", EnvMySQLDSN, err)
	}
	admin := cfg.Clone()
	admin.DBName = ""
	db, err := sql.Open("mysql", admin.FormatDSN())
	if err != nil {
		tb.Fatalf("open MySQL: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		tb.Fatalf("MySQL server in %s unreachable: %v", EnvMySQLDSN, err)
	}
	name := "kamtest_" + randomSuffix(tb)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() { dropDatabase(tb, admin, name) })
	cfg.DBName = name
	return cfg.FormatDSN()
}

func dropDatabase(tb testing.TB, admin *mysql.Config, name string) {
	db, err := sql.Open("mysql", admin.FormatDSN())
	if err != nil {
		tb.Errorf("drop test database %s: %v", name, err)
		return
	}
	defer db.Close()
	if _, err := db.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
		tb.Errorf("drop test database %s: %v", name, err)
	}
}

func randomSuffix(tb testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}
