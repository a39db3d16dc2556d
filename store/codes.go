package store

import (
	"context"
	"fmt"
	"sort"

	"kam/domain"
)

// CodeProblem is a stored customer id, unit code or staff id that the rule of
// SPEC §3.3 (normal form; ASCII letters, digits, '-' and '_'; customer ids and
// unit codes upper case) would not accept as it is stored: a file naming it now
// is refused or matches another record.
type CodeProblem struct {
	Table, Column string // where it is stored: customers.id, claims.staff_id, …
	What          string // the column as staff know it: 客户编号, 单位编码, 工号
	Value         string // as stored
	Canonical     string // how kam reads it now; "" when it is refused
	Reason        string // plain Chinese
}

func (p CodeProblem) String() string {
	return fmt.Sprintf("%s.%s %s「%s」：%s", p.Table, p.Column, p.What, p.Value, p.Reason)
}

// codeColumn is a stored column holding codes of one kind.
type codeColumn struct {
	table, column, what string
	parse               func(string) (string, error)
	key                 bool // the table's own key: a canonical twin stored beside it is named
}

// codeColumns are every column kam stores a customer id, unit code or staff id
// in, keys first. Revenue is left out: its loader took only ids and codes it
// found stored, so a problem with one of them is listed under its key (and a
// scan of every revenue row would take minutes on a large store).
var codeColumns = []codeColumn{
	{"units", "code", "单位编码", domain.ParseUnitCode, true},
	{"managers", "staff_id", "工号", domain.ParseStaffID, true},
	{"customers", "id", "客户编号", domain.ParseCustomerID, true},
	{"units", "parent_code", "上级单位编码", domain.ParseUnitCode, false},
	{"managers", "unit_code", "所属单位编码", domain.ParseUnitCode, false},
	{"customers", "territory_unit", "属地单位编码", domain.ParseUnitCode, false},
	{"customers", "signing_unit", "签约单位编码", domain.ParseUnitCode, false},
	{"customers", "manager_a", "A角工号", domain.ParseStaffID, false},
	{"customers", "manager_b", "B角工号", domain.ParseStaffID, false},
	{"claims", "customer_id", "客户编号", domain.ParseCustomerID, false},
	{"claims", "unit_code", "申报单位编码", domain.ParseUnitCode, false},
	{"claims", "staff_id", "客户经理工号", domain.ParseStaffID, false},
	{"agreements", "customer_id", "客户编号", domain.ParseCustomerID, false},
	{"agreement_parties", "unit_code", "分成单位编码", domain.ParseUnitCode, false},
	{"targets", "staff_id", "工号", domain.ParseStaffID, false},
	{"targets", "customer_id", "客户编号", domain.ParseCustomerID, false},
	{"visits", "customer_id", "客户编号", domain.ParseCustomerID, false},
	{"visits", "staff_id", "客户经理工号", domain.ParseStaffID, false},
}

// StoredCodeProblems lists every stored customer id, unit code and staff id
// that kam would no longer accept as stored (SPEC §3.3), for the one-time check
// after upgrading: a Cyrillic look-alike, a full-width or lower-case spelling, a
// zero-width character. Each distinct value is listed once per column, by
// table, column and value; an empty list means the store needs nothing.
// Nothing is changed: which of two spellings of one customer is the right one
// is for a person to decide.
func (s *Store) StoredCodeProblems(ctx context.Context) ([]CodeProblem, error) {
	var out []CodeProblem
	for _, c := range codeColumns {
		var values []string
		// Table and column names are this file's constants, not input.
		q := fmt.Sprintf("SELECT DISTINCT %s FROM %s WHERE %s <> ''", c.column, c.table, c.column)
		if err := s.db.SelectContext(ctx, &values, q); err != nil {
			return nil, fmt.Errorf("检查已存的%s: %w", c.what, err)
		}
		stored := make(map[string]bool, len(values))
		for _, v := range values {
			stored[v] = true
		}
		sort.Strings(values)
		for _, v := range values {
			p := CodeProblem{Table: c.table, Column: c.column, What: c.what, Value: v}
			canonical, err := c.parse(v)
			switch {
			case err != nil:
				p.Reason = "kam 现在不再接受这个编号：" + err.Error()
			case canonical == v:
				continue
			case c.key && stored[canonical]:
				p.Canonical = canonical
				p.Reason = fmt.Sprintf("kam 现在把它读作「%s」，与已存的「%s」是同一个编号：两条记录需要合并", canonical, canonical)
			default:
				p.Canonical = canonical
				p.Reason = fmt.Sprintf("kam 现在把它读作「%s」，新文件中的这个编号将匹配不到按原写法存的记录", canonical)
			}
			out = append(out, p)
		}
	}
	return out, nil
}
