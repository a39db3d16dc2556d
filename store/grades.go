package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"kam/domain"
	"kam/rules"
)

const gradingRevenueSQL = `SELECT month, customer_id, SUM(amount) FROM revenue
	WHERE month BETWEEN ? AND ? GROUP BY month, customer_id`

// GradingRevenue is each customer's revenue summed for quarter q's grading
// (第八条): Cumulative over January … q's last month, PrevCumulative over the
// year of the previous quarter up to its end (for Q1: all of last year). A
// customer is a key exactly when it has a revenue row in those months.
// One aggregate in (month, customer) order reads the covering index
// revenue_month_customer_amount without a sort; the months are added up here.
func (s *Store) GradingRevenue(ctx context.Context, q domain.Quarter) (cum, prevCum map[string]domain.Money, err error) {
	prevQ := q.Prev()
	curFrom, curTo := domain.NewMonth(q.Year, 1), q.LastMonth()
	prevFrom, prevTo := domain.NewMonth(prevQ.Year, 1), prevQ.LastMonth()
	rows, err := s.db.QueryContext(ctx, gradingRevenueSQL, int64(prevFrom), int64(curTo))
	if err != nil {
		return nil, nil, fmt.Errorf("汇总分级收入: %w", err)
	}
	defer rows.Close()
	type sums struct {
		cum, prev       domain.Money
		hasCum, hasPrev bool
	}
	acc := map[string]*sums{}
	var (
		month  int64
		id     sql.RawBytes // reused buffer: one string per customer, not per row
		amount int64
	)
	for rows.Next() {
		if err := rows.Scan(&month, &id, &amount); err != nil {
			return nil, nil, fmt.Errorf("汇总分级收入: %w", err)
		}
		a := acc[string(id)]
		if a == nil {
			a = &sums{}
			acc[string(id)] = a
		}
		m := domain.Month(month)
		if m >= curFrom && m <= curTo {
			a.cum += domain.Money(amount)
			a.hasCum = true
		}
		if m >= prevFrom && m <= prevTo {
			a.prev += domain.Money(amount)
			a.hasPrev = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("汇总分级收入: %w", err)
	}
	cum, prevCum = make(map[string]domain.Money, len(acc)), make(map[string]domain.Money, len(acc))
	for id, a := range acc {
		if a.hasCum {
			cum[id] = a.cum
		}
		if a.hasPrev {
			prevCum[id] = a.prev
		}
	}
	return cum, prevCum, nil
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
	Tier        rules.Tier   `db:"tier"`
	PrevTier    rules.Tier   `db:"prev_tier"` // "" when not graded at the previous quarter-end
	Change      string       `db:"tier_change"`
	Responsible string       `db:"responsible_unit"`
}

const gradeCols = 8

// ReplaceGrades stores the grades of quarter q in one transaction, replacing
// whatever an earlier grading of q stored.
func (s *Store) ReplaceGrades(ctx context.Context, q domain.Quarter, gs []rules.CustomerGrade) error {
	quarter := q.String()
	return s.InTx(ctx, func(t *Tx) error {
		if _, err := t.tx.ExecContext(ctx, "DELETE FROM grades WHERE quarter = ?", quarter); err != nil {
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
	})
}

// Grades lists quarter q's stored grades by level, cumulative revenue descending, then customer.
func (s *Store) Grades(ctx context.Context, q domain.Quarter) ([]Grade, error) {
	var gs []Grade
	if err := s.db.SelectContext(ctx, &gs, `SELECT quarter, customer_id, cumulative, level, tier, prev_tier,
		tier_change, responsible_unit FROM grades WHERE quarter = ?
		ORDER BY level, cumulative DESC, customer_id`, q.String()); err != nil {
		return nil, fmt.Errorf("读取 %s 分级结果: %w", q, err)
	}
	return gs, nil
}

// HasGrades reports whether a grading of quarter q is stored.
func (s *Store) HasGrades(ctx context.Context, q domain.Quarter) (bool, error) {
	var n []int
	if err := s.db.SelectContext(ctx, &n, "SELECT 1 FROM grades WHERE quarter = ? LIMIT 1", q.String()); err != nil {
		return false, fmt.Errorf("读取 %s 分级结果: %w", q, err)
	}
	return len(n) > 0, nil
}

// GradedCustomer is a customer as stored today with its grade at a quarter-end.
type GradedCustomer struct {
	domain.Customer
	Responsible string `db:"responsible_unit"`
}

// CustomersOfTier lists the customers stored in tier at quarter q, by customer id.
func (s *Store) CustomersOfTier(ctx context.Context, q domain.Quarter, tier rules.Tier) ([]GradedCustomer, error) {
	var cs []GradedCustomer
	if err := s.db.SelectContext(ctx, &cs, `SELECT c.id, c.name, c.credit_code, c.industry, c.category, c.main_line,
		c.status, c.strategic, c.territory_unit, c.signing_unit, c.manager_a, c.manager_b, g.responsible_unit
		FROM grades g JOIN customers c ON c.id = g.customer_id
		WHERE g.quarter = ? AND g.tier = ? ORDER BY c.id`, q.String(), string(tier)); err != nil {
		return nil, fmt.Errorf("读取 %s %s客户: %w", q, tier.Label(), err)
	}
	return cs, nil
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
		var part []domain.Revenue
		if err := s.db.SelectContext(ctx, &part, lineRevenueSQL(len(months), len(chunk)), args...); err != nil {
			return nil, fmt.Errorf("读取客户收入: %w", err)
		}
		out = append(out, part...)
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
