package store

import (
	"context"
	"database/sql"
	"fmt"

	"kam/domain"
)

// Announced lists the claims an earlier tender announcement listed. A run that
// failed published nothing, so what it listed is not counted.
func (s *Store) Announced(ctx context.Context) (map[string]bool, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT a.claim_id FROM announcements a
		WHERE NOT EXISTS (SELECT 1 FROM job_runs r WHERE r.id = a.run_id AND r.outcome = ?)`, RunFailed); err != nil {
		return nil, fmt.Errorf("读取已公告项目: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// RecordAnnouncement stores the claims run listed on asOf, keeping each
// claim's first listing; listings of failed runs are dropped first so their
// claims are recorded afresh.
func (s *Store) RecordAnnouncement(ctx context.Context, asOf domain.Date, runID int64, claimIDs []string) error {
	return s.InTx(ctx, func(t *Tx) error {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM announcements
			WHERE run_id IN (SELECT id FROM job_runs WHERE outcome = ?)`, RunFailed); err != nil {
			return fmt.Errorf("清理失败运行的公告: %w", err)
		}
		tail := " ON CONFLICT (claim_id) DO NOTHING"
		if s.dialect == MySQL {
			tail = " ON DUPLICATE KEY UPDATE claim_id = claim_id"
		}
		err := t.execBatches("INSERT INTO announcements (claim_id, as_of, run_id) VALUES", 3, tail, len(claimIDs),
			func(a []any, i int) []any { return append(a, claimIDs[i], dateArg(asOf), runID) })
		return wrap(err, "记录竞标公告")
	})
}

// CustomerRevenue sums each customer's revenue over the months from … to,
// every line and unit; a customer with no row in those months is absent.
func (s *Store) CustomerRevenue(ctx context.Context, from, to domain.Month) (map[string]domain.Money, error) {
	rows, err := s.db.QueryxContext(ctx, `SELECT customer_id, SUM(amount) FROM revenue
		WHERE month BETWEEN ? AND ? GROUP BY customer_id`, int64(from), int64(to))
	if err != nil {
		return nil, fmt.Errorf("汇总客户收入: %w", err)
	}
	defer rows.Close()
	out := map[string]domain.Money{}
	for rows.Next() {
		var id string
		var sum int64
		if err := rows.Scan(&id, &sum); err != nil {
			return nil, fmt.Errorf("汇总客户收入: %w", err)
		}
		out[id] = domain.Money(sum)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("汇总客户收入: %w", err)
	}
	return out, nil
}

// LatestGradedQuarter is the latest quarter up to q with a stored grading; false when there is none.
func (s *Store) LatestGradedQuarter(ctx context.Context, q domain.Quarter) (domain.Quarter, bool, error) {
	var latest sql.NullString
	// Quarters are stored as 2026Q2, so text order is time order.
	if err := s.db.GetContext(ctx, &latest, "SELECT MAX(quarter) FROM grades WHERE quarter <= ?", q.String()); err != nil {
		return domain.Quarter{}, false, fmt.Errorf("读取分级季度: %w", err)
	}
	if !latest.Valid {
		return domain.Quarter{}, false, nil
	}
	got, err := domain.ParseQuarter(latest.String)
	if err != nil {
		return domain.Quarter{}, false, fmt.Errorf("读取分级季度: %w", err)
	}
	return got, true, nil
}
