package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"kam/domain"
)

// ErrNoRevenue reports a month with no revenue stored.
var ErrNoRevenue = errors.New("该月没有收入数据")

// RevenueCursor walks a month's revenue rows one at a time, like sql.Rows.
type RevenueCursor struct {
	rows  *sql.Rows
	month domain.Month
	cur   domain.Revenue
	err   error
}

// Next moves to the next row; false at the end or on an error (see Err).
func (c *RevenueCursor) Next() bool {
	if c.err != nil || !c.rows.Next() {
		return false
	}
	var amount int64
	if err := c.rows.Scan(&c.cur.Line, &c.cur.Customer, &c.cur.Unit, &amount); err != nil {
		c.err = fmt.Errorf("读取收入: %w", err)
		return false
	}
	c.cur.Month, c.cur.Amount = c.month, domain.Money(amount)
	return true
}

// Revenue is the row Next moved to.
func (c *RevenueCursor) Revenue() domain.Revenue { return c.cur }

// Err is the error that ended the walk, if any.
func (c *RevenueCursor) Err() error {
	if c.err != nil {
		return c.err
	}
	if err := c.rows.Err(); err != nil {
		return fmt.Errorf("读取收入: %w", err)
	}
	return nil
}

// ReadMonthRevenue hands fn a cursor over every revenue row of month m, in one
// read-only snapshot (a file loading meanwhile is either wholly in or wholly
// out) and in the table's own order, so nothing is sorted: by business line,
// then as the line's revenue file listed them. A month with no revenue is
// ErrNoRevenue and fn is not called. The cursor is valid only inside fn.
func (s *Store) ReadMonthRevenue(ctx context.Context, m domain.Month, fn func(*RevenueCursor) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("读取收入: %w", err)
	}
	defer conn.Close()
	if s.dialect == SQLite {
		restore, err := smallPageCache(ctx, conn)
		if err != nil {
			return err
		}
		defer restore()
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("开始读取收入: %w", err)
	}
	// Read-only: nothing to commit, rolling back just ends the snapshot.
	defer tx.Rollback()

	var one int
	err = tx.QueryRowContext(ctx, "SELECT 1 FROM revenue WHERE month = ? LIMIT 1", int64(m)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoRevenue
	}
	if err != nil {
		return fmt.Errorf("读取收入: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT business_line, customer_id, unit_code, amount
		FROM revenue WHERE month = ? ORDER BY business_line, file_id, seq`, int64(m))
	if err != nil {
		return fmt.Errorf("读取收入: %w", err)
	}
	defer rows.Close()
	return fn(&RevenueCursor{rows: rows, month: m})
}

// smallPageCache shrinks the connection's SQLite page cache for one pass over
// a month: a scan reads each page once, and the full cache would only add its
// size to the job's memory. restore gives the pooled connection its own size back.
func smallPageCache(ctx context.Context, conn *sql.Conn) (restore func(), err error) {
	var size int64
	if err := conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&size); err != nil {
		return nil, fmt.Errorf("读取收入: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -2048"); err != nil {
		return nil, fmt.Errorf("读取收入: %w", err)
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = "+strconv.FormatInt(size, 10))
	}, nil
}
