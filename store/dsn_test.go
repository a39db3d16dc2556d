package store

import (
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func TestDataSourceMySQL(t *testing.T) {
	for _, dsn := range []string{
		"mysql://kam:s3cr@t@tcp(db.example:3306)/kam",
		"kam:s3cr@t@tcp(db.example:3306)/kam?timeout=5s",
	} {
		src, err := dataSource(Options{DSN: dsn, SQLitePath: "ignored.db"})
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if src.dialect != MySQL || src.driver != mysqlDriver {
			t.Errorf("%s: dialect %s driver %s", dsn, src.dialect, src.driver)
		}
		cfg, err := mysql.ParseDSN(src.dsn)
		if err != nil {
			t.Fatalf("built DSN %q does not parse: %v", src.dsn, err)
		}
		if cfg.User != "kam" || cfg.Passwd != "s3cr@t" || cfg.Addr != "db.example:3306" || cfg.DBName != "kam" {
			t.Errorf("%s: user %q pass %q addr %q db %q", dsn, cfg.User, cfg.Passwd, cfg.Addr, cfg.DBName)
		}
		if !cfg.ParseTime || cfg.Loc != time.UTC || !strings.HasPrefix(cfg.Collation, "utf8mb4") || cfg.Params["time_zone"] != "'+00:00'" {
			t.Errorf("%s: parseTime %v loc %v collation %s params %v", dsn, cfg.ParseTime, cfg.Loc, cfg.Collation, cfg.Params)
		}
		if strings.Contains(src.redacted, "s3cr") {
			t.Errorf("password shown in %q", src.redacted)
		}
	}
	if _, err := dataSource(Options{DSN: "mysql://kam@tcp(db:3306)/"}); err == nil {
		t.Error("a DSN without a database name was accepted")
	}
	if _, err := dataSource(Options{DSN: "mysql://kam@tcp(db:3306"}); err == nil {
		t.Error("a malformed DSN was accepted")
	}
}

func TestDataSourceSQLite(t *testing.T) {
	src, err := dataSource(Options{SQLitePath: "var/kam.db"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"var/kam.db?", "busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)",
		"synchronous(NORMAL)", "_txlock=immediate"} {
		if !strings.Contains(src.dsn, want) {
			t.Errorf("SQLite DSN %q lacks %s", src.dsn, want)
		}
	}
	if _, err := dataSource(Options{}); err == nil {
		t.Error("no DSN and no path was accepted")
	}
	if _, err := dataSource(Options{SQLitePath: "a?b.db"}); err == nil {
		t.Error("a path the driver would cut at ? was accepted")
	}
}
