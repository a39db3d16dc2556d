package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"kam/domain"
)

// ErrBusy reports that another run holds the lock: another kam instance, or
// another goroutine of this one, is running the same job for the same period.
// The error LockRun returns is a *BusyError naming the holder when the lock says.
var ErrBusy = errors.New("另一个 kam 正在运行同一作业的同一期间")

// BusyError is ErrBusy with who holds the lock (process, host, since), as its holder wrote it.
type BusyError struct {
	Lock   string // the lock's name, e.g. job:grade:2026Q2
	Holder string // 进程 1234@host，始于 2026-12-01 08:00:00; '' when unknown
}

func (e *BusyError) Error() string {
	if e.Holder == "" {
		return ErrBusy.Error()
	}
	return ErrBusy.Error() + "：" + e.Holder
}

// Is makes errors.Is(err, ErrBusy) hold.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// RunLock is held while one job runs for one period (or while mail is being
// delivered), so two kam instances never do the same work at once.
type RunLock struct {
	release func()
	once    sync.Once
	lease   *lease // MySQL; nil for a file lock
}

// Release gives the lock up; calling it again does nothing.
func (l *RunLock) Release() { l.once.Do(l.release) }

// Err is nil while the lock is surely held, else why it is lost (ErrLeaseLost):
// work that cannot be undone (a mail sent) checks it first. A file lock is held
// until released.
func (l *RunLock) Err() error {
	if l == nil || l.lease == nil {
		return nil
	}
	return l.lease.lostErr()
}

// Check is the fence of the transaction that publishes a holder's work: on
// MySQL it renews the lease in tx, or fails with ErrLeaseLost when the lease has
// expired or another kam took it over, and the transaction cannot commit after
// such a takeover. Call it last before the commit (it holds the lease's row
// until then). A file lock cannot be lost while its process lives: nil.
func (l *RunLock) Check(tx *Tx) error {
	if l == nil || l.lease == nil {
		return nil
	}
	return l.lease.check(tx)
}

// JobLockName is the run lock of one job for one period, the name LockRun is
// given for it (so a stale-run check can test the same lock).
func JobLockName(job, period string) string { return "job:" + job + ":" + period }

// LockRun takes the lock called name without waiting; a *BusyError (errors.Is
// ErrBusy) when it is held. On MySQL it is a lease (lease.go): a row of the
// leases table, renewed on a connection of its own until Release and taken over
// by another kam once it has expired or its holder's connection is gone; when
// this holder loses it (taken over, its connection dead, or not renewed in
// time) lost is called and the work must give up before it publishes
// (RunLock.Check). On SQLite it is an exclusive file lock in <database>.locks/,
// held by this open file until Release or until the process ends (a killed kam
// frees it), so it keeps processes apart as well as goroutines.
//
// Whoever holds a job's lock (JobLockName) is the only one running it, so a run
// of that job and period still recorded running is of a kam that is gone: it is
// recorded as interrupted (中断) as the lock is taken.
func (s *Store) LockRun(ctx context.Context, name string, lost func(error)) (*RunLock, error) {
	l, err := s.lock(ctx, name, lost)
	if err != nil {
		return nil, err
	}
	if job, period, ok := jobOfLock(name); ok {
		if _, err := s.interruptOrphans(ctx, job, period); err != nil {
			l.Release()
			return nil, err
		}
	}
	return l, nil
}

// lock is LockRun without recording orphaned runs.
func (s *Store) lock(ctx context.Context, name string, lost func(error)) (*RunLock, error) {
	if s.dialect == MySQL {
		ls, err := s.takeLease(ctx, name, lost)
		if err != nil {
			return nil, err
		}
		return &RunLock{release: ls.release, lease: ls}, nil
	}
	path, err := s.lockPath(lockFileName(name))
	if err != nil {
		return nil, err
	}
	release, holder, err := s.tryFileLock(path)
	if err != nil {
		return nil, err
	}
	if release == nil {
		return nil, &BusyError{Lock: name, Holder: holder}
	}
	return &RunLock{release: release}, nil
}

// jobOfLock is the job and period a job's lock (JobLockName) is for.
func jobOfLock(name string) (job, period string, ok bool) {
	rest, ok := strings.CutPrefix(name, "job:")
	if !ok {
		return "", "", false
	}
	job, period, ok = strings.Cut(rest, ":")
	return job, period, ok
}

// lockFileName turns a lock name into a file name any OS accepts: job:grade:2026Q2 → job-grade-2026Q2.lock.
func lockFileName(name string) string {
	b := []byte(name)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		switch {
		case c == ':':
			b[i] = '-'
		case !ok:
			b[i] = '_'
		}
	}
	out := string(b)
	if out != strings.ReplaceAll(name, ":", "-") || len(out) > 100 {
		// Characters were replaced (or the name is long): a hash of the real name keeps two names apart.
		sum := sha256.Sum256([]byte(name))
		if len(out) > 80 {
			out = out[:80]
		}
		out += "-" + hex.EncodeToString(sum[:])[:12]
	}
	return out + ".lock"
}

// lockPath is file in the folder beside the SQLite database that holds its
// lock files, created owner-only (0700).
func (s *Store) lockPath(file string) (string, error) {
	if s.file == "" {
		return "", errors.New("SQLite 数据库没有文件路径（内存数据库），无法加文件锁")
	}
	dir := s.file + ".locks"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("创建锁目录 %s: %w", dir, err)
	}
	return filepath.Join(dir, file), nil
}

// tryFileLock takes path's exclusive lock without waiting and writes this
// process into it. When another holds it, release is nil and holder is what
// the holder wrote.
func (s *Store) tryFileLock(path string) (release func(), holder string, err error) {
	fl := flock.New(path, flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, "", fmt.Errorf("锁定 %s: %w", path, err)
	}
	if !ok {
		who, _ := os.ReadFile(path)
		return nil, strings.TrimSpace(string(who)), nil
	}
	// Advisory on Unix, so a second handle may write; where the OS refuses (Windows), the holder stays unnamed.
	if w, err := os.OpenFile(path, os.O_WRONLY, 0o600); err == nil {
		host, _ := os.Hostname()
		_ = w.Truncate(0)
		_, _ = w.WriteAt([]byte("进程 "+strconv.Itoa(os.Getpid())+"@"+host+"，始于 "+s.now().Format(time.DateTime)+"\n"), 0)
		w.Close()
	}
	return func() {
		if w, err := os.OpenFile(path, os.O_WRONLY, 0o600); err == nil {
			_ = w.Truncate(0)
			w.Close()
		}
		_ = fl.Unlock()
		_ = fl.Close()
	}, "", nil
}

// waitFileLock takes the file lock called file beside the SQLite database,
// waiting up to wait for its holder to let it go.
func (s *Store) waitFileLock(ctx context.Context, file string, wait time.Duration) (release func(), err error) {
	path, err := s.lockPath(file)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		release, holder, err := s.tryFileLock(path)
		if err != nil || release != nil {
			return release, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("等待锁 %s 超时（%v）：另一个 kam（%s）一直持有它", path, wait, holder)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// LockServe keeps a second `kam serve` off a SQLite database: it takes an
// exclusive file lock on <database>.locks/serve.lock, held until release is
// called (or the process ends). On MySQL several instances may serve; it does nothing.
func (s *Store) LockServe(ctx context.Context) (release func(), err error) {
	if s.dialect == MySQL {
		return func() {}, nil
	}
	path, err := s.lockPath("serve.lock")
	if err != nil {
		return nil, err
	}
	release, holder, err := s.tryFileLock(path)
	if err != nil {
		return nil, err
	}
	if release == nil {
		if holder != "" {
			holder = "（" + holder + "）"
		}
		return nil, domain.Usagef("另一个 kam serve 正在使用数据库 %s%s。同一个 SQLite 数据库只能运行一个 kam serve；"+
			"要运行两个实例，请改用 MySQL（db.dsn 或 KAM_DB_DSN）。锁文件：%s", s.file, holder, path)
	}
	return release, nil
}

// sqliteFile is the path of the open SQLite database's main file.
func (s *Store) sqliteFile(ctx context.Context) (string, error) {
	rows, err := s.db.QueryContext(ctx, "PRAGMA database_list")
	if err != nil {
		return "", fmt.Errorf("读取数据库文件路径: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var name, file string
		if err := rows.Scan(&seq, &name, &file); err != nil {
			return "", fmt.Errorf("读取数据库文件路径: %w", err)
		}
		if name == "main" && file != "" {
			return file, rows.Err()
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return "", errors.New("SQLite 数据库没有文件路径（内存数据库）")
}
