package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/store"
)

// archivePair archives two reports for one run in one transaction: a copy of
// one moment holds both or neither.
func archivePair(t *testing.T, s *store.Store, i int) {
	now := time.Date(2026, 7, 10, 3, 0, 0, 0, time.UTC)
	id, err := s.StartRun(ctx, "grade", fmt.Sprintf("P%04d", i), "manual", now)
	if err != nil {
		t.Error(err)
		return
	}
	err = s.InTx(ctx, func(tx *store.Tx) error {
		for _, unit := range []string{"", "D1"} {
			body := bytes.Repeat([]byte(fmt.Sprintf("%d%s", i, unit)), 1000+i*37)
			if i == 3 {
				body = bytes.Repeat(body, 5<<20/len(body)+1) // over one 4 MB chunk
			}
			if _, err := tx.ArchiveReport(store.Report{RunID: id, Job: "grade", Period: fmt.Sprintf("P%04d", i), Unit: unit, FileName: "g.xlsx"}, bytes.NewReader(body)); err != nil {
				return err
			}
		}
		return tx.SucceedRun(id, nil, "", now)
	})
	if err != nil {
		t.Error(err)
	}
}

// kam backup while another kam writes: every copy is the database at one
// moment (both reports of a transaction or neither), passes SQLite's integrity
// check, and every archived report in it matches its SHA-256; the copy is
// owner-only and never replaces a file.
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "kam.db")
	s, err := store.Open(ctx, store.Options{SQLitePath: dbPath, Log: zerolog.Nop()})
	must(t, err)
	defer s.Close()
	for i := range 4 {
		archivePair(t, s, i)
	}

	var written atomic.Int64
	written.Store(8)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 4; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			archivePair(t, s, i)
			written.Add(2)
		}
	})
	var results []store.BackupResult
	for n := range 3 {
		before := written.Load()
		res, err := store.BackupSQLite(ctx, dbPath, filepath.Join(dir, fmt.Sprintf("backup-%d.db", n)))
		after := written.Load()
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("backup %d: %v", n, err)
		}
		if int64(res.Reports) < before || int64(res.Reports) > after+2 || res.Reports%2 != 0 {
			t.Errorf("backup %d checked %d reports; %d were written before it began and %d after it ended, two at a time", n, res.Reports, before, after)
		}
		results = append(results, res)
	}
	close(stop)
	wg.Wait()
	if results[2].Reports <= 8 {
		t.Errorf("the writer archived nothing during the backups (%d reports)", results[2].Reports)
	}

	// The copy is a database kam opens, with the same reports.
	res := results[len(results)-1]
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(res.Path)
		must(t, err)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("the backup is %v, want owner-only", fi.Mode().Perm())
		}
	}
	c, err := store.Open(ctx, store.Options{SQLitePath: res.Path, Log: zerolog.Nop(), ReadOnly: true})
	must(t, err)
	reps, err := c.ListReports(ctx, store.ReportFilter{}, 100000)
	must(t, err)
	c.Close()
	if len(reps) != res.Reports {
		t.Errorf("the copy lists %d reports, the backup checked %d", len(reps), res.Reports)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.part"))
	if len(leftovers) > 0 {
		t.Errorf("left behind: %v", leftovers)
	}

	if _, err := store.BackupSQLite(ctx, dbPath, res.Path); !errors.Is(err, store.ErrBackupExists) {
		t.Errorf("a backup onto an existing file: %v, want ErrBackupExists", err)
	}
}

// A damaged archived report fails the backup, naming it, and leaves no file.
func TestBackupRefusesADamagedArchive(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "kam.db")
	s, err := store.Open(ctx, store.Options{SQLitePath: dbPath, Log: zerolog.Nop()})
	must(t, err)
	defer s.Close()
	archivePair(t, s, 1)
	_, err = s.DB().Exec(`UPDATE report_chunks SET data = ? WHERE report_id = 2`, []byte("changed"))
	must(t, err)
	out := filepath.Join(dir, "backup.db")
	_, err = store.BackupSQLite(ctx, dbPath, out)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("归档报表 2")) {
		t.Errorf("err = %v, want report 2 named as damaged", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*backup.db*")); len(left) > 0 {
		t.Errorf("a failed backup left %v", left)
	}
}
