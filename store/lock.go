package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"kam/domain"
)

// ErrBusy reports that another run holds the lock: another kam instance, or
// another goroutine of this one, is running the same job for the same period.
var ErrBusy = errors.New("另一个 kam 正在运行同一作业的同一期间")

// lockCheckEvery is how often a held MySQL lock's connection is checked; a var so tests can shorten it.
var lockCheckEvery = 2 * time.Second

// RunLock is held while one job runs for one period (or while mail is being
// delivered), so two kam instances never do the same work at once.
type RunLock struct {
	release func()
	once    sync.Once
}

// Release gives the lock up; calling it again does nothing.
func (l *RunLock) Release() { l.once.Do(l.release) }

// LockRun takes the lock called name without waiting; ErrBusy when it is held.
// On MySQL it is GET_LOCK on a connection of its own, held until Release; if
// that connection dies the server frees the lock, so lost is called and the
// run must give up. On SQLite only one `kam serve` may use the database
// (LockServe), so the lock is kept in this process.
func (s *Store) LockRun(ctx context.Context, name string, lost func(error)) (*RunLock, error) {
	if s.dialect == MySQL {
		return s.lockMySQL(ctx, name, lost)
	}
	k := localKey{s, name}
	localLocks.Lock()
	defer localLocks.Unlock()
	if localLocks.held[k] {
		return nil, ErrBusy
	}
	localLocks.held[k] = true
	return &RunLock{release: func() {
		localLocks.Lock()
		delete(localLocks.held, k)
		localLocks.Unlock()
	}}, nil
}

type localKey struct {
	s    *Store
	name string
}

var localLocks = struct {
	sync.Mutex
	held map[localKey]bool
}{held: map[localKey]bool{}}

func (s *Store) lockMySQL(ctx context.Context, name string, lost func(error)) (*RunLock, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("取得加锁连接: %w", err)
	}
	var database string
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&database); err != nil {
		conn.Close()
		return nil, fmt.Errorf("取得加锁连接: %w", err)
	}
	key := lockKey(database, name)
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", key).Scan(&got); err != nil {
		conn.Close()
		return nil, fmt.Errorf("加锁 %s: %w", key, err)
	}
	if got.Int64 != 1 {
		conn.Close()
		return nil, ErrBusy
	}
	stop, watching := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watching)
		tick := time.NewTicker(lockCheckEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if err := stillHeld(conn, key); err != nil {
				s.log.Error().Err(err).Str("lock", key).Msg("运行锁丢失，放弃本次运行")
				if lost != nil {
					lost(fmt.Errorf("与数据库的加锁连接中断，锁 %s 已失去，放弃本次运行: %w", key, err))
				}
				return
			}
		}
	}()
	return &RunLock{release: func() {
		close(stop)
		<-watching
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(ctx, "DO RELEASE_LOCK(?)", key) // a dead connection has released it already
		conn.Close()
	}}, nil
}

// stillHeld checks that the lock's own connection is alive and still owns it.
func stillHeld(conn *sql.Conn, key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), lockCheckEvery+5*time.Second)
	defer cancel()
	var mine sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?) = CONNECTION_ID()", key).Scan(&mine); err != nil {
		return err
	}
	if mine.Int64 != 1 {
		return errors.New("锁已不属于本连接")
	}
	return nil
}

// lockKey names a server-wide MySQL lock for one database (GET_LOCK names are limited to 64 characters).
func lockKey(database, name string) string {
	k := "kam:" + database + ":" + name
	if len(k) <= 64 {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return "kam:" + hex.EncodeToString(sum[:])[:60]
}

// LockServe keeps a second `kam serve` off a SQLite database: it takes an
// exclusive file lock on <database>.serve.lock, held until release is called
// (or the process ends). On MySQL several instances may serve; it does nothing.
func (s *Store) LockServe(ctx context.Context) (release func(), err error) {
	if s.dialect == MySQL {
		return func() {}, nil
	}
	dbPath, err := s.sqliteFile(ctx)
	if err != nil {
		return nil, err
	}
	path := dbPath + ".serve.lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("打开锁文件: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder))
			if who != "" {
				who = "（" + who + "）"
			}
			return nil, domain.Usagef("另一个 kam serve 正在使用数据库 %s%s。同一个 SQLite 数据库只能运行一个 kam serve；"+
				"要运行两个实例，请改用 MySQL（db.dsn 或 KAM_DB_DSN）。锁文件：%s", dbPath, who, path)
		}
		return nil, fmt.Errorf("锁定 %s: %w", path, err)
	}
	host, _ := os.Hostname()
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte("进程 "+strconv.Itoa(os.Getpid())+"@"+host+"，启动于 "+s.now().Format(time.DateTime)+"\n"), 0)
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
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
