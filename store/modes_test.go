package store_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rs/zerolog"

	"kam/store"
)

// The SQLite database, its -wal and -shm, its lock folder and lock files are the
// owner's alone; the folder it is put in is not closed (staff folders may share it).
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits")
	}
	dir := filepath.Join(t.TempDir(), "var")
	path := filepath.Join(dir, "kam.db")
	s, err := store.Open(ctx, store.Options{SQLitePath: path, Log: zerolog.Nop()})
	must(t, err)
	defer s.Close()
	startRun(t, s, "grade", "2026Q2", "manual", store.RunRunning) // a write, so the -wal exists; and a run lock
	release, err := s.LockServe(ctx)
	must(t, err)
	defer release()

	for name, want := range map[string]os.FileMode{
		path:                                  0o600,
		path + "-wal":                         0o600,
		path + "-shm":                         0o600,
		path + ".locks":                       0o700 | os.ModeDir,
		path + ".locks/job-grade-2026Q2.lock": 0o600,
		path + ".locks/serve.lock":            0o600,
		path + ".locks/migrate.lock":          0o600,
	} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
			t.Errorf("%s is %v, want %v", filepath.Base(name), got, want)
		}
	}
	fi, err := os.Stat(dir)
	must(t, err)
	if fi.Mode().Perm()&0o055 == 0 {
		t.Errorf("the database's folder was closed to others (%v): staff folders beside it would be unreachable", fi.Mode().Perm())
	}
}

// An existing database keeps the mode its administrator gave it.
func TestExistingDatabaseKeepsItsMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits")
	}
	path := filepath.Join(t.TempDir(), "kam.db")
	s, err := store.Open(ctx, store.Options{SQLitePath: path, Log: zerolog.Nop()})
	must(t, err)
	s.Close()
	must(t, os.Chmod(path, 0o640))
	s, err = store.Open(ctx, store.Options{SQLitePath: path, Log: zerolog.Nop()})
	must(t, err)
	s.Close()
	fi, err := os.Stat(path)
	must(t, err)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("reopening changed the database's mode to %v", fi.Mode().Perm())
	}
}
