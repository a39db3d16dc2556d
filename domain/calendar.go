package domain

import (
	"fmt"
	"strconv"
	"time"
)

// Month is a calendar month stored as year*100+month (202603), readable in the database too.
type Month int32

// NewMonth builds a Month from a year and month number.
func NewMonth(year int, month time.Month) Month { return Month(year*100 + int(month)) }

// MonthOf is the month a time falls in.
func MonthOf(t time.Time) Month { return NewMonth(t.Year(), t.Month()) }

func (m Month) Year() int       { return int(m) / 100 }
func (m Month) Mon() time.Month { return time.Month(int(m) % 100) }
func (m Month) Valid() bool {
	return m.Year() >= 1900 && m.Year() <= 9999 && m.Mon() >= 1 && m.Mon() <= 12
}
func (m Month) String() string        { return fmt.Sprintf("%04d-%02d", m.Year(), int(m.Mon())) }
func (m Month) Quarter() Quarter      { return Quarter{Year: m.Year(), Q: (int(m.Mon())-1)/3 + 1} }
func (m Month) First() Date           { return DateOf(m.Year(), m.Mon(), 1) }
func (m Month) Last() Date            { return m.AddMonths(1).First() - 1 }
func (m Month) index() int            { return m.Year()*12 + int(m.Mon()) - 1 }
func monthFromIndex(i int) Month      { return NewMonth(i/12, time.Month(i%12+1)) }
func (m Month) AddMonths(n int) Month { return monthFromIndex(m.index() + n) }

// MonthsBetween counts months from a to b (b-a).
func MonthsBetween(a, b Month) int { return b.index() - a.index() }

// Quarter is a calendar quarter, Q in 1..4.
type Quarter struct {
	Year int
	Q    int
}

func (q Quarter) String() string   { return fmt.Sprintf("%04dQ%d", q.Year, q.Q) }
func (q Quarter) LastMonth() Month { return NewMonth(q.Year, time.Month(q.Q*3)) }

// Prev is the quarter before (Q1's is last year's Q4).
func (q Quarter) Prev() Quarter {
	if q.Q == 1 {
		return Quarter{q.Year - 1, 4}
	}
	return Quarter{q.Year, q.Q - 1}
}

// ParseQuarter reads 2026Q2 (q case-insensitive).
func ParseQuarter(s string) (Quarter, error) {
	if len(s) == 6 && (s[4] == 'Q' || s[4] == 'q') {
		y, err1 := strconv.Atoi(s[:4])
		q, err2 := strconv.Atoi(s[5:])
		if err1 == nil && err2 == nil && q >= 1 && q <= 4 && y >= 1900 {
			return Quarter{y, q}, nil
		}
	}
	return Quarter{}, fmt.Errorf("季度 %q 不是 YYYYQn 格式（例如 2026Q2）", s)
}

// Date is a calendar day counted from 1899-12-30, Excel's serial epoch, so a
// spreadsheet serial is a Date as it stands. 0 means "no date".
type Date int32

var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// DateOf builds a Date; out-of-range days normalise as time.Date does.
func DateOf(year int, month time.Month, day int) Date {
	// Whole seconds, not time.Duration: a Duration overflows past the year 2192.
	return Date((time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Unix() - excelEpoch.Unix()) / 86400)
}

// DateFromTime is the calendar day of t in t's own location.
func DateFromTime(t time.Time) Date { return DateOf(t.Year(), t.Month(), t.Day()) }

func (d Date) IsZero() bool    { return d == 0 }
func (d Date) Time() time.Time { return excelEpoch.AddDate(0, 0, int(d)) }
func (d Date) Month() Month    { return MonthOf(d.Time()) }
func (d Date) String() string {
	if d == 0 {
		return ""
	}
	return d.Time().Format("2006-01-02")
}

// AddMonthsClamped adds calendar months and clamps to the target month's last
// day: 01-31 + 1 month = 02-28 (02-29 in a leap year).
func (d Date) AddMonthsClamped(n int) Date {
	t := d.Time()
	target := MonthOf(t).AddMonths(n)
	last := target.Last().Time().Day()
	day := t.Day()
	if day > last {
		day = last
	}
	return DateOf(target.Year(), target.Mon(), day)
}
