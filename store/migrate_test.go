package store_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/rs/zerolog"

	"kam/store"
	"kam/store/storetest"
)

// catalogue is the schema as the database itself describes it, one line per column, index, constraint or object.
func catalogue(t *testing.T, s *store.Store) []string {
	t.Helper()
	var queries []string
	if s.Dialect() == store.MySQL {
		queries = []string{
			`SELECT table_name, column_name, ordinal_position, column_type, is_nullable, COALESCE(column_default, 'NULL'),
				extra, COALESCE(generation_expression, '') FROM information_schema.columns
				WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position`,
			`SELECT table_name, index_name, seq_in_index, column_name, non_unique FROM information_schema.statistics
				WHERE table_schema = DATABASE() ORDER BY table_name, index_name, seq_in_index`,
			`SELECT table_name, constraint_name, referenced_table_name, delete_rule FROM information_schema.referential_constraints
				WHERE constraint_schema = DATABASE() ORDER BY table_name, constraint_name`,
		}
	} else {
		queries = []string{`SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name`}
	}
	queries = append(queries, `SELECT DISTINCT version_id FROM goose_db_version WHERE is_applied ORDER BY version_id`)
	var out []string
	for _, q := range queries {
		rows, err := s.DB().Query(q)
		must(t, err)
		cols, err := rows.Columns()
		must(t, err)
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			must(t, rows.Scan(ptrs...))
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = v.String
			}
			out = append(out, strings.Join(parts, " | "))
		}
		must(t, rows.Err())
		rows.Close()
	}
	return out
}

func sameCatalogue(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return
	}
	seen := map[string]int{}
	for _, l := range want {
		seen[l]++
	}
	for _, l := range got {
		seen[l]--
	}
	for l, n := range seen {
		switch {
		case n > 0:
			t.Errorf("missing from the resumed schema: %s", l)
		case n < 0:
			t.Errorf("only in the resumed schema: %s", l)
		}
	}
	t.Errorf("schema differs from a clean one (%d lines against %d)", len(got), len(want))
}

// A kill between two DDL statements on MariaDB leaves some done and goose's record of
// the migration missing: the next start runs every such migration again and ends with
// the clean schema.
func TestMySQLMigrationResumesAfterAKill(t *testing.T) {
	clean := catalogue(t, storetest.OpenMySQL(t))
	dsn := storetest.NewMySQLDatabase(t)
	s, err := store.Open(ctx, store.Options{DSN: dsn, Log: zerolog.Nop()})
	must(t, err)
	for _, q := range []string{
		// goose recorded nothing, not even its own start (killed right after creating its table) …
		`DELETE FROM goose_db_version`,
		// … while 00001 had made its first tables only, 00003 its table but not its index,
		// 00006 its ALTER but not its table (and one key is gone besides), 00007 and
		// 00010 nothing (each ALTER adds only what is missing), nor 00015 its table.
		`DROP TABLE outbox_reports`, `DROP TABLE outbox_dead_reported`, `DROP TABLE report_chunks`, `DROP TABLE outbox`, `DROP TABLE announcements`,
		`DROP INDEX revenue_month_customer_amount ON revenue`,
		`ALTER TABLE job_runs DROP KEY job_runs_outcome`,
		`ALTER TABLE files DROP KEY files_scan, DROP COLUMN scan_id`,
		`ALTER TABLE units DROP COLUMN email`,
	} {
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must(t, s.Close())
	resumed, err := store.Open(ctx, store.Options{DSN: dsn, Log: zerolog.Nop()})
	if err != nil {
		t.Fatalf("reopening a half-migrated database: %v", err)
	}
	defer resumed.Close()
	sameCatalogue(t, catalogue(t, resumed), clean)
}

// Several kam starting at once on a new database: one migrates, the others wait, every one opens.
func TestConcurrentStartsMigrateOnce(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.MySQL} {
		t.Run(dialect, func(t *testing.T) {
			var opts store.Options
			var clean []string
			if dialect == store.MySQL {
				clean = catalogue(t, storetest.OpenMySQL(t))
				opts.DSN = storetest.NewMySQLDatabase(t)
			} else {
				clean = catalogue(t, storetest.OpenSQLite(t))
				opts.SQLitePath = filepath.Join(t.TempDir(), "kam.db")
			}
			opts.Log = zerolog.Nop()
			const n = 4
			stores, errs := make([]*store.Store, n), make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stores[i], errs[i] = store.Open(ctx, opts)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("start %d of %d: %v", i+1, n, err)
				}
				defer stores[i].Close()
			}
			sameCatalogue(t, catalogue(t, stores[0]), clean)
			var applied int
			must(t, stores[0].DB().Get(&applied, `SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0`))
			var distinct int
			must(t, stores[0].DB().Get(&distinct, `SELECT COUNT(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`))
			if applied != distinct {
				t.Errorf("%d migration records for %d migrations: some were applied twice", applied, distinct)
			}
		})
	}
}

// Real kills: a child kam opening a new database is SIGKILLed at a random moment
// of its first start; the next start must end with the clean schema.
func TestMigrationKilledAtRandomResumes(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.MySQL} {
		t.Run(dialect, func(t *testing.T) {
			var clean []string
			if dialect == store.MySQL {
				clean = catalogue(t, storetest.OpenMySQL(t))
			} else {
				clean = catalogue(t, storetest.OpenSQLite(t))
			}
			const trials = 6
			for i := range trials {
				opts := store.Options{Log: zerolog.Nop()}
				child := ""
				if dialect == store.MySQL {
					opts.DSN = storetest.NewMySQLDatabase(t)
					child = "mysql:" + opts.DSN
				} else {
					opts.SQLitePath = filepath.Join(t.TempDir(), "kam.db")
					child = "sqlite:" + opts.SQLitePath
				}
				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldRunLock$")
				cmd.Env = append(os.Environ(), envLockChild+"="+child)
				must(t, cmd.Start())
				// The test binary starts in some 20 ms; MariaDB migrates in some 300 ms, SQLite in tens.
				span := 60
				if dialect == store.MySQL {
					span = 350
				}
				time.Sleep(time.Duration(10+rand.IntN(span)) * time.Millisecond)
				must(t, cmd.Process.Kill())
				_ = cmd.Wait()
				if dialect == store.MySQL {
					t.Logf("trial %d: killed with %d migrations recorded", i+1, recordedMigrations(t, opts.DSN))
				}
				s, err := store.Open(ctx, opts)
				if err != nil {
					t.Fatalf("trial %d: start after the kill: %v", i+1, err)
				}
				sameCatalogue(t, catalogue(t, s), clean)
				s.Close()
			}
		})
	}
}

// recordedMigrations counts the migrations goose has recorded in a MySQL database (-1: not even its table).
func recordedMigrations(t *testing.T, dsn string) int {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	must(t, err)
	defer db.Close()
	n := -1
	if err := db.QueryRow("SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0").Scan(&n); err != nil {
		return -1
	}
	return n
}

// Databases in use applied 00003, 00006, 00007 and 00010–00012 as the SQL files they
// were then, in MariaDB's IF NOT EXISTS forms (kept in testdata/mariadb-migrations).
// Opening such a database applies nothing again, and its schema is a new database's:
// the Go migrations that replaced those files build the same tables, columns and keys.
// lastVersionInUse is the newest migration a database in use before this round
// (issues 23–27) can have applied from the files as they were.
const lastVersionInUse = 20

func TestMySQLMigratedByTheMariaDBFilesIsCurrent(t *testing.T) {
	clean := catalogue(t, storetest.OpenMySQL(t))
	dsn := storetest.NewMySQLDatabase(t)
	old := fstest.MapFS{}
	var newest int64 // the last version the old files reach: migrations after it are new, and do apply
	for _, dir := range []string{"migrations/mysql", "testdata/mariadb-migrations"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
		must(t, err)
		for _, f := range files {
			b, err := os.ReadFile(f)
			must(t, err)
			var v int64
			fmt.Sscanf(filepath.Base(f), "%d", &v)
			if v > lastVersionInUse {
				continue // written after those databases: they apply it as new
			}
			old[filepath.Base(f)] = &fstest.MapFile{Data: b}
			newest = max(newest, v)
		}
	}
	db, err := sql.Open("mysql", dsn)
	must(t, err)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectMySQL, db, old, goose.WithDisableGlobalRegistry(true))
	must(t, err)
	_, err = p.Up(ctx)
	must(t, err)
	s, err := store.Open(ctx, store.Options{DSN: dsn, Log: zerolog.Nop()})
	must(t, err)
	defer s.Close()
	var again []int64
	for _, v := range s.Applied() {
		if v <= newest {
			again = append(again, v)
		}
	}
	if len(again) > 0 {
		t.Errorf("opening a database the old files migrated applied %v again", again)
	}
	sameCatalogue(t, catalogue(t, s), clean)
}
