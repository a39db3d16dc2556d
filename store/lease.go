package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// On MySQL/MariaDB a run lock is a lease: a row of the leases table naming its
// holder, renewed while the holder works and taken over once it has expired.
// GET_LOCK cannot do this on a cluster: it holds on one node only.
//
// Every time in the row is the database's clock (UTC_TIMESTAMP(6)), never an
// instance's, so kam machines whose clocks differ agree on when a lease ends.
// The nodes of a cluster each have their own clock, though: the holder renews
// every leaseRenewEvery, the row expires leaseTTL after its last renewal, and
// the holder gives the lease up by itself leaseTTL-leaseSkew after the start of
// its last renewal that succeeded (measured on its own monotonic clock). A node
// whose clock runs up to leaseSkew ahead of the holder's node therefore still
// never sees the lease expire while its holder works.
//
// A lease whose holder's own connection is gone from the database node both
// are on (a killed kam) is taken over at once, as GET_LOCK was freed; across
// nodes only expiry tells, and a lost lease's holder stops before it publishes
// (RunLock.Check in the publishing transaction).
var (
	leaseTTL        = 30 * time.Second
	leaseRenewEvery = 5 * time.Second
	leaseSkew       = 10 * time.Second
	// leaseWaitEvery is how often a lock that waits (migrate) tries again.
	leaseWaitEvery = 250 * time.Millisecond
)

// ErrLeaseLost reports that a holder's lease was taken over by another kam, or
// could not be renewed before it might have been: its work must stop before it
// publishes anything. The run it held is recorded as interrupted (中断).
var ErrLeaseLost = errors.New("运行锁（租约）已失去，放弃本次运行：另一个 kam 可能已经接手，本次运行不发布任何结果")

// leasesTable is the leases table, created before the migration lock is taken
// (the lock is a lease itself); migration 00020 creates the same.
const leasesTable = `CREATE TABLE IF NOT EXISTS leases (
    name        VARCHAR(191) NOT NULL PRIMARY KEY,
    holder      VARCHAR(255) NOT NULL,
    token       CHAR(32)     NOT NULL,
    node        VARCHAR(255) NOT NULL,
    conn_id     BIGINT       NOT NULL,
    db_user     VARCHAR(255) NOT NULL,
    acquired_at DATETIME(6)  NOT NULL,
    renewed_at  DATETIME(6)  NOT NULL,
    expires_at  DATETIME(6)  NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`

// lease is one held lease: its row's name and token, and the connection of its
// own that renews it (its id in the row lets an instance on the same node see the holder is gone).
type lease struct {
	s     *Store
	name  string
	token string
	conn  *sql.Conn

	mu    sync.Mutex
	until time.Time // on this process's monotonic clock: past it, the lease may be another's
	err   error     // why it was lost; nil while held

	stop, done chan struct{}
}

// session is who a connection is on the database: the node it reached and the
// account and connection id the node knows it by.
type session struct {
	connID int64
	user   string
	node   string // host:port of the node, and its cluster UUID (Galera) or server UUID (MySQL)
}

func (s *Store) sessionOf(ctx context.Context, conn *sql.Conn) (session, error) {
	var se session
	var host, version string
	var port int
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID(), CURRENT_USER(), @@hostname, @@port, VERSION()").
		Scan(&se.connID, &se.user, &host, &port, &version); err != nil {
		return se, err
	}
	var uuid string
	if strings.Contains(version, "MariaDB") {
		var name string
		err := conn.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'wsrep_gcomm_uuid'").Scan(&name, &uuid)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return se, err
		}
	} else if err := conn.QueryRowContext(ctx, "SELECT @@server_uuid").Scan(&uuid); err != nil {
		return se, err
	}
	se.node = host + ":" + strconv.Itoa(port) + "/" + uuid
	return se, nil
}

// leaseRow is a lease as stored, with the database's clock beside it.
type leaseRow struct {
	Holder     string    `db:"holder"`
	Token      string    `db:"token"`
	Node       string    `db:"node"`
	ConnID     int64     `db:"conn_id"`
	User       string    `db:"db_user"`
	AcquiredAt time.Time `db:"acquired_at"`
	RenewedAt  time.Time `db:"renewed_at"`
	ExpiresAt  time.Time `db:"expires_at"`
	Now        time.Time `db:"db_now"`
}

const leaseColumns = `holder, token, node, conn_id, db_user, acquired_at, renewed_at, expires_at, UTC_TIMESTAMP(6) AS db_now`

// holderText names a lease's holder as BusyError shows it: 进程 1234@host，始于 2026-12-01 08:00:00.
func (r leaseRow) holderText() string {
	host, pid, _ := strings.Cut(r.Holder, ":")
	return "进程 " + pid + "@" + host + "，始于 " + r.AcquiredAt.In(time.Local).Format(time.DateTime)
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func micros(d time.Duration) int64 { return d.Microseconds() }

// takeLease takes the lease called name without waiting: a *BusyError while
// another holds it. It is taken over when it has expired, or when its holder's
// connection is gone from the node this one is on too.
func (s *Store) takeLease(ctx context.Context, name string, lost func(error)) (*lease, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, wrap(err, "取得加锁连接")
	}
	l, err := s.takeLeaseOn(ctx, conn, name)
	if err != nil {
		conn.Close()
		return nil, err
	}
	go l.keep(lost)
	return l, nil
}

func (s *Store) takeLeaseOn(ctx context.Context, conn *sql.Conn, name string) (*lease, error) {
	// Another's acquisition of the same row holds its lock for milliseconds; anything longer is news.
	if _, err := conn.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = 5"); err != nil {
		return nil, wrap(err, "取得加锁连接")
	}
	me, err := s.sessionOf(ctx, conn)
	if err != nil {
		return nil, wrap(err, "取得加锁连接")
	}
	l := &lease{s: s, name: name, token: newToken(), conn: conn, stop: make(chan struct{}), done: make(chan struct{})}
	var busy *BusyError
	began := time.Now()
	err = s.retry(ctx, "取得运行锁 "+name, leaseRetryable, func() error {
		busy = nil
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var r leaseRow
		row := tx.QueryRowContext(ctx, `SELECT `+leaseColumns+` FROM leases WHERE name = ? FOR UPDATE`, name)
		err = row.Scan(&r.Holder, &r.Token, &r.Node, &r.ConnID, &r.User, &r.AcquiredAt, &r.RenewedAt, &r.ExpiresAt, &r.Now)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO leases (name, holder, token, node, conn_id, db_user, acquired_at, renewed_at, expires_at)
				VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? MICROSECOND))`,
				name, instanceName(), l.token, me.node, me.connID, me.user, micros(leaseTTL))
			if err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if r.RenewedAt.After(r.Now.Add(time.Second)) {
				s.log.Warn().Str("lock", name).Time("renewed_at", r.RenewedAt).Time("now", r.Now).
					Msg("数据库节点的时钟不一致：租约的续约时间晚于本节点的当前时间；请用 NTP 校准各节点时钟（允许相差不超过 " + leaseSkew.String() + "）")
			}
			expired := !r.ExpiresAt.After(r.Now)
			gone := false
			if !expired && r.Node == me.node && r.User == me.user {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?`, r.ConnID).Scan(&n); err != nil {
					return err
				}
				gone = n == 0
			}
			if !expired && !gone {
				busy = &BusyError{Lock: name, Holder: r.holderText()}
				return nil
			}
			_, err = tx.ExecContext(ctx, `UPDATE leases SET holder = ?, token = ?, node = ?, conn_id = ?, db_user = ?,
				acquired_at = UTC_TIMESTAMP(6), renewed_at = UTC_TIMESTAMP(6), expires_at = DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? MICROSECOND)
				WHERE name = ?`, instanceName(), l.token, me.node, me.connID, me.user, micros(leaseTTL), name)
			if err != nil {
				return err
			}
			why := "租约已过期"
			if gone {
				why = "持有者的数据库连接已断开"
			}
			s.log.Warn().Str("lock", name).Str("previous", r.Holder).Time("expired_at", r.ExpiresAt).Str("why", why).
				Msg("接管了另一个 kam 的运行锁（" + why + "）")
		}
		return tx.Commit()
	})
	if err != nil {
		return nil, wrap(err, "加锁 "+name)
	}
	if busy != nil {
		return nil, busy
	}
	l.until = began.Add(leaseTTL - leaseSkew)
	return l, nil
}

// leaseRetryable: a conflict, or another instance inserting the same new lease first (its row is there on the next try).
func leaseRetryable(err error) bool { return Conflict(err) || isUniqueViolation(err) }

// keep renews the lease every leaseRenewEvery until stopped. Taken over, or
// its connection gone (others see it gone and take the lease), or not renewed
// for leaseTTL-leaseSkew, it is lost: lost is told once and renewal ends.
func (l *lease) keep(lost func(error)) {
	defer close(l.done)
	tick := time.NewTicker(leaseRenewEvery)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		began := time.Now()
		err := l.renew()
		if err == nil {
			l.mu.Lock()
			l.until = began.Add(leaseTTL - leaseSkew)
			l.mu.Unlock()
			continue
		}
		switch {
		case errors.Is(err, ErrLeaseLost):
		case Unavailable(err):
			err = fmt.Errorf("%w（与数据库的加锁连接中断：%v）", ErrLeaseLost, err)
		case time.Now().After(l.deadline()):
			err = fmt.Errorf("%w（%v 内没能续约：%v）", ErrLeaseLost, leaseTTL-leaseSkew, err)
		default:
			l.s.log.Warn().Err(err).Str("lock", l.name).Msg("运行锁续约失败，稍后再试")
			continue
		}
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
		l.s.log.Error().Err(err).Str("lock", l.name).Msg("运行锁丢失，放弃本次运行")
		if lost != nil {
			lost(err)
		}
		return
	}
}

// renew pushes the lease's expiry on by leaseTTL; ErrLeaseLost when its row is no longer this holder's.
func (l *lease) renew() error {
	// As long as the lease is surely held: a renewal slowed by the cluster (flow control) is not a lost lease.
	ctx, cancel := context.WithDeadline(context.Background(), l.deadline())
	defer cancel()
	var n int64
	err := l.s.retry(ctx, "续约运行锁 "+l.name, Conflict, func() error {
		res, err := l.conn.ExecContext(ctx, `UPDATE leases SET renewed_at = UTC_TIMESTAMP(6),
			expires_at = DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? MICROSECOND) WHERE name = ? AND token = ?`,
			micros(leaseTTL), l.name, l.token)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w（租约已被接管）", ErrLeaseLost)
	}
	return nil
}

func (l *lease) deadline() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.until
}

// lostErr is why the lease is lost, or nil while it is surely held.
func (l *lease) lostErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if time.Now().After(l.until) {
		return fmt.Errorf("%w（%v 内没有续约成功）", ErrLeaseLost, leaseTTL-leaseSkew)
	}
	return nil
}

// check is the fence of a transaction that publishes: in it, the lease is
// renewed if it is still this holder's and unexpired, else ErrLeaseLost. The
// transaction writes the lease's row, so it cannot commit after another's
// takeover of it: one of the two is refused (a lock, or the cluster's certification).
func (l *lease) check(tx *Tx) error {
	if err := l.lostErr(); err != nil {
		return err
	}
	res, err := tx.tx.ExecContext(tx.ctx, `UPDATE leases SET renewed_at = UTC_TIMESTAMP(6),
		expires_at = DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? MICROSECOND)
		WHERE name = ? AND token = ? AND expires_at > UTC_TIMESTAMP(6)`, micros(leaseTTL), l.name, l.token)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("%w（发布前核对：租约已过期或已被接管）", ErrLeaseLost)
	}
	return nil
}

// release deletes the lease's row (if it is still this holder's) and closes its connection.
func (l *lease) release() {
	close(l.stop)
	<-l.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	const q = `DELETE FROM leases WHERE name = ? AND token = ?`
	err := l.s.retry(ctx, "释放运行锁 "+l.name, Conflict, func() error {
		_, err := l.conn.ExecContext(ctx, q, l.name, l.token)
		return err
	})
	if err != nil && Unavailable(err) {
		// Its own connection died: another one frees the lease now rather than at its expiry.
		err = l.s.retry(ctx, "释放运行锁 "+l.name, Conflict, func() error {
			_, err := l.s.db.ExecContext(ctx, q, l.name, l.token)
			return err
		})
	}
	if err != nil {
		l.s.log.Warn().Err(err).Str("lock", l.name).Msg("释放运行锁失败：它将在租约到期后由别的 kam 接管")
	}
	l.conn.Close()
}

// waitLease takes the lease called name, trying again every leaseWaitEvery
// while another holds it, for at most wait.
func (s *Store) waitLease(ctx context.Context, name string, wait time.Duration, lost func(error)) (*lease, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, wrap(err, "取得加锁连接")
	}
	for {
		l, err := s.takeLeaseOn(ctx, conn, name)
		if err == nil {
			go l.keep(lost)
			return l, nil
		}
		var busy *BusyError
		if !errors.As(err, &busy) {
			conn.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			conn.Close()
			return nil, fmt.Errorf("等待锁 %s 超时（%v）：另一个 kam（%s）一直持有它", name, wait, busy.Holder)
		case <-time.After(leaseWaitEvery):
		}
	}
}

// leaseHeld reports whether the lease called name is held now: its row is
// there, unexpired by the database's clock, and its holder's connection is not
// known to be gone. It only reads, so a read-only store can ask.
func (s *Store) leaseHeld(ctx context.Context, name string) (bool, error) {
	var r leaseRow
	err := s.db.GetContext(ctx, &r, `SELECT `+leaseColumns+` FROM leases WHERE name = ?`, name)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !r.ExpiresAt.After(r.Now) {
		return false, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	me, err := s.sessionOf(ctx, conn)
	if err != nil {
		return false, err
	}
	if r.Node != me.node || r.User != me.user {
		return true, nil // another node's: only its expiry tells
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?`, r.ConnID).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}
