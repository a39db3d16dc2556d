package store_test

import (
	"context"
	"errors"
	"os"
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
	defer store.SetLockCheckEvery(50 * time.Millisecond)()

	lost := make(chan error, 1)
	l, err := s.LockRun(ctx, "job:splits:2026-06", func(err error) { lost <- err })
	must(t, err)
	defer l.Release()
	if _, err := s2.LockRun(ctx, "job:splits:2026-06", nil); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("the other instance took a held lock: %v", err)
	}

	// The server drops the lock's connection: the holder must hear of it and the other instance may take over.
	var holder int64
	must(t, s2.DB().Get(&holder, "SELECT IS_USED_LOCK(CONCAT('kam:', DATABASE(), ':job:splits:2026-06'))"))
	if _, err := s2.DB().Exec("KILL ?", holder); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-lost:
		if !strings.Contains(err.Error(), "放弃本次运行") {
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
