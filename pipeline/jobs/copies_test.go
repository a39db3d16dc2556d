package jobs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/config"
	"kam/domain"
	"kam/pipeline/core"
	"kam/store"
	"kam/store/storetest"
)

// errDiskFull stands in for a share that fills up while a copy is written.
var errDiskFull = errors.New("injected: no space left on device")

// failingCopies makes every copy whose file name ends in name fail after its
// first kilobyte, as a full share does, until the returned func is called.
func failingCopies(t *testing.T, name string) (heal func()) {
	t.Helper()
	orig := copyWriter
	copyWriter = func(w io.Writer) io.Writer {
		if f, ok := w.(*os.File); ok && strings.HasSuffix(f.Name(), name+".part") {
			return &fullDisk{w: w, room: 1 << 10}
		}
		return w
	}
	heal = func() { copyWriter = orig }
	t.Cleanup(heal)
	return heal
}

type fullDisk struct {
	w    io.Writer
	room int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	if len(p) > d.room {
		n, _ := d.w.Write(p[:d.room])
		d.room = 0
		return n, errDiskFull
	}
	d.room -= len(p)
	return d.w.Write(p)
}

// A copy that fails midway (a full share) leaves no .part and the earlier
// copy as it was; the run succeeds, archived and mailed, and the copy is
// written from the archive by the next RestoreCopies — not by one that fails too.
func TestACopyFailingMidwayLeavesNoPart(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		cfg := DefaultConfig()
		dir := t.TempDir()
		cfg.Paths = config.Paths{Inbox: filepath.Join(dir, "inbox"), Processed: filepath.Join(dir, "processed"),
			Rejected: filepath.Join(dir, "rejected"), Reports: filepath.Join(dir, "reports")}
		a := &core.App{Cfg: cfg, Store: s, Log: zerolog.New(zerolog.NewTestWriter(t)),
			Now: func() time.Time { return time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC) }}
		big := bytes.Repeat([]byte("收入分成明细\n"), 50_000) // far more than the share has room for
		job := *splitsJob.withRun(func(_ context.Context, _ *core.App, _ string, _ domain.Date, out *Output) error {
			for _, f := range []artifact{{name: "splits_2026-06.xlsx"}, {name: "splits_2026-06.csv"}, {name: "splits_2026-06_D1.xlsx", unit: "D1"}} {
				if err := out.addFile(f, func(w io.Writer) error { _, err := w.Write(big); return err }); err != nil {
					return err
				}
			}
			return nil
		})
		reports := cfg.Paths.Reports
		csv := filepath.Join(reports, "splits_2026-06.csv")
		if err := os.MkdirAll(reports, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(csv, []byte("an earlier run's copy"), 0o600); err != nil {
			t.Fatal(err)
		}

		heal := failingCopies(t, ".csv")
		out, err := RunJob(ctx, a, &job, RunRequest{Period: "2026-06"})
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if out.MissingCopies != 1 || len(out.Paths) != 1 || len(out.UnitPaths) != 1 {
			t.Errorf("missing %d, paths %v %v; want the csv missing, the rest in place", out.MissingCopies, out.Paths, out.UnitPaths)
		}
		if done, err := s.Succeeded(ctx, "splits", "2026-06"); err != nil || !done {
			t.Errorf("run succeeded: %v %v", done, err)
		}
		noPart(t, reports)
		sameFile(t, csv, []byte("an earlier run's copy"))
		sameFile(t, filepath.Join(reports, "D1", "splits_2026-06_D1.xlsx"), big)

		// A restore on a share still full fails the same way, and leaves the same.
		res, err := RestoreCopies(ctx, a)
		if err != nil || res != (CopiesResult{Missing: 1}) {
			t.Errorf("restore on a full share: %+v %v", res, err)
		}
		noPart(t, reports)
		sameFile(t, csv, []byte("an earlier run's copy"))

		heal()
		if res, err := RestoreCopies(ctx, a); err != nil || res != (CopiesResult{Restored: 1}) {
			t.Errorf("restore: %+v %v", res, err)
		}
		sameFile(t, csv, big)
		noPart(t, reports)
		if pending, err := s.PendingCopies(ctx); err != nil || len(pending) != 0 {
			t.Errorf("after the restore %d copies still pending (%v)", len(pending), err)
		}
		if res, err := RestoreCopies(ctx, a); err != nil || res != (CopiesResult{}) {
			t.Errorf("a restore with nothing missing: %+v %v", res, err)
		}
	})
}

// withRun is the job with run in place of its report.
func (j Job) withRun(run func(ctx context.Context, a *core.App, period string, asOf domain.Date, out *Output) error) *Job {
	j.Run = run
	return &j
}

// noPart fails when any .part file lies under dir.
func noPart(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".part") {
			t.Errorf("%s left behind", p)
		}
		return nil
	})
}

func sameFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes (%v), want %d", path, len(got), err, len(want))
	}
}
