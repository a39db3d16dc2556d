package store

import (
	"context"
	"fmt"

	"kam/domain"
)

// CustomerRevenueRows is one customer's revenue rows over from … to, as
// loaded (the splits job splits each row on its own), by month, business line
// and booking unit; each month is one seek of the (month, customer) index.
func (s *Store) CustomerRevenueRows(ctx context.Context, customer string, from, to domain.Month) ([]domain.Revenue, error) {
	var months []any
	for m := from; m <= to; m = m.AddMonths(1) {
		months = append(months, int64(m))
	}
	if len(months) == 0 {
		return nil, nil
	}
	var out []domain.Revenue
	err := s.db.SelectContext(ctx, &out, fmt.Sprintf(`SELECT customer_id, month, business_line, unit_code, amount
		FROM revenue WHERE month IN (%s) AND customer_id = ?
		ORDER BY month, business_line, unit_code, file_id, seq`, placeholders(len(months))),
		append(months, customer)...)
	if err != nil {
		return nil, fmt.Errorf("读取客户 %s 的收入: %w", customer, err)
	}
	return out, nil
}
