package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"kam/store"
	"kam/store/storetest"
)

// plantLease writes a lease row as another kam would have left it: held by
// holder on node, through connection connID, expiring in expiresIn by the database's clock.
func plantLease(t *testing.T, s *store.Store, name, holder, node string, connID int64, expiresIn time.Duration) {
	t.Helper()
	must(t, s.DB().Get(new(int), "SELECT 1")) // the store is open
	_, err := s.DB().Exec(`INSERT INTO leases (name, holder, token, node, conn_id, db_user, acquired_at, renewed_at, expires_at)
		VALUES (?, ?, 'planted0000000000000000000000000', ?, ?, CURRENT_USER(), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6),
		DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? MICROSECOND))`, name, holder, node, connID, expiresIn.Microseconds())
	must(t, err)
}

// A lease held through another node (a cluster's, where this node cannot see
// the holder's connection) is busy until it expires by the database's clock,
// then taken over, and the run it covered is recorded as interrupted.
func TestLeaseOfAnotherNodeIsTakenOverWhenItExpires(t *testing.T) {
	s := storetest.OpenMySQL(t)
	run := orphanRun(t, s, "splits", "2026-06", "schedule", store.RunRunning)
	plantLease(t, s, store.JobLockName("splits", "2026-06"), "node2-host:4242", "galera-2:3306/other", 7, 1500*time.Millisecond)

	_, err := s.LockRun(ctx, store.JobLockName("splits", "2026-06"), nil)
	var busy *store.BusyError
	if !errors.As(err, &busy) || !strings.Contains(busy.Holder, "进程 4242@node2-host") {
		t.Fatalf("lease of a live holder on another node: %v, want ErrBusy naming it", err)
	}
	if n, err := s.MarkInterrupted(ctx); err != nil || n != 0 {
		t.Fatalf("marked %d runs (%v) while their lease was held", n, err)
	}
	time.Sleep(1600 * time.Millisecond)
	start := time.Now()
	l, err := s.LockRun(ctx, store.JobLockName("splits", "2026-06"), nil)
	must(t, err)
	defer l.Release()
	t.Logf("expired lease taken over in %v", time.Since(start))
	runs, err := s.RecentRuns(ctx, 1)
	must(t, err)
	if runs[0].ID != run || runs[0].Outcome != store.RunInterrupted {
		t.Errorf("the taken-over run: %+v, want interrupted", runs[0])
	}
}

// A lease whose holder's connection is gone from this very node (a kam killed
// on this machine, or anywhere, through the same server) is taken over at once.
func TestLeaseOfAGoneConnectionIsTakenOverAtOnce(t *testing.T) {
	s := storetest.OpenMySQL(t)
	var node string
	l, err := s.LockRun(ctx, "ingest", nil)
	must(t, err)
	must(t, s.DB().Get(&node, "SELECT node FROM leases WHERE name = 'ingest'"))
	l.Release()
	plantLease(t, s, "ingest", "gone-host:99", node, 1<<40, time.Hour)
	l, err = s.LockRun(ctx, "ingest", nil)
	if err != nil {
		t.Fatalf("a lease of a connection gone from this node: %v, want it taken over", err)
	}
	l.Release()
	var left int
	must(t, s.DB().Get(&left, "SELECT COUNT(*) FROM leases WHERE name = 'ingest'"))
	if left != 0 {
		t.Errorf("%d lease rows left after release", left)
	}
}

// A holder whose lease another kam took over (it stalled past the expiry)
// hears of it at its next renewal, and its publishing transaction is refused.
func TestHolderThatLostItsLeaseCannotPublish(t *testing.T) {
	s := storetest.OpenMySQL(t)
	s2 := openSecond(t, s)
	defer store.SetLeaseTiming(10*time.Second, 100*time.Millisecond, 2*time.Second)()
	lost := make(chan error, 1)
	l, err := s.LockRun(ctx, "job:roster:2026-06", func(err error) { lost <- err })
	must(t, err)
	defer l.Release()
	must(t, s.InTx(ctx, func(tx *store.Tx) error { return l.Check(tx) })) // held: the fence passes

	// The holder stalls (a pause, a partition) long enough for its lease to expire …
	_, err = s2.DB().Exec("UPDATE leases SET expires_at = DATE_SUB(UTC_TIMESTAMP(6), INTERVAL 1 SECOND) WHERE name = 'job:roster:2026-06'")
	must(t, err)
	// … and before it writes again, the fence alone refuses its publish.
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Tx().Exec("UPDATE job_runs SET error = 'x' WHERE 1 = 0"); err != nil {
			return err
		}
		return l.Check(tx)
	})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("publish after the lease expired: %v, want ErrLeaseLost", err)
	}
	taken, err := s2.LockRun(ctx, "job:roster:2026-06", nil)
	must(t, err)
	defer taken.Release()
	select {
	case err := <-lost:
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("lost with %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the holder never heard its lease was taken over")
	}
	if err := l.Err(); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("RunLock.Err after the takeover: %v", err)
	}
	if err := s.InTx(ctx, func(tx *store.Tx) error { return l.Check(tx) }); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("fence after the takeover: %v", err)
	}
	l.Release() // must not free the new holder's lease
	if _, err := s.LockRun(ctx, "job:roster:2026-06", nil); !errors.Is(err, store.ErrBusy) {
		t.Errorf("the old holder's release freed the new holder's lease: %v", err)
	}
}

// A holder that cannot renew (its database unreachable, say) gives the lease up
// by itself before it could expire anywhere: leaseTTL - leaseSkew after its last renewal.
func TestHolderGivesUpALeaseItCannotRenew(t *testing.T) {
	s := storetest.OpenMySQL(t)
	defer store.SetLeaseTiming(1500*time.Millisecond, 100*time.Millisecond, 500*time.Millisecond)()
	lost := make(chan error, 1)
	l, err := s.LockRun(ctx, "delivery", func(err error) { lost <- err })
	must(t, err)
	defer l.Release()
	// Another transaction holds the lease's row: every renewal waits and fails.
	s2 := openSecond(t, s)
	tx, err := s2.DB().Begin()
	must(t, err)
	defer tx.Rollback()
	_, err = tx.Exec("SET SESSION innodb_lock_wait_timeout = 1")
	must(t, err)
	_, err = tx.Exec("UPDATE leases SET holder = holder WHERE name = 'delivery'")
	must(t, err)
	start := time.Now()
	select {
	case err := <-lost:
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("lost with %v", err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("gave the lease up after %v, later than its expiry", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a lease that could not be renewed was kept")
	}
}
