package pipeline

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kam/config"
	"kam/pipeline/jobs"
	"kam/status"
	"kam/store"
	"kam/store/storetest"
)

// The grade job's own workbook for D1, in the reports folder's D1 folder.
const d1Book = "grades_2026Q2_D1.xlsx"

// copiesApp is an App on seeded grade data where D1 has a mailbox, so a grade
// run publishes the city's workbook and D1's own.
func copiesApp(t *testing.T, s *store.Store) *App {
	t.Helper()
	seedGradeData(t, s)
	a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))
	a.Cfg.Recipients.Units = map[string][]string{"D1": {"d1@example.cn"}}
	return a
}

// block puts a folder where D1's workbook goes (in place of any copy there),
// with a file in it: no copy can take its place. unblock removes it.
func block(t *testing.T, a *App) (unblock func()) {
	t.Helper()
	dst := filepath.Join(a.Cfg.Paths.Reports, "D1", d1Book)
	os.Remove(dst)
	mustDo(t, os.MkdirAll(dst, 0o755))
	mustDo(t, os.WriteFile(filepath.Join(dst, "staff's notes.txt"), []byte("keep"), 0o644))
	return func() { mustDo(t, os.RemoveAll(dst)) }
}

// runLabels is each run's 结果 as kam status and the web page show it, by run id.
func runLabels(t *testing.T, a *App) map[int64]string {
	t.Helper()
	m, err := status.Gather(t.Context(), a.Store, a.Cfg, a.Clock(), status.Options{Runs: 10})
	mustDo(t, err)
	out := map[int64]string{}
	for _, r := range m.Runs {
		out[r.ID] = r.OutcomeLabel
	}
	return out
}

// noPartFiles fails when a .part file lies anywhere under the reports folder.
func noPartFiles(t *testing.T, a *App) {
	t.Helper()
	filepath.WalkDir(a.Cfg.Paths.Reports, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".part") {
			t.Errorf("%s left behind", p)
		}
		return nil
	})
}

// holdsArchived fails unless the copy of the report named name in unit's
// folder holds the bytes run archived under that name.
func holdsArchived(t *testing.T, a *App, run int64, unit, name string) {
	t.Helper()
	reps, err := a.Store.ListReports(t.Context(), store.ReportFilter{Unit: unit, CityOnly: unit == ""}, 100)
	mustDo(t, err)
	for _, r := range reps {
		if r.RunID != run || r.FileName != name {
			continue
		}
		var want bytes.Buffer
		_, err := a.Store.ReportContent(t.Context(), r.ID, &want)
		mustDo(t, err)
		got, err := os.ReadFile(filepath.Join(a.Cfg.Paths.Reports, unit, name))
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s/%s: %d bytes (%v), want run %d's %d", unit, name, len(got), err, run, want.Len())
		}
		return
	}
	t.Fatalf("run %d archived no %s for %q", run, name, unit)
}

// A copy that cannot be written (a folder in its place) does not fail a run
// whose archive and mail committed: the run is 成功（报表副本缺 1 份）, no .part
// is left, the other copies are in place, and once the way is clear the next
// scan or `kam deliver` writes it from the archive and the run is 成功 again.
func TestABlockedCopyIsWrittenFromTheArchive(t *testing.T) {
	for _, c := range []struct {
		by      string
		restore func(context.Context, *App) error
	}{
		{"scan", func(ctx context.Context, a *App) error { _, err := a.Ingest(ctx); return err }},
		{"deliver", func(ctx context.Context, a *App) error { _, err := a.Deliver(ctx); return err }},
	} {
		t.Run(c.by, func(t *testing.T) {
			storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
				ctx := t.Context()
				a := copiesApp(t, s)
				unblock := block(t, a)
				out, err := a.RunJob(ctx, "grade", jobs.RunRequest{Period: "2026Q2"})
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				if out.MissingCopies != 1 || len(out.Paths) != 1 || len(out.UnitPaths) != 0 {
					t.Errorf("missing %d, published %v %v; want D1's copy missing, the city's in place", out.MissingCopies, out.Paths, out.UnitPaths)
				}
				if ok, err := s.Succeeded(ctx, "grade", "2026Q2"); err != nil || !ok {
					t.Errorf("the run did not succeed (%v)", err)
				}
				wantEqual(t, "label with the copy missing", runLabels(t, a), map[int64]string{out.RunID: "成功（报表副本缺 1 份）"})
				noPartFiles(t, a)
				holdsArchived(t, a, out.RunID, "", "grades_2026Q2.xlsx")

				// Still blocked: still missing, still no .part, the folder in the way untouched.
				mustDo(t, c.restore(ctx, a))
				wantEqual(t, "label while still blocked", runLabels(t, a), map[int64]string{out.RunID: "成功（报表副本缺 1 份）"})
				noPartFiles(t, a)
				if _, err := os.Stat(filepath.Join(a.Cfg.Paths.Reports, "D1", d1Book, "staff's notes.txt")); err != nil {
					t.Errorf("the folder in the way: %v", err)
				}

				unblock()
				mustDo(t, c.restore(ctx, a))
				holdsArchived(t, a, out.RunID, "D1", d1Book)
				wantEqual(t, "label once restored", runLabels(t, a), map[int64]string{out.RunID: "成功"})
				noPartFiles(t, a)
			})
		})
	}
}

// An older run's missing copy never replaces a newer run's: once a newer run
// of the same report published its copy, or still waits for its own, the
// older one is nobody's to write, and its run no longer lacks it.
func TestAnOlderCopyNeverReplacesANewerOne(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		a := copiesApp(t, s)
		run := func() int64 {
			t.Helper()
			// Forced: the data stay the same, and each run must publish a version of its own (SPEC §5.2).
			out, err := a.RunJob(ctx, "grade", jobs.RunRequest{Period: "2026Q2", Force: true})
			mustDo(t, err)
			return out.RunID
		}

		// The older run's copy is missing; the newer run's is written.
		unblock := block(t, a)
		older := run()
		unblock()
		newer := run()
		mustDo(t, func() error { _, err := a.Ingest(ctx); return err }())
		holdsArchived(t, a, newer, "D1", d1Book)
		wantEqual(t, "labels", runLabels(t, a), map[int64]string{older: "成功", newer: "成功"})

		// Both missing: only the newest is written.
		unblock = block(t, a)
		older, newer = run(), run()
		wantEqual(t, "labels while blocked", runLabels(t, a)[older], "成功")
		wantEqual(t, "labels while blocked", runLabels(t, a)[newer], "成功（报表副本缺 1 份）")
		unblock()
		mustDo(t, func() error { _, err := a.Deliver(ctx); return err }())
		holdsArchived(t, a, newer, "D1", d1Book)
		noPartFiles(t, a)
	})
}

// kam serve writes the missing copies when it starts, before catching up.
func TestServeWritesMissingCopiesAtStart(t *testing.T) {
	s := storetest.OpenSQLite(t)
	a := copiesApp(t, s)
	unblock := block(t, a)
	out, err := a.RunJob(t.Context(), "grade", jobs.RunRequest{Period: "2026Q2"})
	mustDo(t, err)
	unblock()

	a.Cfg.Schedule = config.Schedule{Jobs: map[string]string{}, Grace: config.Duration{Duration: time.Second}}
	sched, err := a.NewScheduler()
	mustDo(t, err)
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error)
	go func() { served <- sched.Serve(ctx) }()
	waitFor(t, "the copy to be written", func() bool {
		_, err := os.Stat(filepath.Join(a.Cfg.Paths.Reports, "D1", d1Book))
		return err == nil
	})
	stop()
	mustDo(t, <-served)
	holdsArchived(t, a, out.RunID, "D1", d1Book)
	wantEqual(t, "label", runLabels(t, a), map[int64]string{out.RunID: "成功"})
}
