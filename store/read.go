package store

import (
	"context"
	"fmt"

	"kam/domain"
)

// Units lists every unit by code.
func (s *Store) Units(ctx context.Context) ([]domain.Unit, error) { return readUnits(ctx, s.db) }

func readUnits(ctx context.Context, q ctxQuerier) ([]domain.Unit, error) {
	var us []domain.Unit
	if err := q.SelectContext(ctx, &us, "SELECT code, name, kind, parent_code, business_line, email FROM units ORDER BY code"); err != nil {
		return nil, fmt.Errorf("读取单位: %w", err)
	}
	return us, nil
}

// Managers lists every manager by staff id.
func (s *Store) Managers(ctx context.Context) ([]domain.Manager, error) {
	var ms []domain.Manager
	if err := s.db.SelectContext(ctx, &ms, "SELECT staff_id, name, unit_code, status FROM managers ORDER BY staff_id"); err != nil {
		return nil, fmt.Errorf("读取客户经理: %w", err)
	}
	return ms, nil
}

// Customers lists every customer by id.
func (s *Store) Customers(ctx context.Context) ([]domain.Customer, error) {
	// Sized first: 200,000 customers grown by doubling leave twice their size behind as garbage.
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM customers`); err != nil {
		return nil, fmt.Errorf("读取客户: %w", err)
	}
	cs := make([]domain.Customer, 0, n)
	if err := s.db.SelectContext(ctx, &cs, customerSelect+` ORDER BY id`); err != nil {
		return nil, fmt.Errorf("读取客户: %w", err)
	}
	return cs, nil
}

const customerSelect = `SELECT id, name, credit_code, industry, category, main_line, status,
		strategic, territory_unit, signing_unit, manager_a, manager_b,
		address, postcode, contact_name, contact_phone, contact_email FROM customers`

// Customer is the customer with id id (as stored: upper-case), by its primary
// key; found is false when there is none.
func (s *Store) Customer(ctx context.Context, id string) (c domain.Customer, found bool, err error) {
	var cs []domain.Customer
	if err := s.db.SelectContext(ctx, &cs, customerSelect+` WHERE id = ?`, id); err != nil {
		return c, false, fmt.Errorf("读取客户 %s: %w", id, err)
	}
	if len(cs) == 0 {
		return c, false, nil
	}
	return cs[0], true, nil
}

// Visits lists the visits made on or before day through, by customer, day and id;
// customer "" reads every customer's.
func (s *Store) Visits(ctx context.Context, customer string, through domain.Date) ([]domain.Visit, error) {
	return s.visits(ctx, "contact, notes, ", customer, through)
}

// VisitDates is Visits without 联系人 and 内容: what the maintenance rules
// read for every customer, a third of the memory at 200,000 customers.
func (s *Store) VisitDates(ctx context.Context, through domain.Date) ([]domain.Visit, error) {
	return s.visits(ctx, "", "", through)
}

func (s *Store) visits(ctx context.Context, text, customer string, through domain.Date) ([]domain.Visit, error) {
	var rows []struct {
		domain.Visit
		On   sqlDate `db:"visited_on"`
		Next sqlDate `db:"next_contact_on"`
	}
	q := `SELECT id, customer_id, visited_on, visit_kind, staff_id, ` + text + `next_contact_on FROM visits
		WHERE visited_on <= ?`
	args := []any{dateArg(through)}
	if customer != "" {
		q += ` AND customer_id = ?`
		args = append(args, customer)
	}
	if err := s.db.SelectContext(ctx, &rows, q+` ORDER BY customer_id, visited_on, id`, args...); err != nil {
		return nil, fmt.Errorf("读取走访记录: %w", err)
	}
	vs := make([]domain.Visit, len(rows))
	for i, r := range rows {
		vs[i] = r.Visit
		vs[i].On, vs[i].Next = domain.Date(r.On), domain.Date(r.Next)
	}
	return vs, nil
}

// Claims lists every claim by id.
func (s *Store) Claims(ctx context.Context) ([]domain.Claim, error) { return s.claims(ctx, "") }

// CustomerClaims lists one customer's claims by id, through the claims_customer index.
func (s *Store) CustomerClaims(ctx context.Context, customer string) ([]domain.Claim, error) {
	return s.claims(ctx, customer)
}

// claims lists the claims by id: every one, or customer's when customer is not "".
func (s *Store) claims(ctx context.Context, customer string) ([]domain.Claim, error) {
	var rows []struct {
		domain.Claim
		Registered sqlDate `db:"registered_on"`
		Confirmed  sqlDate `db:"confirmed_on"`
		Developed  sqlDate `db:"developed_on"`
	}
	q := `SELECT id, customer_id, unit_code, staff_id, registered_on, confirmed_on,
		project_type, period_months, developed_on FROM claims`
	var args []any
	if customer != "" {
		q += ` WHERE customer_id = ?`
		args = append(args, customer)
	}
	if err := s.db.SelectContext(ctx, &rows, q+` ORDER BY id`, args...); err != nil {
		return nil, fmt.Errorf("读取项目报备: %w", err)
	}
	cs := make([]domain.Claim, len(rows))
	for i, r := range rows {
		cs[i] = r.Claim
		cs[i].Registered, cs[i].Confirmed, cs[i].Developed = domain.Date(r.Registered), domain.Date(r.Confirmed), domain.Date(r.Developed)
	}
	return cs, nil
}

// Agreements lists every split agreement by id, parties in listed order.
func (s *Store) Agreements(ctx context.Context) ([]domain.SplitAgreement, error) {
	return s.agreements(ctx, "")
}

// CustomerAgreements lists one customer's split agreements by id, parties in
// listed order: a seek of agreements_start (customer first) and of the
// parties' primary key per agreement.
func (s *Store) CustomerAgreements(ctx context.Context, customer string) ([]domain.SplitAgreement, error) {
	return s.agreements(ctx, customer)
}

// agreements lists the agreements by id: every one, or customer's when customer is not "".
func (s *Store) agreements(ctx context.Context, customer string) ([]domain.SplitAgreement, error) {
	var as []domain.SplitAgreement
	q := `SELECT id, customer_id, from_month, to_month, business_line FROM agreements`
	var args []any
	if customer != "" {
		q += ` WHERE customer_id = ?`
		args = append(args, customer)
	}
	if err := s.db.SelectContext(ctx, &as, q+` ORDER BY id`, args...); err != nil {
		return nil, fmt.Errorf("读取分成协议: %w", err)
	}
	var ps []struct {
		Agreement string `db:"agreement_id"`
		domain.SplitParty
	}
	q = `SELECT agreement_id, unit_code, ratio_bp FROM agreement_parties`
	if customer != "" {
		if len(as) == 0 {
			return as, nil
		}
		q += ` WHERE agreement_id IN (SELECT id FROM agreements WHERE customer_id = ?)`
	}
	if err := s.db.SelectContext(ctx, &ps, q+` ORDER BY agreement_id, seq`, args...); err != nil {
		return nil, fmt.Errorf("读取分成单位: %w", err)
	}
	byID := make(map[string]*domain.SplitAgreement, len(as))
	for i := range as {
		byID[as[i].ID] = &as[i]
	}
	for _, p := range ps {
		if a := byID[p.Agreement]; a != nil {
			a.Parties = append(a.Parties, p.SplitParty)
		}
	}
	return as, nil
}

// Targets lists the targets set for a month, by manager in listed order.
func (s *Store) Targets(ctx context.Context, month domain.Month) ([]domain.Target, error) {
	var ts []domain.Target
	if err := s.db.SelectContext(ctx, &ts, `SELECT staff_id, month, customer_id, customer_name, project
		FROM targets WHERE month = ? ORDER BY staff_id, seq`, int64(month)); err != nil {
		return nil, fmt.Errorf("读取目标: %w", err)
	}
	return ts, nil
}
