package rules

import (
	"fmt"
	"math/big"
	"sort"

	"kam/domain"
)

// Review windows (第九条(三)(四)): diamond customers monthly, gold every two months.
const (
	DiamondWindow = 1
	GoldWindow    = 2
)

// DefaultDropAlert flags a fall of more than 10% against the same period last year.
const DefaultDropAlert domain.Ratio = 1000

// TrendMonths is the length of the trend chart's series.
const TrendMonths = 12

// GoldReviewMonth reports whether a gold review pack is due for month m (Feb, Apr, …, Dec).
func GoldReviewMonth(m domain.Month) bool { return m.Mon()%2 == 0 }

// ReviewSpan is the first and last month of revenue Review reads for a period
// ending in month m of window months.
func ReviewSpan(m domain.Month, window int) (from, to domain.Month) {
	from = m.AddMonths(-(TrendMonths - 1))
	for _, f := range []domain.Month{m.AddMonths(-(12 + window - 1)), m.AddMonths(-(2*window - 1)), domain.NewMonth(m.Year(), 1)} {
		if f < from {
			from = f
		}
	}
	return from, m
}

// ReviewInput is one review pack's data.
type ReviewInput struct {
	Month     domain.Month      // the period's last month
	Window    int               // months per period: DiamondWindow or GoldWindow
	Customers []domain.Customer // the customers under review (tier at the latest quarter-end)
	Revenue   []domain.Revenue  // their revenue over ReviewSpan; rows outside it or of other customers are ignored
	Lines     []string          // business lines in report order; lines not listed follow by name
	DropAlert domain.Ratio      // 预警 when 同比 falls by more than this many basis points
	// Loaded reports whether any revenue at all is stored for a month; a
	// comparison window with a month never loaded has no base (shown empty,
	// 同比 —), never 0.00. nil: every month is loaded.
	Loaded func(domain.Month) bool
}

// ReviewFigures are one customer's (or one of its lines') figures for the period.
type ReviewFigures struct {
	Current    domain.Money // 本期
	Previous   domain.Money // 上期: the window just before
	LastYear   domain.Money // 去年同期
	YearToDate domain.Money // 年累计: January … Month
	MoM        *Pct         // 环比; nil when 上期 is 0 or not loaded (shown as —)
	YoY        *Pct         // 同比; nil when 去年同期 is 0 or not loaded (shown as —)
	NoPrevious bool         // 上期 includes a month never loaded: no base, shown empty
	NoLastYear bool         // 去年同期 includes a month never loaded: no base, shown empty
	Lost       bool         // 流失: last year above 0, now 0 or below
	Alert      bool         // 预警: lost, or 同比 fell by more than the threshold
}

// LineReview is the figures of one business line.
type LineReview struct {
	Line string
	ReviewFigures
}

// ReviewRow is one customer of 用邮分析.
type ReviewRow struct {
	Customer domain.Customer
	ReviewFigures
	Lines []LineReview              // every line with revenue in the span, in report order
	Trend [TrendMonths]domain.Money // monthly totals, Month-11 … Month
}

// Review computes a review pack (第九条(三)(四)). Every customer under
// review gets a row, revenue or not; rows come by 本期 descending, then
// customer id. A sum beyond domain.Money refuses it (domain.Overflowf), naming
// the customer and what was being added.
func Review(in ReviewInput) ([]ReviewRow, error) {
	if in.Window < 1 || in.Window > 12 {
		panic(fmt.Sprintf("rules.Review: window of %d months", in.Window))
	}
	from, to := ReviewSpan(in.Month, in.Window)
	span := domain.MonthsBetween(from, to) + 1
	at := func(m domain.Month) int { return domain.MonthsBetween(from, m) }

	// monthly[customer][line][i] is the revenue of month from+i.
	monthly := make(map[string]map[string][]domain.Sum, len(in.Customers))
	for _, c := range in.Customers {
		monthly[c.ID] = map[string][]domain.Sum{}
	}
	for _, r := range in.Revenue {
		byLine, ok := monthly[r.Customer]
		if !ok || r.Month < from || r.Month > to {
			continue
		}
		series := byLine[r.Line]
		if series == nil {
			series = make([]domain.Sum, span)
			byLine[r.Line] = series
		}
		series[at(r.Month)].Add(r.Amount)
	}

	w := in.Window
	loaded := func(first, last domain.Month) bool {
		if in.Loaded == nil {
			return true
		}
		for m := first; m <= last; m = m.AddMonths(1) {
			if !in.Loaded(m) {
				return false
			}
		}
		return true
	}
	noPrevious := !loaded(in.Month.AddMonths(-(2*w - 1)), in.Month.AddMonths(-w))
	noLastYear := !loaded(in.Month.AddMonths(-(12 + w - 1)), in.Month.AddMonths(-12))
	// whose names the series in a refusal: 客户 KH0000001 函件, or the customer alone for its total.
	figures := func(series []domain.Money, whose string) (ReviewFigures, error) {
		var f ReviewFigures
		for _, p := range []struct {
			to          *domain.Money
			what        string
			first, last domain.Month
		}{
			{&f.Current, "本期", in.Month.AddMonths(-(w - 1)), in.Month},
			{&f.Previous, "上期", in.Month.AddMonths(-(2*w - 1)), in.Month.AddMonths(-w)},
			{&f.LastYear, "去年同期", in.Month.AddMonths(-(12 + w - 1)), in.Month.AddMonths(-12)},
			{&f.YearToDate, "年累计", domain.NewMonth(in.Month.Year(), 1), in.Month},
		} {
			var s domain.Sum
			for i := at(p.first); i <= at(p.last); i++ {
				s.Add(series[i])
			}
			var ok bool
			if *p.to, ok = s.Total(); !ok {
				return f, domain.Overflowf("%s %s 至 %s 的%s收入", whose, p.first, p.last, p.what)
			}
		}
		f.MoM = growth(f.Current, f.Previous)
		f.YoY = growth(f.Current, f.LastYear)
		f.NoPrevious, f.NoLastYear = noPrevious, noLastYear
		if noPrevious {
			f.MoM = nil
		}
		if noLastYear {
			f.YoY = nil
		}
		if f.LastYear > 0 && !noLastYear {
			f.Lost = f.Current <= 0
			// Compared as shown (rounded to 0.01%), so a flagged 同比 never reads as within the threshold.
			f.Alert = f.Lost || int64(*f.YoY) < -int64(in.DropAlert)
		}
		return f, nil
	}

	order := newLineOrder(in.Lines)
	rows := make([]ReviewRow, 0, len(in.Customers))
	for _, c := range in.Customers {
		byLine := monthly[c.ID]
		total := make([]domain.Sum, span)
		row := ReviewRow{Customer: c}
		lines := make([]string, 0, len(byLine))
		for line := range byLine {
			lines = append(lines, line)
		}
		sort.Slice(lines, func(i, j int) bool { return order.before(lines[i], lines[j]) })
		for _, line := range lines { // in report order, so a refusal names the same line every time
			sums := byLine[line]
			series := make([]domain.Money, span)
			for i, s := range sums {
				v, ok := s.Total()
				if !ok {
					return nil, domain.Overflowf("客户 %s %s %s收入", c.ID, from.AddMonths(i), line)
				}
				series[i] = v
				total[i].Add(v)
			}
			f, err := figures(series, "客户 "+c.ID+" "+line)
			if err != nil {
				return nil, err
			}
			row.Lines = append(row.Lines, LineReview{Line: line, ReviewFigures: f})
		}
		series := make([]domain.Money, span)
		for i, s := range total {
			v, ok := s.Total()
			if !ok {
				return nil, domain.Overflowf("客户 %s %s 各业务种类的收入", c.ID, from.AddMonths(i))
			}
			series[i] = v
		}
		var err error
		if row.ReviewFigures, err = figures(series, "客户 "+c.ID); err != nil {
			return nil, err
		}
		copy(row.Trend[:], series[at(in.Month.AddMonths(-(TrendMonths-1))):])
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Current != rows[j].Current {
			return rows[i].Current > rows[j].Current
		}
		return rows[i].Customer.ID < rows[j].Customer.ID
	})
	return rows, nil
}

// growth is (cur − base) / |base| in basis points, rounded half away from zero;
// nil when base is 0. |base| keeps a rise from a negative base a rise.
func growth(cur, base domain.Money) *Pct {
	if base == 0 {
		return nil
	}
	diff := new(big.Int).Sub(big.NewInt(int64(cur)), big.NewInt(int64(base)))
	p := pctOf(diff, new(big.Int).Abs(big.NewInt(int64(base))))
	return &p
}

// lineOrder sorts business lines by the configured list, others after by name.
type lineOrder map[string]int

func (o lineOrder) before(a, b string) bool {
	ia, oka := o[a]
	ib, okb := o[b]
	switch {
	case oka && okb:
		return ia < ib
	case oka != okb:
		return oka
	default:
		return a < b
	}
}

func newLineOrder(lines []string) lineOrder {
	o := lineOrder{}
	for i, l := range lines {
		if _, dup := o[l]; !dup {
			o[l] = i
		}
	}
	return o
}
