package rules

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"kam/domain"
)

func TestReviewSpanAndGoldMonths(t *testing.T) {
	cases := []struct {
		m        string
		window   int
		from, to string
	}{
		{"2026-03", DiamondWindow, "2025-03", "2026-03"},
		{"2026-12", DiamondWindow, "2025-12", "2026-12"},
		{"2026-02", GoldWindow, "2025-01", "2026-02"},
		{"2026-12", GoldWindow, "2025-11", "2026-12"},
	}
	for _, c := range cases {
		from, to := ReviewSpan(month(c.m), c.window)
		if from.String() != c.from || to.String() != c.to {
			t.Errorf("ReviewSpan(%s, %d) = %s…%s; want %s…%s", c.m, c.window, from, to, c.from, c.to)
		}
	}
	var gold []string
	for m := month("2026-01"); m <= month("2026-12"); m = m.AddMonths(1) {
		if GoldReviewMonth(m) {
			gold = append(gold, fmt.Sprint(int(m.Mon())))
		}
	}
	if got := strings.Join(gold, ","); got != "2,4,6,8,10,12" {
		t.Errorf("gold review months = %s", got)
	}
}

func pctStr(p *Pct) string {
	if p == nil {
		return "—"
	}
	return p.String()
}

func TestGrowth(t *testing.T) {
	cases := []struct {
		cur, base domain.Money
		want      string
	}{
		{110, 100, "10.00%"}, {90, 100, "-10.00%"}, {100, 0, "—"}, {0, 0, "—"}, {0, 100, "-100.00%"},
		{1, 3, "-66.67%"}, {2, 3, "-33.33%"}, {4, 3, "33.33%"}, {5, 3, "66.67%"},
		{20001, 20000, "0.01%"}, {19999, 20000, "-0.01%"}, // half a basis point, away from zero
		{60001, 60000, "0.00%"}, {59999, 60000, "0.00%"},
		{-50, -100, "50.00%"}, {-150, -100, "-50.00%"}, {100, -100, "200.00%"},
		{1_000_000_000_000_000, 1, "92233720368547758.07%"}, // saturates at the largest Pct
		{math.MaxInt64, math.MinInt64, "200.00%"},           // the difference itself overflows int64
	}
	for _, c := range cases {
		if got := pctStr(growth(c.cur, c.base)); got != c.want {
			t.Errorf("growth(%d, %d) = %s; want %s", c.cur, c.base, got, c.want)
		}
	}
}

func rev(customer, m, line string, amount domain.Money) domain.Revenue {
	return domain.Revenue{Customer: customer, Month: month(m), Line: line, Unit: "D1", Amount: amount}
}

func figuresStr(f ReviewFigures) string {
	return fmt.Sprintf("cur %d prev %d ly %d ytd %d mom %s yoy %s lost %v alert %v",
		f.Current, f.Previous, f.LastYear, f.YearToDate, pctStr(f.MoM), pctStr(f.YoY), f.Lost, f.Alert)
}

func reviewStr(rows []ReviewRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Customer.ID+": "+figuresStr(r.ReviewFigures))
		for _, l := range r.Lines {
			out = append(out, "  "+l.Line+": "+figuresStr(l.ReviewFigures))
		}
	}
	return out
}

func TestReviewDiamond(t *testing.T) {
	in := ReviewInput{
		Month: month("2026-03"), Window: DiamondWindow, DropAlert: DefaultDropAlert,
		Customers: []domain.Customer{{ID: "A"}, {ID: "B"}, {ID: "C"}, {ID: "D"}},
		Lines:     []string{"函件", "包裹"},
		Revenue: []domain.Revenue{
			rev("A", "2025-03", "包裹", 1000), rev("A", "2026-01", "包裹", 500), rev("A", "2026-02", "包裹", 800),
			rev("A", "2026-03", "包裹", 600), rev("A", "2026-03", "包裹", 300), // two rows of one month add up
			rev("A", "2025-03", "函件", 200),
			rev("A", "2025-02", "速递", 50), // before the span: ignored
			rev("A", "2026-04", "速递", 50), // after the period: ignored
			rev("C", "2025-03", "其他", 1000), rev("C", "2026-03", "其他", 899),
			rev("D", "2025-03", "代理金融", 100000), rev("D", "2026-03", "代理金融", 89999),
			rev("Z", "2026-03", "包裹", 1_000_000), // not under review
		},
	}
	rows := mustReview(t, in)
	want := []string{
		"D: cur 89999 prev 0 ly 100000 ytd 89999 mom — yoy -10.00% lost false alert false", // a 10.001% fall shows as 10.00%: not flagged
		"  代理金融: cur 89999 prev 0 ly 100000 ytd 89999 mom — yoy -10.00% lost false alert false",
		"A: cur 900 prev 800 ly 1200 ytd 2200 mom 12.50% yoy -25.00% lost false alert true",
		"  函件: cur 0 prev 0 ly 200 ytd 0 mom — yoy -100.00% lost true alert true",
		"  包裹: cur 900 prev 800 ly 1000 ytd 2200 mom 12.50% yoy -10.00% lost false alert false",
		"C: cur 899 prev 0 ly 1000 ytd 899 mom — yoy -10.10% lost false alert true",
		"  其他: cur 899 prev 0 ly 1000 ytd 899 mom — yoy -10.10% lost false alert true",
		"B: cur 0 prev 0 ly 0 ytd 0 mom — yoy — lost false alert false",
	}
	check(t, "diamond review", reviewStr(rows), want)
	var a ReviewRow
	for _, r := range rows {
		if r.Customer.ID == "A" {
			a = r
		}
	}
	wantTrend := [12]domain.Money{9: 500, 10: 800, 11: 900}
	if a.Trend != wantTrend {
		t.Errorf("A's trend = %v; want %v", a.Trend, wantTrend)
	}
}

func TestReviewGold(t *testing.T) {
	in := ReviewInput{
		Month: month("2026-04"), Window: GoldWindow, DropAlert: DefaultDropAlert,
		Customers: []domain.Customer{{ID: "G"}, {ID: "H"}},
		Revenue: []domain.Revenue{
			rev("G", "2025-03", "包裹", 100), rev("G", "2025-04", "包裹", 100), rev("G", "2025-05", "包裹", 7),
			rev("G", "2026-01", "包裹", 50), rev("G", "2026-02", "包裹", 50),
			rev("G", "2026-03", "包裹", 60), rev("G", "2026-04", "包裹", -60), // a refund cancels March
			rev("H", "2025-04", "包裹", -100), rev("H", "2026-04", "包裹", 50),
		},
	}
	want := []string{
		"H: cur 50 prev 0 ly -100 ytd 50 mom — yoy 150.00% lost false alert false",
		"  包裹: cur 50 prev 0 ly -100 ytd 50 mom — yoy 150.00% lost false alert false",
		"G: cur 0 prev 100 ly 200 ytd 100 mom -100.00% yoy -100.00% lost true alert true",
		"  包裹: cur 0 prev 100 ly 200 ytd 100 mom -100.00% yoy -100.00% lost true alert true",
	}
	rows := mustReview(t, in)
	check(t, "gold review", reviewStr(rows), want)
	// Trend is monthly, 2025-05 … 2026-04.
	wantTrend := [12]domain.Money{0: 7, 8: 50, 9: 50, 10: 60, 11: -60}
	if rows[1].Trend != wantTrend {
		t.Errorf("G's trend = %v; want %v", rows[1].Trend, wantTrend)
	}
}

func TestReviewThresholdIsConfigurable(t *testing.T) {
	in := ReviewInput{
		Month: month("2026-03"), Window: DiamondWindow, DropAlert: 3000,
		Customers: []domain.Customer{{ID: "A"}},
		Revenue:   []domain.Revenue{rev("A", "2025-03", "包裹", 1000), rev("A", "2026-03", "包裹", 750)},
	}
	if got := mustReview(t, in); got[0].Alert {
		t.Errorf("a 25%% fall flagged against a 30%% threshold: %s", figuresStr(got[0].ReviewFigures))
	}
	in.DropAlert = 2499
	if got := mustReview(t, in); !got[0].Alert {
		t.Errorf("a 25%% fall not flagged against a 24.99%% threshold: %s", figuresStr(got[0].ReviewFigures))
	}
}

func TestLineOrder(t *testing.T) {
	lines := []string{"z", "包裹", "b", "函件", "a"}
	o := newLineOrder([]string{"函件", "包裹"})
	for i := range lines {
		for j := i + 1; j < len(lines); j++ {
			if o.before(lines[j], lines[i]) {
				lines[i], lines[j] = lines[j], lines[i]
			}
		}
	}
	if want := []string{"函件", "包裹", "a", "b", "z"}; !reflect.DeepEqual(lines, want) {
		t.Errorf("line order %v; want %v", lines, want)
	}
}

// A comparison base never loaded is no base: no 同比, no 流失 or 预警, the amount unknown.
func TestReviewWithoutALoadedBase(t *testing.T) {
	c := domain.Customer{ID: "A"}
	in := ReviewInput{Month: month("2026-06"), Window: 1, Customers: []domain.Customer{c}, DropAlert: 1000,
		Revenue: []domain.Revenue{rev("A", "2026-06", "函件", 100*yuan), rev("A", "2026-05", "函件", 300*yuan)}}
	in.Loaded = func(m domain.Month) bool { return m >= month("2026-01") } // loading began this January
	r := mustReview(t, in)[0]
	if !r.NoLastYear || r.YoY != nil || r.Lost || r.Alert || r.NoPrevious || r.MoM == nil {
		t.Errorf("last year never loaded: %+v", r.ReviewFigures)
	}
	in.Loaded = func(domain.Month) bool { return true } // loaded, and truly nothing last June
	r = mustReview(t, in)[0]
	if r.NoLastYear || r.YoY != nil || r.LastYear != 0 {
		t.Errorf("last year loaded with no revenue: %+v", r.ReviewFigures)
	}
	in.Loaded = func(m domain.Month) bool { return m != month("2026-05") }
	if r := mustReview(t, in)[0]; !r.NoPrevious || r.MoM != nil {
		t.Errorf("last month never loaded: %+v", r.ReviewFigures)
	}
}
