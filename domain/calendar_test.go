package domain

import (
	"testing"
	"time"
)

func TestDateRoundTripsAcrossCenturies(t *testing.T) {
	for _, c := range []struct {
		y int
		m time.Month
		d int
	}{{1900, 3, 1}, {2026, 3, 5}, {2028, 2, 29}, {2192, 4, 12}, {2447, 7, 30}, {9999, 12, 31}} {
		d := DateOf(c.y, c.m, c.d)
		if got := d.Time(); got.Year() != c.y || got.Month() != c.m || got.Day() != c.d {
			t.Errorf("DateOf(%d-%d-%d) read back as %s", c.y, c.m, c.d, d)
		}
	}
	if DateOf(2026, 3, 5) != 46086 {
		t.Errorf("2026-03-05 serial = %d, Excel says 46086", DateOf(2026, 3, 5))
	}
}

func TestAddMonthsClamped(t *testing.T) {
	cases := []struct {
		from string
		n    int
		want string
	}{
		{"2026-01-31", 1, "2026-02-28"}, {"2028-01-31", 1, "2028-02-29"}, {"2026-12-31", 2, "2027-02-28"},
		{"2026-08-31", 1, "2026-09-30"}, {"2026-03-15", 2, "2026-05-15"}, {"2026-11-30", 3, "2027-02-28"},
	}
	for _, c := range cases {
		d, _ := ParseDate(c.from)
		if got := d.AddMonthsClamped(c.n).String(); got != c.want {
			t.Errorf("%s + %d months = %s, want %s", c.from, c.n, got, c.want)
		}
	}
}

func TestMonthAndQuarter(t *testing.T) {
	m, err := ParseMonth("2026-01")
	if err != nil {
		t.Fatal(err)
	}
	if m.AddMonths(-1).String() != "2025-12" || m.AddMonths(13).String() != "2027-02" || m.Last().String() != "2026-01-31" {
		t.Errorf("month arithmetic wrong: %s %s %s", m.AddMonths(-1), m.AddMonths(13), m.Last())
	}
	q, _ := ParseQuarter("2026Q1")
	if q.Prev().String() != "2025Q4" || q.LastMonth().String() != "2026-03" {
		t.Errorf("quarter: %s %s", q.Prev(), q.LastMonth())
	}
	for _, bad := range []string{"2026-13", "2026-00", "26-01", "2026-1-"} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
}

func TestMoneyFormats(t *testing.T) {
	for m, want := range map[Money]string{0: "0.00", 5: "0.05", -123456: "-1,234.56", 100000000: "1,000,000.00", 99: "0.99"} {
		if got := m.Yuan(); got != want {
			t.Errorf("%d.Yuan() = %q, want %q", m, got, want)
		}
	}
	if Money(-123456).Plain() != "-1234.56" || Ratio(3333).String() != "33.33" || Ratio(10000).String() != "100.00" {
		t.Error("Plain/Ratio formatting wrong")
	}
}

func TestGrouped(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567"} {
		if got := Grouped(n); got != want {
			t.Errorf("Grouped(%d) = %q, want %q", n, got, want)
		}
	}
}
