package store

import (
	"context"
	"fmt"

	"kam/domain"
)

// RefSnapshot is what is stored, read once, for a loader's per-row reference checks.
type RefSnapshot struct {
	units      map[string]domain.Unit
	cityCenter string
	managers   map[string]struct{}
	customers  map[string]struct{}
	agreements map[agreementStart]string
}

type agreementStart struct {
	customer, line string
	from           domain.Month
}

// Refs reads the snapshot a loader checks references against.
func (s *Store) Refs(ctx context.Context) (*RefSnapshot, error) { return readRefs(ctx, s.db) }

// Refs reads the snapshot inside this transaction (sees what it wrote so far).
func (t *Tx) Refs() (*RefSnapshot, error) { return readRefs(t.ctx, t.tx) }

func readRefs(ctx context.Context, q ctxQuerier) (*RefSnapshot, error) {
	units, err := readUnits(ctx, q)
	if err != nil {
		return nil, err
	}
	r := &RefSnapshot{
		units:      make(map[string]domain.Unit, len(units)),
		managers:   map[string]struct{}{},
		customers:  map[string]struct{}{},
		agreements: map[agreementStart]string{},
	}
	for _, u := range units {
		r.units[u.Code] = u
		if u.Kind == domain.CityCenter && r.cityCenter == "" {
			r.cityCenter = u.Code
		}
	}
	if err := eachString(ctx, q, "SELECT staff_id FROM managers", func(id string) { r.managers[id] = struct{}{} }); err != nil {
		return nil, fmt.Errorf("读取客户经理: %w", err)
	}
	if err := eachString(ctx, q, "SELECT id FROM customers", func(id string) { r.customers[id] = struct{}{} }); err != nil {
		return nil, fmt.Errorf("读取客户: %w", err)
	}
	rows, err := q.QueryxContext(ctx, "SELECT id, customer_id, business_line, from_month FROM agreements")
	if err != nil {
		return nil, fmt.Errorf("读取分成协议: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var k agreementStart
		if err := rows.Scan(&id, &k.customer, &k.line, &k.from); err != nil {
			return nil, fmt.Errorf("读取分成协议: %w", err)
		}
		r.agreements[k] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("读取分成协议: %w", err)
	}
	return r, nil
}

func eachString(ctx context.Context, q ctxQuerier, query string, fn func(string)) error {
	rows, err := q.QueryxContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		fn(s)
	}
	return rows.Err()
}

// Unit returns the stored unit with this code.
func (r *RefSnapshot) Unit(code string) (domain.Unit, bool) {
	u, ok := r.units[code]
	return u, ok
}

// CityCenter returns the code of the stored 市局大客户中心 (the first by code should there be several).
func (r *RefSnapshot) CityCenter() (string, bool) { return r.cityCenter, r.cityCenter != "" }

// HasManager reports whether a manager with this staff id is stored.
func (r *RefSnapshot) HasManager(staffID string) bool {
	_, ok := r.managers[staffID]
	return ok
}

// HasCustomer reports whether a customer with this id is stored.
func (r *RefSnapshot) HasCustomer(id string) bool {
	_, ok := r.customers[id]
	return ok
}

// AgreementStarting returns the stored agreement for this customer and line ("" = all lines) starting in month from.
func (r *RefSnapshot) AgreementStarting(customer, line string, from domain.Month) (string, bool) {
	id, ok := r.agreements[agreementStart{customer, line, from}]
	return id, ok
}
