package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

func TestRunLockIsExclusiveUntilReleased(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		l, err := s.LockRun(ctx, "job:grade:2026Q2", nil)
		must(t, err)
		if _, err := s.LockRun(ctx, "job:grade:2026Q2", nil); !errors.Is(err, store.ErrBusy) {
			t.Fatalf("second lock: %v, want ErrBusy", err)
		}
		other, err := s.LockRun(ctx, "job:grade:2026Q3", nil)
		must(t, err)
		other.Release()
		l.Release()
		l.Release() // twice is harmless
		again, err := s.LockRun(ctx, "job:grade:2026Q2", nil)
		must(t, err)
		again.Release()
	})
}

// openSecond opens another store on the MySQL database s uses, as a second kam instance would.
func openSecond(t *testing.T, s *store.Store) *store.Store {
	t.Helper()
	var name string
	must(t, s.DB().Get(&name, "SELECT DATABASE()"))
	cfg, err := mysql.ParseDSN(os.Getenv(storetest.EnvMySQLDSN))
	must(t, err)
	cfg.DBName = name
	s2, err := store.Open(ctx, store.Options{DSN: cfg.FormatDSN(), Log: zerolog.Nop()})
	must(t, err)
	t.Cleanup(func() { s2.Close() })
	return s2
}

func TestRunLockSpansInstancesAndIsGivenUpWithItsConnection(t *testing.T) {
	s := storetest.OpenMySQL(t)
	s2 := openSecond(t, s)
	defer store.SetLeaseTiming(3*time.Second, 50*time.Millisecond, time.Second)()

	lost := make(chan error, 1)
	l, err := s.LockRun(ctx, "job:splits:2026-06", func(err error) { lost <- err })
	must(t, err)
	defer l.Release()
	if _, err := s2.LockRun(ctx, "job:splits:2026-06", nil); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("the other instance took a held lock: %v", err)
	}

	// The server drops the lease's connection: the holder must hear of it and the other instance may take over at once.
	var holder int64
	must(t, s2.DB().Get(&holder, "SELECT conn_id FROM leases WHERE name = 'job:splits:2026-06'"))
	if _, err := s2.DB().Exec("KILL ?", holder); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-lost:
		if !errors.Is(err, store.ErrLeaseLost) || !strings.Contains(err.Error(), "放弃本次运行") {
			t.Errorf("lost error %q", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("losing the lock's connection was not noticed")
	}
	l2, err := s2.LockRun(ctx, "job:splits:2026-06", nil)
	must(t, err)
	l2.Release()
}

func TestSecondServeOnOneSQLiteFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kam.db")
	open := func() *store.Store {
		s, err := store.Open(ctx, store.Options{SQLitePath: path, Log: zerolog.Nop()})
		must(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}
	first, second := open(), open()
	release, err := first.LockServe(ctx)
	must(t, err)
	_, err = second.LockServe(ctx)
	var ue *domain.Error
	if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "另一个 kam serve 正在使用数据库") || !strings.Contains(ue.Msg, "MySQL") {
		t.Fatalf("second serve: %v, want a clear refusal", err)
	}
	if !strings.Contains(ue.Msg, "进程 "+strconv.Itoa(os.Getpid())) {
		t.Errorf("refusal does not name the holder: %s", ue.Msg)
	}
	release()
	release2, err := second.LockServe(ctx)
	must(t, err)
	release2()
}

func TestMySQLInstancesMayServeTogether(t *testing.T) {
	s := storetest.OpenMySQL(t)
	s2 := openSecond(t, s)
	r1, err := s.LockServe(context.Background())
	must(t, err)
	defer r1()
	r2, err := s2.LockServe(context.Background())
	must(t, err)
	r2()
}

// Two stores on one SQLite file, as two kam processes would open it: a run lock
// held by one is refused to the other, naming the holder, until released.
func TestSQLiteRunLockSpansStoresOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kam.db")
	open := func() *store.Store {
		s, err := store.Open(ctx, store.Options{SQLitePath: path, Log: zerolog.Nop()})
		must(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}
	first, second := open(), open()
	l, err := first.LockRun(ctx, store.JobLockName("grade", "2026Q2"), nil)
	must(t, err)
	_, err = second.LockRun(ctx, store.JobLockName("grade", "2026Q2"), nil)
	var busy *store.BusyError
	if !errors.As(err, &busy) || !errors.Is(err, store.ErrBusy) || !strings.Contains(busy.Holder, "进程 "+strconv.Itoa(os.Getpid())+"@") {
		t.Fatalf("second store: %v, want ErrBusy naming this process", err)
	}
	if _, err := os.Stat(path + ".locks/job-grade-2026Q2.lock"); err != nil {
		t.Errorf("lock file not beside the database: %v", err)
	}
	ingest, err := second.LockRun(ctx, "ingest", nil)
	must(t, err)
	if _, err := first.LockRun(ctx, "ingest", nil); !errors.Is(err, store.ErrBusy) {
		t.Errorf("the inbox scan lock is not shared: %v", err)
	}
	ingest.Release()
	l.Release()
	l2, err := second.LockRun(ctx, store.JobLockName("grade", "2026Q2"), nil)
	must(t, err)
	l2.Release()
}

// envLockChild makes the test binary, run again as a child, hold a run lock until
// killed: "sqlite:PATH" or "mysql:DSN"; with envLockChildRun set it also records the run as started.
const (
	envLockChild    = "KAM_TEST_LOCK_CHILD_DB"
	envLockChildRun = "KAM_TEST_LOCK_CHILD_RUN"
)

func TestHelperHoldRunLock(t *testing.T) {
	db := os.Getenv(envLockChild)
	if db == "" {
		t.Skip("only run as the child of the tests that start it")
	}
	opts := store.Options{Log: zerolog.Nop()}
	if dsn, ok := strings.CutPrefix(db, "mysql:"); ok {
		opts.DSN = dsn
	} else {
		opts.SQLitePath = strings.TrimPrefix(db, "sqlite:")
	}
	s, err := store.Open(ctx, opts)
	must(t, err)
	if _, err := s.LockRun(ctx, store.JobLockName("splits", "2026-06"), nil); err != nil {
		t.Fatal(err)
	}
	if os.Getenv(envLockChildRun) != "" {
		_, err := s.StartRun(ctx, "splits", "2026-06", "manual", time.Now())
		must(t, err)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute) // killed by the parent long before
}

// startLockHolder runs this test binary again as a child holding splits/2026-06's
// lock on db ("sqlite:PATH" or "mysql:DSN"), and with run, a run of it recorded as started.
func startLockHolder(t *testing.T, db string, run bool) *exec.Cmd {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^TestHelperHoldRunLock$", "-test.v")
	child.Env = append(os.Environ(), envLockChild+"="+db)
	if run {
		child.Env = append(child.Env, envLockChildRun+"=1")
	}
	out, err := child.StdoutPipe()
	must(t, err)
	must(t, child.Start())
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if lines.Text() == "locked" {
			return child
		}
	}
	t.Fatalf("child never took the lock: %v", lines.Err())
	return nil
}

// Another process holds the lock: busy, naming that process; once it is killed the lock is free.
func TestSQLiteRunLockHeldByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kam.db")
	s, err := store.Open(ctx, store.Options{SQLitePath: path, Log: zerolog.Nop()})
	must(t, err)
	defer s.Close()
	child := startLockHolder(t, "sqlite:"+path, false)
	_, err = s.LockRun(ctx, store.JobLockName("splits", "2026-06"), nil)
	var busy *store.BusyError
	if !errors.As(err, &busy) || !strings.Contains(busy.Holder, "进程 "+strconv.Itoa(child.Process.Pid)+"@") {
		t.Fatalf("lock held by child %d: %v, want ErrBusy naming it", child.Process.Pid, err)
	}
	must(t, child.Process.Kill())
	_ = child.Wait()
	l, err := s.LockRun(ctx, store.JobLockName("splits", "2026-06"), nil)
	must(t, err)
	l.Release()
}

// On MySQL the busy error names the kam running the job, read from its run record.
func TestMySQLBusyNamesTheRunningKam(t *testing.T) {
	s := storetest.OpenMySQL(t)
	s2 := openSecond(t, s)
	startRun(t, s, "roster", "2026-06", "schedule", store.RunRunning) // holds job:roster:2026-06
	_, err := s2.LockRun(ctx, store.JobLockName("roster", "2026-06"), nil)
	var busy *store.BusyError
	if !errors.As(err, &busy) || !strings.Contains(busy.Holder, "进程 "+strconv.Itoa(os.Getpid())+"@") {
		t.Fatalf("second instance: %v, want ErrBusy naming this process", err)
	}
	free, err := s2.LockRun(ctx, "ingest", nil) // not held: other locks stay free
	must(t, err)
	free.Release()
}
