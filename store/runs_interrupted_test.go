package store_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"kam/store"
	"kam/store/storetest"
)

var interruptedAt = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

// A kam killed mid-run leaves its run running; the next kam to open the store
// finds the run's lock free and records it interrupted, as not succeeded and
// as needing a rerun — unless the run's lock is still held (it is running).
func TestOpenMarksRunsWhoseKamIsGoneInterrupted(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.MySQL} {
		t.Run(dialect, func(t *testing.T) {
			opts := store.Options{Log: zerolog.Nop()}
			if dialect == store.MySQL {
				opts.DSN = storetest.NewMySQLDatabase(t)
			} else {
				opts.SQLitePath = filepath.Join(t.TempDir(), "kam.db")
			}
			first, err := store.Open(ctx, opts)
			must(t, err)
			defer first.Close()
			// A run whose kam is gone (its lock free) and one still running here (its lock held).
			gone := orphanRun(t, first, "grade", "2026Q2", "schedule", store.RunRunning)
			alive := startRun(t, first, "tender", "2026-11-30", "manual", store.RunRunning)

			opts.Now = func() time.Time { return interruptedAt }
			next, err := store.Open(ctx, opts)
			must(t, err)
			defer next.Close()
			runs := map[int64]store.Run{}
			recent, err := next.RecentRuns(ctx, 10)
			must(t, err)
			for _, r := range recent {
				runs[r.ID] = r
			}
			g := runs[gone]
			if g.Outcome != store.RunInterrupted || !g.FinishedAt.Valid || !g.FinishedAt.Time.Equal(interruptedAt) ||
				g.Headline != "" || !strings.Contains(g.Error, "运行中断") {
				t.Errorf("run of a gone kam: %+v, want interrupted at %v", g, interruptedAt)
			}
			if a := runs[alive]; a.Outcome != store.RunRunning {
				t.Errorf("run whose lock is held: %q, want still running", a.Outcome)
			}
			if done, err := next.Succeeded(ctx, "grade", "2026Q2"); err != nil || done {
				t.Errorf("an interrupted run counts as succeeded: %v %v", done, err)
			}
			if last, err := next.LastSuccess(ctx); err != nil || last["grade"] != "" {
				t.Errorf("catch-up's last success %v %v, want none for grade", last, err)
			}
			if periods, err := next.SucceededPeriods(ctx, "grade", "2026Q1"); err != nil || periods["2026Q2"] {
				t.Errorf("succeeded periods %v %v include the interrupted one", periods, err)
			}
			failed, err := next.FailedRuns(ctx, 10)
			must(t, err)
			if len(failed) != 1 || failed[0].ID != gone {
				t.Errorf("runs needing a rerun: %+v, want the interrupted one only", failed)
			}
		})
	}
}

// The same with a real kill: a child process holds the lock and its run is recorded; SIGKILL frees the lock.
func TestRunOfAKilledProcessIsInterrupted(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.MySQL} {
		t.Run(dialect, func(t *testing.T) {
			opts := store.Options{Log: zerolog.Nop()}
			child := ""
			if dialect == store.MySQL {
				opts.DSN = storetest.NewMySQLDatabase(t)
				child = "mysql:" + opts.DSN
			} else {
				opts.SQLitePath = filepath.Join(t.TempDir(), "kam.db")
				child = "sqlite:" + opts.SQLitePath
			}
			holder := startLockHolder(t, child, true)
			s, err := store.Open(ctx, opts) // the child is alive: its run stays running
			must(t, err)
			running, err := s.RunningRuns(ctx)
			must(t, err)
			s.Close()
			if len(running) != 1 || !strings.HasSuffix(running[0].Instance, ":"+strconv.Itoa(holder.Process.Pid)) {
				t.Fatalf("running runs beside the live child %d: %+v", holder.Process.Pid, running)
			}
			must(t, holder.Process.Kill())
			_ = holder.Wait()
			s, err = store.Open(ctx, opts)
			must(t, err)
			defer s.Close()
			// MariaDB frees GET_LOCK once it notices the dead connection, a moment after the kill.
			for deadline := time.Now().Add(5 * time.Second); dialect == store.MySQL && time.Now().Before(deadline); {
				still, err := s.RunningRuns(ctx)
				must(t, err)
				if len(still) == 0 {
					break
				}
				time.Sleep(20 * time.Millisecond)
				_, err = s.MarkInterrupted(ctx)
				must(t, err)
			}
			failed, err := s.FailedRuns(ctx, 10)
			must(t, err)
			if len(failed) != 1 || failed[0].Outcome != store.RunInterrupted || failed[0].ID != running[0].ID {
				t.Fatalf("after the kill: %+v, want its run interrupted", failed)
			}
		})
	}
}

// A failed run's record never carries a success headline: FinishRun clears one
// even when the run had been closed as succeeded before.
func TestFailedRunHasNoHeadline(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		id := startRun(t, s, "grade", "2026Q2", "manual", store.RunSucceeded)
		runs, err := s.RecentRuns(ctx, 1)
		must(t, err)
		if runs[0].Headline == "" {
			t.Fatal("a succeeded run has no headline: the test proves nothing")
		}
		must(t, s.FinishRun(ctx, id, store.RunFailed, nil, "复制到报表目录失败", interruptedAt))
		runs, err = s.RecentRuns(ctx, 1)
		must(t, err)
		if r := runs[0]; r.Outcome != store.RunFailed || r.Headline != "" || r.Error != "复制到报表目录失败" {
			t.Errorf("failed run recorded as %+v", r)
		}
	})
}

// A read-only store (kam status on a database it may not write) cannot record
// the interruption, but lists such a run as interrupted all the same.
func TestReadOnlyStoreShowsRunsOfAGoneKamInterrupted(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.MySQL} {
		t.Run(dialect, func(t *testing.T) {
			opts := store.Options{Log: zerolog.Nop()}
			if dialect == store.MySQL {
				opts.DSN = storetest.NewMySQLDatabase(t)
			} else {
				opts.SQLitePath = filepath.Join(t.TempDir(), "kam.db")
			}
			w, err := store.Open(ctx, opts)
			must(t, err)
			defer w.Close()
			gone := orphanRun(t, w, "roster", "2026-06", "manual", store.RunRunning)
			alive := startRun(t, w, "splits", "2026-06", "manual", store.RunRunning)

			opts.ReadOnly = true
			ro, err := store.Open(ctx, opts)
			must(t, err)
			defer ro.Close()
			recent, err := ro.RecentRuns(ctx, 10)
			must(t, err)
			got := map[int64]string{}
			for _, r := range recent {
				got[r.ID] = r.Outcome
			}
			if got[gone] != store.RunInterrupted || got[alive] != store.RunRunning {
				t.Errorf("recent runs %v, want %d interrupted and %d running", got, gone, alive)
			}
			failed, err := ro.FailedRuns(ctx, 10)
			must(t, err)
			if len(failed) != 1 || failed[0].ID != gone || failed[0].Outcome != store.RunInterrupted {
				t.Errorf("runs needing a rerun: %+v, want %d interrupted", failed, gone)
			}
			var stored string
			must(t, w.DB().Get(&stored, "SELECT outcome FROM job_runs WHERE id = ?", gone))
			if stored != store.RunRunning {
				t.Errorf("a read-only store wrote %q", stored)
			}
		})
	}
}
