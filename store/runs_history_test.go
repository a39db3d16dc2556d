package store_test

import (
	"errors"
	"testing"
	"time"

	"kam/store"
	"kam/store/storetest"
)

// startRun opens a run and, unless outcome is running, closes it so. A running
// run holds its run lock until the test ends, as the kam running it would.
func startRun(t *testing.T, s *store.Store, job, period, trigger, outcome string) int64 {
	t.Helper()
	if outcome == store.RunRunning {
		lock, err := s.LockRun(ctx, store.JobLockName(job, period), nil)
		must(t, err)
		t.Cleanup(lock.Release)
	}
	return orphanRun(t, s, job, period, trigger, outcome)
}

// orphanRun is startRun without the lock: a running one was left by a kam that is gone.
func orphanRun(t *testing.T, s *store.Store, job, period, trigger, outcome string) int64 {
	t.Helper()
	now := time.Date(2026, 7, 10, 3, 0, 0, 0, time.UTC)
	id, err := s.StartRun(ctx, job, period, trigger, now)
	must(t, err)
	switch outcome {
	case store.RunSucceeded:
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.SucceedRun(id, map[string]int64{"n": 1}, "钻石 1 户", now) }))
	case store.RunFailed:
		must(t, s.FinishRun(ctx, id, store.RunFailed, nil, "没有收入", now))
	}
	return id
}

func TestScheduledRunSucceedsOncePerPeriod(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		startRun(t, s, "grade", "2026Q2", "schedule", store.RunSucceeded)
		late := startRun(t, s, "grade", "2026Q2", "catch-up", store.RunRunning)
		err := s.InTx(ctx, func(tx *store.Tx) error { return tx.SucceedRun(late, nil, "", time.Now()) })
		if !errors.Is(err, store.ErrAlreadySucceeded) {
			t.Fatalf("second scheduled success: %v, want ErrAlreadySucceeded", err)
		}
		// People may rerun a period by hand as often as they like.
		startRun(t, s, "grade", "2026Q2", "manual", store.RunSucceeded)
		startRun(t, s, "grade", "2026Q2", "manual", store.RunSucceeded)
		startRun(t, s, "grade", "2026Q3", "schedule", store.RunSucceeded)

		runs, err := s.RecentRuns(ctx, 10)
		must(t, err)
		if len(runs) != 5 || runs[0].Headline != "钻石 1 户" || runs[0].Counts != `{"n":1}` || !runs[0].FinishedAt.Valid {
			t.Errorf("recent runs: %+v", runs)
		}
		if runs[3].Outcome != store.RunRunning {
			t.Errorf("the losing run is %q, want still running (its caller records the failure)", runs[3].Outcome)
		}
	})
}

func TestRunHistoryForCatchUpAndStatus(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		startRun(t, s, "review-diamond", "2026-04", "schedule", store.RunSucceeded)
		startRun(t, s, "review-diamond", "2026-05", "schedule", store.RunFailed)
		startRun(t, s, "review-diamond", "2026-06", "manual", store.RunSucceeded) // by hand: catch-up starts after it too
		startRun(t, s, "tender", "2026-07-09", "schedule", store.RunSucceeded)
		startRun(t, s, "tender", "2026-07-10", "catch-up", store.RunSucceeded)
		fixed := startRun(t, s, "splits", "2026-06", "schedule", store.RunFailed)
		startRun(t, s, "splits", "2026-06", "manual", store.RunSucceeded)
		running := startRun(t, s, "roster", "2026-06", "schedule", store.RunRunning)

		last, err := s.LastSuccess(ctx)
		must(t, err)
		equal(t, "last success", last, map[string]string{"review-diamond": "2026-06", "tender": "2026-07-10", "splits": "2026-06"})

		done, err := s.SucceededPeriods(ctx, "review-diamond", "2026-05")
		must(t, err)
		equal(t, "succeeded periods", done, map[string]bool{"2026-06": true})
		ok, err := s.Succeeded(ctx, "splits", "2026-06")
		must(t, err)
		if !ok {
			t.Error("splits 2026-06 succeeded by hand, Succeeded says no")
		}

		failed, err := s.FailedRuns(ctx, 10)
		must(t, err)
		if len(failed) != 1 || failed[0].Job != "review-diamond" || failed[0].Period != "2026-05" || failed[0].Error != "没有收入" {
			t.Errorf("failed runs still open: %+v (splits run %d was rerun successfully)", failed, fixed)
		}
		stale, err := s.RunningRuns(ctx)
		must(t, err)
		if len(stale) != 1 || stale[0].ID != running {
			t.Errorf("running runs: %+v", stale)
		}
	})
}
