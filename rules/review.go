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

// Review computes a review pack (第九条(三)(四)). Every customer under review
// gets a row, revenue or not; rows come by 本期 descending, then customer id.
func Review(in ReviewInput) []ReviewRow {
	if in.Window < 1 || in.Window > 12 {
		panic(fmt.Sprintf("rules.Review: window of %d months", in.Window))
	}
	from, to := ReviewSpan(in.Month, in.Window)
	span := domain.MonthsBetween(from, to) + 1
	at := func(m domain.Month) int { return domain.MonthsBetween(from, m) }

	// monthly[customer][line][i] is the revenue of month from+i.
	monthly := make(map[string]map[string][]domain.Money, len(in.Customers))
	for _, c := range in.Customers {
		monthly[c.ID] = map[string][]domain.Money{}
	}
	for _, r := range in.Revenue {
		byLine, ok := monthly[r.Customer]
		if !ok || r.Month < from || r.Month > to {
			continue
		}
		series := byLine[r.Line]
		if series == nil {
			series = make([]domain.Money, span)
			byLine[r.Line] = series
		}
		series[at(r.Month)] += r.Amount
	}

	sum := func(series []domain.Money, first, last domain.Month) domain.Money {
		var s domain.Money
		for i := at(first); i <= at(last); i++ {
			s += series[i]
		}
		return s
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
	figures := func(series []domain.Money) ReviewFigures {
		f := ReviewFigures{
			Current:    sum(series, in.Month.AddMonths(-(w - 1)), in.Month),
			Previous:   sum(series, in.Month.AddMonths(-(2*w - 1)), in.Month.AddMonths(-w)),
			LastYear:   sum(series, in.Month.AddMonths(-(12 + w - 1)), in.Month.AddMonths(-12)),
			YearToDate: sum(series, domain.NewMonth(in.Month.Year(), 1), in.Month),
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
		return f
	}

	order := newLineOrder(in.Lines)
	rows := make([]ReviewRow, 0, len(in.Customers))
	for _, c := range in.Customers {
		byLine := monthly[c.ID]
		total := make([]domain.Money, span)
		row := ReviewRow{Customer: c}
		for line, series := range byLine {
			for i, v := range series {
				total[i] += v
			}
			row.Lines = append(row.Lines, LineReview{Line: line, ReviewFigures: figures(series)})
		}
		sort.Slice(row.Lines, func(i, j int) bool { return order.before(row.Lines[i].Line, row.Lines[j].Line) })
		row.ReviewFigures = figures(total)
		copy(row.Trend[:], total[at(in.Month.AddMonths(-(TrendMonths-1))):])
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Current != rows[j].Current {
			return rows[i].Current > rows[j].Current
		}
		return rows[i].Customer.ID < rows[j].Customer.ID
	})
	return rows
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
