package store

import (
	"context"
	"fmt"

	"kam/domain"
)

// AnnouncedBefore lists the claims a tender announcement listed on an as-of
// day before asOf. Announcements commit with their run, so only published
// runs count; a rerun of the same day does not take its own 新增 marks.
func (s *Store) AnnouncedBefore(ctx context.Context, asOf domain.Date) (map[string]bool, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT claim_id FROM announcements WHERE as_of < ?`, dateArg(asOf)); err != nil {
		return nil, fmt.Errorf("读取已公告项目: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// RecordAnnouncement stores the claims a tender run listed on asOf, keeping
// each claim's earliest listing day; it commits with the run.
func (t *Tx) RecordAnnouncement(asOf domain.Date, runID int64, claimIDs []string) error {
	tail := " ON CONFLICT (claim_id) DO UPDATE SET as_of = excluded.as_of, run_id = excluded.run_id WHERE excluded.as_of < announcements.as_of"
	if t.s.dialect == MySQL {
		tail = " ON DUPLICATE KEY UPDATE run_id = IF(VALUES(as_of) < as_of, VALUES(run_id), run_id), as_of = LEAST(as_of, VALUES(as_of))"
	}
	err := t.execBatches("INSERT INTO announcements (claim_id, as_of, run_id) VALUES", 3, tail, len(claimIDs),
		func(a []any, i int) []any { return append(a, claimIDs[i], dateArg(asOf), runID) })
	return wrap(err, "记录竞标公告")
}

// CustomerRevenue sums each customer's revenue over the months from … to,
// every line and unit; a customer with no row in those months is absent.
func (s *Store) CustomerRevenue(ctx context.Context, from, to domain.Month) (map[string]domain.Money, error) {
	rows, err := s.db.QueryxContext(ctx, `SELECT customer_id, SUM(amount) FROM revenue
		WHERE month BETWEEN ? AND ? GROUP BY customer_id`, int64(from), int64(to))
	if err != nil {
		return nil, sumFailed(err, "汇总客户收入", "各客户 %s 至 %s 的收入", from, to)
	}
	defer rows.Close()
	out := map[string]domain.Money{}
	for rows.Next() {
		var id string
		var sum fenSum
		if err := rows.Scan(&id, &sum); err != nil {
			return nil, sumFailed(err, "汇总客户收入", "客户 %s %s 至 %s 的收入", id, from, to)
		}
		out[id] = domain.Money(sum)
	}
	if err := rows.Err(); err != nil {
		return nil, sumFailed(err, "汇总客户收入", "各客户 %s 至 %s 的收入", from, to)
	}
	return out, nil
}
