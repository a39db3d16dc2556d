package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"kam/store"
	"kam/store/storetest"
)

// A read-only open reads a current database and applies nothing; one with no
// schema yet is reported behind, and nothing is created in it.
func TestReadOnlyOpen(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kam.db")
		rw, err := store.Open(ctx, store.Options{SQLitePath: path, Log: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		rw.Close()
		ro, err := store.Open(ctx, store.Options{SQLitePath: path, ReadOnly: true, Log: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if _, err := ro.RecentRuns(ctx, 5); err != nil {
			t.Errorf("read: %v", err)
		}
		if _, err := ro.DB().ExecContext(ctx, "DELETE FROM job_runs"); err == nil {
			t.Error("a read-only SQLite store accepted a write")
		}

		empty := filepath.Join(t.TempDir(), "empty.db")
		os.WriteFile(empty, nil, 0o644)
		if _, err := store.Open(ctx, store.Options{SQLitePath: empty, ReadOnly: true, Log: zerolog.Nop()}); !errors.Is(err, store.ErrSchemaOutdated) {
			t.Errorf("empty file: %v, want ErrSchemaOutdated", err)
		}
		if fi, _ := os.Stat(empty); fi.Size() != 0 {
			t.Errorf("the empty file was written: %d bytes", fi.Size())
		}
		if _, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "missing", "kam.db"), ReadOnly: true, Log: zerolog.Nop()}); err == nil {
			t.Error("a read-only open created a missing database")
		}
	})
	t.Run("mariadb", func(t *testing.T) {
		dsn := storetest.NewMySQLDatabase(t)
		if _, err := store.Open(ctx, store.Options{DSN: dsn, ReadOnly: true, Log: zerolog.Nop()}); !errors.Is(err, store.ErrSchemaOutdated) {
			t.Fatalf("empty database: %v, want ErrSchemaOutdated", err)
		}
		rw, err := store.Open(ctx, store.Options{DSN: dsn, Log: zerolog.Nop()})
		if err != nil {
			t.Fatal(err) // also proves the read-only open left no half-made version table behind
		}
		rw.Close()
		ro, err := store.Open(ctx, store.Options{DSN: dsn, ReadOnly: true, Log: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if _, err := ro.RecentRuns(ctx, 5); err != nil {
			t.Errorf("read: %v", err)
		}
	})
}
