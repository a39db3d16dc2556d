package reports

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"kam/domain"
	"kam/rules"
)

// half is the smallest amount two of which do not fit in Money.
const half = domain.Money(math.MaxInt64/2 + 1)

// wantOverflow checks a refusal for a total beyond Money (SPEC §3.3), naming what was being added.
func wantOverflow(t *testing.T, what string, err error, names ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no refusal for a total beyond Money", what)
		return
	}
	if domain.KindOf(err) != domain.ERefused || !errors.Is(err, domain.ErrOverflow) {
		t.Errorf("%s: kind %v, Is(ErrOverflow) %v: %v", what, domain.KindOf(err), errors.Is(err, domain.ErrOverflow), err)
	}
	for _, n := range names {
		if !strings.Contains(domain.Message(err), n) {
			t.Errorf("%s: %q does not name %q", what, domain.Message(err), n)
		}
	}
}

// line is one 分成明细 line: revenue booked by unit on line, share to unit to.
func line(l, booked string, amount domain.Money, to string, share domain.Money) SplitLine {
	return SplitLine{Revenue: domain.Revenue{Customer: "C1", Month: 202606, Line: l, Unit: booked, Amount: amount},
		Share: rules.Share{Unit: to, Ratio: domain.FullRatio, Amount: share}}
}

// Every total the split report prints is checked: each refuses naming what it added.
func TestSplitsTotalsBeyondMoneyAreRefused(t *testing.T) {
	in := SplitsInput{Month: 202606, Units: []domain.Unit{{Code: "D01"}, {Code: "D02"}}, Lines: []string{"函件", "包裹"}}
	for _, c := range []struct {
		name  string
		lines []SplitLine // each line's revenue row is counted once
		names []string
	}{
		{"the month's revenue", []SplitLine{line("函件", "D01", half, "D01", half), line("包裹", "D01", half, "D01", half)},
			[]string{"收入分成 2026-06 的收入合计（2 行）"}},
		{"one line's revenue", []SplitLine{
			line("函件", "D01", half, "D01", half), line("函件", "D02", half, "D02", half),
			line("包裹", "D01", -half, "D01", -half), line("包裹", "D02", -half, "D02", -half)},
			[]string{"收入分成 2026-06 业务种类 函件 的收入"}},
		{"one unit's bookings", []SplitLine{
			line("函件", "D01", half, "D01", half), line("包裹", "D01", half, "D01", half),
			line("函件", "D02", -half, "D02", -half), line("包裹", "D02", -half, "D02", -half)},
			[]string{"收入分成 2026-06 单位 D01 入账的收入"}},
		// Below, the revenue adds up and the shares (never, unless something is badly wrong) do not.
		{"the month's shares", []SplitLine{line("函件", "D01", half, "D01", half), line("包裹", "D01", -half, "D01", half)},
			[]string{"收入分成 2026-06 的分成合计（2 行明细）"}},
		{"one line's shares", []SplitLine{
			line("函件", "D01", 1, "D01", half), line("函件", "D02", 1, "D02", half),
			line("包裹", "D01", 1, "D01", -half), line("包裹", "D02", 1, "D02", -half)},
			[]string{"收入分成 2026-06 业务种类 函件 的分成金额"}},
		{"one unit's shares", []SplitLine{
			line("函件", "D01", 1, "D01", half), line("包裹", "D01", 1, "D01", half),
			line("函件", "D02", 1, "D02", -half), line("包裹", "D02", 1, "D02", -half)},
			[]string{"收入分成 2026-06 分给单位 D01 的分成金额"}},
		// Each total fits; D01 got +MaxInt64 and booked −MaxInt64.
		{"one unit's change", []SplitLine{
			line("函件", "D01", -math.MaxInt64, "D02", -math.MaxInt64), line("包裹", "D02", math.MaxInt64, "D01", math.MaxInt64)},
			[]string{"收入分成 2026-06 单位 D01 的分成增减"}},
		// 核对: revenue +MaxInt64 against shares −MaxInt64, each unit's change within Money.
		{"a check's difference", []SplitLine{line("函件", "D01", math.MaxInt64, "D02", -math.MaxInt64)},
			[]string{"收入分成 2026-06 核对「2026-06 收入合计（1 行）」的差额（收入金额减分成金额）"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rev RevenueTotals
			for _, l := range c.lines {
				rev.Add(l.Revenue)
			}
			var csvOut bytes.Buffer
			b, _, err := Splits(testMeta, in, &sliceSource{lines: c.lines, rev: rev}, &csvOut)
			if b != nil {
				b.Close()
			}
			wantOverflow(t, c.name, err, c.names...)
		})
	}
}

// A unit's 分成对账单 checks its own totals: its shares, and any stray line of another unit.
func TestSplitStatementTotalsBeyondMoneyAreRefused(t *testing.T) {
	in := SplitsInput{Month: 202606, Units: []domain.Unit{{Code: "D01"}, {Code: "D02"}}, Lines: []string{"函件"}}
	city := SplitsTotals{ByUnit: map[string]domain.Money{"D01": 0}, Booked: map[string]domain.Money{"D01": 0}}
	for _, c := range []struct {
		name  string
		lines []SplitLine
		names []string
	}{
		{"its shares", []SplitLine{line("函件", "D01", 1, "D01", half), line("函件", "D01", 1, "D01", half)},
			[]string{"单位 D01 2026-06 分成对账单中的分成合计"}},
		{"another unit's lines", []SplitLine{
			line("函件", "D01", 1, "D02", half), line("函件", "D01", 1, "D03", half), line("函件", "D01", 1, "D01", -half), line("函件", "D01", 1, "D01", -half+1)},
			[]string{"单位 D01 2026-06 分成对账单中其他单位的分成"}},
		{"its change", []SplitLine{line("函件", "D01", 1, "D01", math.MaxInt64)},
			[]string{"单位 D01 2026-06 分成对账单中单位 D01 的分成增减"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			city := city
			if c.name == "its change" {
				city.Booked = map[string]domain.Money{"D01": -1}
			}
			b, _, err := SplitStatement(testMeta, in, "D01", statementOf(c.lines, nil), city)
			if b != nil {
				b.Close()
			}
			wantOverflow(t, c.name, err, c.names...)
		})
	}
}

// The grades workbook checks 距升级差额 and every total of 汇总 and 说明.
func TestGradesTotalsBeyondMoneyAreRefused(t *testing.T) {
	scheme := defaultScheme(t)
	basis := GradeBasis{Scheme: scheme, Quarter: domain.Quarter{Year: 2026, Q: 2}}
	grade := func(id, unit string, cum domain.Money, level int) domain.CustomerGrade {
		return domain.CustomerGrade{Customer: domain.Customer{ID: id, Name: "客户" + id}, Cumulative: cum, Level: level,
			Tier: scheme.Tier(level), Change: domain.ChangeSame, Responsible: unit}
	}
	for _, c := range []struct {
		name   string
		meta   Meta
		grades []domain.CustomerGrade
		names  []string
	}{
		{"a gap to the next level", testMeta, []domain.CustomerGrade{grade("G1", "D1", math.MinInt64+1, 8)},
			[]string{"客户 G1 的距升级差额（7 级门槛减累计收入）"}},
		{"a unit's tier", testMeta, []domain.CustomerGrade{grade("G1", "D1", half, 1), grade("G2", "D1", half, 1)},
			[]string{"负责单位 D1 钻石客户的累计收入"}},
		{"a unit's customers", testMeta, []domain.CustomerGrade{grade("G1", "D1", half, 1), grade("G2", "D1", half, 3)},
			[]string{"负责单位 D1 全部客户的累计收入"}},
		{"customers without a unit", testMeta, []domain.CustomerGrade{grade("G1", "", half, 1), grade("G2", "", half, 1)},
			[]string{"未能确定负责单位的钻石客户的累计收入"}},
		{"the city's tier", testMeta, []domain.CustomerGrade{grade("G1", "D1", half, 1), grade("G2", "D2", half, 1)},
			[]string{"全市钻石客户的累计收入"}},
		{"a unit's own workbook", Meta{Period: "2026Q2", Unit: "D9"}, []domain.CustomerGrade{grade("G1", "D1", half, 3), grade("G2", "D2", half, 3)},
			[]string{"单位 D9 工作簿中黄金客户的累计收入"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := Grades(c.meta, basis, c.grades, nil, Directory{})
			if b != nil {
				b.Close()
			}
			wantOverflow(t, c.name, err, c.names...)
		})
	}
}

// The review pack's trend chart ranks customers by a checked 12-month total.
func TestReviewTrendTotalBeyondMoneyIsRefused(t *testing.T) {
	row := rules.ReviewRow{Customer: domain.Customer{ID: "G01", Name: "某客户"}}
	for i := range row.Trend {
		row.Trend[i] = domain.MaxAmount * 1000
	}
	p := ReviewPack{Tier: domain.Diamond, Month: 202606, Window: 1, ChartTopN: 2, DropAlert: rules.DefaultDropAlert,
		Rows: []rules.ReviewRow{row}}
	b, err := Review(testMeta, p, Directory{})
	if b != nil {
		b.Close()
	}
	wantOverflow(t, "trend", err, "客户 G01 2025-07 至 2026-06 的收入")

	for i := range row.Trend {
		row.Trend[i] = domain.MaxAmount * 700 // 12 × 7e17: fits
	}
	p.Rows = []rules.ReviewRow{row}
	b, err = Review(testMeta, p, Directory{})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
}
