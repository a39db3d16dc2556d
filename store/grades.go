package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"

	"kam/domain"
)

const gradingRevenueSQL = `SELECT month, customer_id, SUM(amount) FROM revenue
	WHERE month BETWEEN ? AND ? GROUP BY month, customer_id`

// gradingSums is one customer's revenue in the two ranges grading compares.
type gradingSums struct {
	cum, prev       domain.Sum
	hasCum, hasPrev bool
}

// gradingRanges are the two month spans one grading reads (rules.GradingSpans).
type gradingRanges struct{ curFrom, curTo, prevFrom, prevTo domain.Month }

// maxGradingScans bounds the month slices read at once (SQLite keeps four connections).
const maxGradingScans = 3

// GradingRevenue is each customer's revenue summed over the two spans one
// grading reads (rules.GradingSpans: 第八条's cumulative months of the quarter
// and of the quarter before). A customer is a key of a map exactly when it has
// a revenue row in that span.
// The aggregate runs in (month, customer) order over the covering index
// revenue_month_customer_amount, so neither database sorts; the months are
// split into slices read in parallel, one per core, and added up here.
func (s *Store) GradingRevenue(ctx context.Context, cur, prev domain.MonthSpan) (cum, prevCum map[string]domain.Money, err error) {
	r := gradingRanges{cur.From, cur.To, prev.From, prev.To}
	first, last := min(cur.From, prev.From), max(cur.To, prev.To)
	months := domain.MonthsBetween(first, last) + 1
	scans := max(1, min(runtime.GOMAXPROCS(0), maxGradingScans, months))
	parts := make([]map[string]*gradingSums, scans)
	errs := make([]error, scans)
	var wg sync.WaitGroup
	for i := range scans {
		from := first.AddMonths(months * i / scans)
		to := first.AddMonths(months*(i+1)/scans - 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i], errs[i] = s.gradingScan(ctx, r, from, to)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if domain.KindOf(err) == domain.ERefused { // a sum beyond int64: the refusal names it
			return nil, nil, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, fmt.Errorf("汇总分级收入: %w", err)
	}
	all := parts[0]
	for _, part := range parts[1:] {
		for id, p := range part {
			a := all[id]
			if a == nil {
				all[id] = p
				continue
			}
			a.cum.Merge(p.cum)
			a.prev.Merge(p.prev)
			a.hasCum = a.hasCum || p.hasCum
			a.hasPrev = a.hasPrev || p.hasPrev
		}
	}
	cum, prevCum = make(map[string]domain.Money, len(all)), make(map[string]domain.Money, len(all))
	// In id order, so a refusal names the same customer every time.
	ids := make([]string, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := all[id]
		var ok bool
		if a.hasCum {
			if cum[id], ok = a.cum.Total(); !ok {
				return nil, nil, domain.Overflowf("客户 %s %s 至 %s 的累计收入", id, cur.From, cur.To)
			}
		}
		if a.hasPrev {
			if prevCum[id], ok = a.prev.Total(); !ok {
				return nil, nil, domain.Overflowf("客户 %s %s 至 %s 的累计收入", id, prev.From, prev.To)
			}
		}
	}
	return cum, prevCum, nil
}

// gradingScan sums the months from … to per customer into the ranges of r.
func (s *Store) gradingScan(ctx context.Context, r gradingRanges, from, to domain.Month) (map[string]*gradingSums, error) {
	conn, release, err := s.scanConn(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rows, err := conn.QueryContext(ctx, gradingRevenueSQL, int64(from), int64(to))
	if err != nil {
		return nil, sumFailed(err, "汇总分级收入", "各客户每月的收入（%s 至 %s）", from, to)
	}
	defer rows.Close()
	acc := map[string]*gradingSums{}
	var (
		month  int64
		id     sql.RawBytes // reused buffer: one string per customer, not per row
		amount fenSum
	)
	for rows.Next() {
		if err := rows.Scan(&month, &id, &amount); err != nil {
			return nil, sumFailed(err, "汇总分级收入", "客户 %s %s 的收入", string(id), domain.Month(month))
		}
		a := acc[string(id)]
		if a == nil {
			a = &gradingSums{}
			acc[string(id)] = a
		}
		m := domain.Month(month)
		if m >= r.curFrom && m <= r.curTo {
			a.cum.Add(domain.Money(amount))
			a.hasCum = true
		}
		if m >= r.prevFrom && m <= r.prevTo {
			a.prev.Add(domain.Money(amount))
			a.hasPrev = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, sumFailed(err, "汇总分级收入", "各客户每月的收入（%s 至 %s）", from, to)
	}
	return acc, nil
}

// scanConn is a connection for one long read. On SQLite its page cache is
// kept small while it scans: a pass over a year of revenue gains nothing from
// caching, and each pooled connection would otherwise keep its full cache.
func (s *Store) scanConn(ctx context.Context) (*sqlx.Conn, func(), error) {
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return nil, nil, err
	}
	if s.dialect != SQLite {
		return conn, func() { conn.Close() }, nil
	}
	var size int64
	if err := conn.GetContext(ctx, &size, "PRAGMA cache_size"); err != nil {
		conn.Close()
		return nil, nil, err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -4096"); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, func() {
		// Restored before the connection goes back to the pool; if that fails the connection is dropped.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = %d", size)); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}

// HasRevenue reports whether any revenue is stored for month m.
func (s *Store) HasRevenue(ctx context.Context, m domain.Month) (bool, error) {
	var n []int
	if err := s.db.SelectContext(ctx, &n, "SELECT 1 FROM revenue WHERE month = ? LIMIT 1", int64(m)); err != nil {
		return false, fmt.Errorf("查询收入: %w", err)
	}
	return len(n) > 0, nil
}

// Grade is one stored line of a quarter's grading.
type Grade struct {
	Quarter     string       `db:"quarter"`
	Customer    string       `db:"customer_id"`
	Cumulative  domain.Money `db:"cumulative"`
	Level       int          `db:"level"`
	Tier        domain.Tier  `db:"tier"`
	PrevTier    domain.Tier  `db:"prev_tier"` // "" when not graded at the previous quarter-end
	Change      string       `db:"tier_change"`
	Responsible string       `db:"responsible_unit"`
}

const gradeCols = 8

// ReplaceGrades stores the grades of quarter q in place of whatever an
// earlier grading of q stored; it commits with the run that computed them.
func (t *Tx) ReplaceGrades(q domain.Quarter, gs []domain.CustomerGrade) error {
	quarter := q.String()
	if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM grades WHERE quarter = ?", quarter); err != nil {
		return fmt.Errorf("替换 %s 分级结果: %w", quarter, err)
	}
	err := t.execBatches(`INSERT INTO grades (quarter, customer_id, cumulative, level, tier, prev_tier,
		tier_change, responsible_unit) VALUES`, gradeCols, "", len(gs),
		func(a []any, i int) []any {
			g := &gs[i]
			return append(a, quarter, g.Customer.ID, int64(g.Cumulative), g.Level, string(g.Tier),
				string(g.PrevTier), g.Change, g.Responsible)
		})
	return wrap(err, "写入分级结果")
}

// Grades lists quarter q's stored grades by level, cumulative revenue descending, then customer.
func (s *Store) Grades(ctx context.Context, q domain.Quarter) ([]Grade, error) {
	var n int // sized first, as Customers
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM grades WHERE quarter = ?`, q.String()); err != nil {
		return nil, fmt.Errorf("读取 %s 分级结果: %w", q, err)
	}
	gs := make([]Grade, 0, n)
	if err := s.db.SelectContext(ctx, &gs, `SELECT quarter, customer_id, cumulative, level, tier, prev_tier,
		tier_change, responsible_unit FROM grades WHERE quarter = ?
		ORDER BY level, cumulative DESC, customer_id`, q.String()); err != nil {
		return nil, fmt.Errorf("读取 %s 分级结果: %w", q, err)
	}
	return gs, nil
}

// CustomerGrade is one customer's stored grade at quarter q, by the primary
// key (quarter, customer_id); found is false when q's grading left it out.
func (s *Store) CustomerGrade(ctx context.Context, q domain.Quarter, customer string) (g Grade, found bool, err error) {
	var gs []Grade
	if err := s.db.SelectContext(ctx, &gs, `SELECT quarter, customer_id, cumulative, level, tier, prev_tier,
		tier_change, responsible_unit FROM grades WHERE quarter = ? AND customer_id = ?`, q.String(), customer); err != nil {
		return g, false, fmt.Errorf("读取客户 %s 的 %s 分级结果: %w", customer, q, err)
	}
	if len(gs) == 0 {
		return g, false, nil
	}
	return gs[0], true, nil
}

// HasGrades reports whether a grading of quarter q is stored.
func (s *Store) HasGrades(ctx context.Context, q domain.Quarter) (bool, error) {
	var n []int
	if err := s.db.SelectContext(ctx, &n, "SELECT 1 FROM grades WHERE quarter = ? LIMIT 1", q.String()); err != nil {
		return false, fmt.Errorf("读取 %s 分级结果: %w", q, err)
	}
	return len(n) > 0, nil
}

// reviewChunk bounds the customers one review query names, keeping the statement small.
const reviewChunk = 500

// LineRevenue is the revenue of the given customers per customer, month and
// business line over from … to (Unit left empty), in a few queries that seek
// the (month, customer) index for each pair instead of scanning the months.
func (s *Store) LineRevenue(ctx context.Context, customers []string, from, to domain.Month) ([]domain.Revenue, error) {
	var months []any
	for m := from; m <= to; m = m.AddMonths(1) {
		months = append(months, int64(m))
	}
	if len(months) == 0 {
		return nil, nil
	}
	var out []domain.Revenue
	for start := 0; start < len(customers); start += reviewChunk {
		chunk := customers[start:min(start+reviewChunk, len(customers))]
		args := append([]any(nil), months...)
		for _, c := range chunk {
			args = append(args, c)
		}
		var part []struct {
			domain.Revenue
			Amount fenSum `db:"amount"` // a SUM: beyond int64 is a refusal, not a wrapped number
		}
		if err := s.db.SelectContext(ctx, &part, lineRevenueSQL(len(months), len(chunk)), args...); err != nil {
			return nil, sumFailed(err, "读取客户收入", "所选 %d 户客户每月各业务种类的收入（%s 至 %s）", len(customers), from, to)
		}
		for _, r := range part {
			r.Revenue.Amount = domain.Money(r.Amount)
			out = append(out, r.Revenue)
		}
	}
	return out, nil
}

// lineRevenueSQL names every (month, customer) pair through two IN lists, so
// both dialects seek the index once per pair.
func lineRevenueSQL(months, customers int) string {
	return fmt.Sprintf(`SELECT customer_id, month, business_line, SUM(amount) AS amount FROM revenue
		WHERE month IN (%s) AND customer_id IN (%s)
		GROUP BY customer_id, month, business_line ORDER BY customer_id, month, business_line`,
		placeholders(months), placeholders(customers))
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
