package rules

import (
	"errors"
	"math"
	"strings"
	"testing"

	"kam/domain"
)

func mustReview(t *testing.T, in ReviewInput) []ReviewRow {
	t.Helper()
	rows, err := Review(in)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func mustRoster(t *testing.T, in RosterInput) RosterResult {
	t.Helper()
	r, err := Roster(in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantOverflow checks a refusal for a sum beyond domain.Money that names what it was adding.
func wantOverflow(t *testing.T, err error, names ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no refusal for a sum beyond int64")
	}
	if domain.KindOf(err) != domain.ERefused || !errors.Is(err, domain.ErrOverflow) {
		t.Errorf("kind %v, Is(ErrOverflow) %v: %v", domain.KindOf(err), errors.Is(err, domain.ErrOverflow), err)
	}
	for _, n := range names {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("refusal %q does not name %q", err.Error(), n)
		}
	}
}

// rows of the largest amount a row may hold: n of them for one customer, month and line.
func maxRows(customer, line string, m domain.Month, n int) []domain.Revenue {
	rs := make([]domain.Revenue, n)
	for i := range rs {
		rs[i] = domain.Revenue{Customer: customer, Month: m, Line: line, Unit: "D1", Amount: domain.MaxAmount}
	}
	return rs
}

func TestReviewRefusesASumBeyondInt64(t *testing.T) {
	c := coop("KH0000001", domain.Comprehensive, "", "D1")
	m := month("2026-03")
	in := ReviewInput{Month: m, Window: DiamondWindow, Customers: []domain.Customer{c}, Lines: []string{"函件", "包裹"}}

	// 100 rows of 9,999,999,999,999.99 fit: the report's case no longer wraps.
	in.Revenue = maxRows(c.ID, "函件", m, 100)
	rows := mustReview(t, in)
	if rows[0].Current != 100*domain.MaxAmount || rows[0].Trend[TrendMonths-1] != 100*domain.MaxAmount {
		t.Errorf("本期 %s, trend %s", rows[0].Current.Yuan(), rows[0].Trend[TrendMonths-1].Yuan())
	}

	// One month of one line beyond int64.
	in.Revenue = maxRows(c.ID, "函件", m, 9224)
	_, err := Review(in)
	wantOverflow(t, err, "客户 KH0000001 2026-03 函件收入")

	// Each line fits; their total for the month does not.
	in.Revenue = append(maxRows(c.ID, "函件", m, 5000), maxRows(c.ID, "包裹", m, 5000)...)
	_, err = Review(in)
	wantOverflow(t, err, "客户 KH0000001 2026-03 各业务种类的收入")

	// Each month fits; the year to date does not.
	in.Revenue = append(maxRows(c.ID, "函件", month("2026-02"), 5000), maxRows(c.ID, "函件", m, 5000)...)
	_, err = Review(in)
	wantOverflow(t, err, "客户 KH0000001 函件 2026-01 至 2026-03 的年累计收入")

	// A refund that brings the month back is exact, whatever the order of the rows.
	in.Revenue = append(maxRows(c.ID, "函件", m, 9224), domain.Revenue{Customer: c.ID, Month: m, Line: "函件", Unit: "D1", Amount: -9000 * domain.MaxAmount})
	in.Revenue[0], in.Revenue[len(in.Revenue)-1] = in.Revenue[len(in.Revenue)-1], in.Revenue[0]
	if rows := mustReview(t, in); rows[0].Current != 224*domain.MaxAmount {
		t.Errorf("本期 %s, want %s", rows[0].Current.Yuan(), (224 * domain.MaxAmount).Yuan())
	}

}

func TestRosterRefusesASumBeyondInt64(t *testing.T) {
	C := domain.Cooperating
	in := RosterInput{
		AsOf:     day("2026-06-10"),
		Managers: []domain.Manager{{StaffID: "M1", Status: domain.Active}, {StaffID: "M2", Status: domain.Active}},
		Customers: []domain.Customer{
			customerAB("KH1", C, "M1", "M2"), customerAB("KH2", C, "M1", "M2"), customerAB("KH3", C, "M2", "M1"),
		},
		Responsible: map[string]string{"KH1": "D1", "KH2": "D1", "KH3": "D1"},
	}
	big := domain.Money(math.MaxInt64/2 + 1)

	in.Revenue = map[string]domain.Money{"KH1": big, "KH2": -big, "KH3": big - 2}
	r := mustRoster(t, in)
	if r.Managers[1].PrimaryRevenue != 0 || r.Managers[0].PrimaryRevenue != big-2 {
		t.Errorf("primary revenue M1 %d, M2 %d", r.Managers[0].PrimaryRevenue, r.Managers[1].PrimaryRevenue)
	}

	for _, c := range []struct {
		name        string
		customers   []domain.Customer
		revenue     map[string]domain.Money
		responsible map[string]string
		names       string
	}{
		{"a manager's primary revenue",
			[]domain.Customer{customerAB("KH1", C, "M1", "M2"), customerAB("KH2", C, "M1", "M2")},
			map[string]domain.Money{"KH1": big, "KH2": big}, nil, "客户经理 M2 主维护客户的收入"},
		{"a manager's assisting revenue",
			[]domain.Customer{customerAB("KH1", C, "M1", "M2"), customerAB("KH2", C, "M1", "M3")},
			map[string]domain.Money{"KH1": big, "KH2": big}, nil, "客户经理 M1 辅助客户的收入"},
		{"a centre's revenue",
			[]domain.Customer{customerAB("KH1", C, "M1", "M1"), customerAB("KH2", C, "M2", "M2")},
			map[string]domain.Money{"KH1": big, "KH2": big}, map[string]string{"KH1": "D1", "KH2": "D1"}, "负责单位 D1 的客户收入"},
		{"a manager's share of a centre, both totals fitting",
			[]domain.Customer{customerAB("KH1", C, "M1", "M1"), customerAB("KH2", C, "M1", "M1"),
				customerAB("KH3", C, "M2", "M2"), customerAB("KH4", C, "M1", "M1")},
			map[string]domain.Money{"KH1": big, "KH2": big, "KH3": -big, "KH4": -big},
			map[string]string{"KH1": "D1", "KH2": "D1", "KH3": "D1", "KH4": "D2"}, "客户经理 M1 在负责单位 D1 主维护客户的收入"},
	} {
		in.Customers, in.Revenue, in.Responsible = c.customers, c.revenue, c.responsible
		_, err := Roster(in)
		if err == nil {
			t.Errorf("%s: no refusal", c.name)
			continue
		}
		wantOverflow(t, err, c.names)
	}
}
