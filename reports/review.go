package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/rules"
)

// ReviewPack is one diamond or gold review pack (第九条(三)(四)) to render.
type ReviewPack struct {
	Tier      domain.Tier
	Month     domain.Month // the period's last month
	Window    int          // months per period
	Basis     string       // which grading picked the customers, for 说明
	DropAlert domain.Ratio // the 同比 fall that is flagged
	ChartTopN int          // customers drawn on the trend chart
	Rows      []rules.ReviewRow
	// Responsible is each customer's responsible unit at that grading.
	Responsible map[string]string
	// Loaded says whether any revenue is stored for a month: a comparison
	// base never loaded is said to be missing, and the trend chart leaves
	// such months as gaps, never 0 (SPEC §4.6, §5). nil: every month is.
	Loaded func(domain.Month) bool
	// Visits is each customer's place against its tier's gap between visits
	// (分级维护, SPEC §4.7) on day VisitsAsOf; nil leaves the columns out.
	Visits     map[string]rules.VisitGap
	VisitsAsOf domain.Date
}

// NoBaseWarning is what a pack says when 去年同期 was never loaded.
const NoBaseWarning = "同比预警未判断：无去年同期数据"

// LastYear is the window 去年同期 covers.
func (p ReviewPack) LastYear() string { return windowLabel(p.Month.AddMonths(-12), p.Window) }

// NoLastYear reports whether a month of 去年同期 was never loaded: 同比 and
// its 预警 cannot be judged for anyone.
func (p ReviewPack) NoLastYear() bool {
	if p.Loaded == nil {
		return false
	}
	last := p.Month.AddMonths(-12)
	for m := last.AddMonths(-(p.Window - 1)); m <= last; m = m.AddMonths(1) {
		if !p.Loaded(m) {
			return true
		}
	}
	return false
}

// loaded is p.Loaded, every month when nil.
func (p ReviewPack) loaded(m domain.Month) bool { return p.Loaded == nil || p.Loaded(m) }

// Period names the pack's window: 2026-06, or 2026-05 至 2026-06.
func (p ReviewPack) Period() string { return windowLabel(p.Month, p.Window) }

func windowLabel(last domain.Month, window int) string {
	first := last.AddMonths(-(window - 1))
	if first == last {
		return last.String()
	}
	return first.String() + " 至 " + last.String()
}

// Review renders a review pack: 用邮分析 (the contract sheet), 分业务, 预警,
// 趋势数据 and 趋势图 (a line chart of the last 12 months for the largest
// customers), and 说明.
func Review(m Meta, p ReviewPack, names Directory) (_ *Book, err error) {
	if m.Report == "" {
		m.Report = p.Tier.Label() + "客户用邮分析"
	}
	if m.Period == "" {
		m.Period = p.Period()
	}
	b := NewBook(m)
	b.About("用邮分析", "每户一行：本期、上期、去年同期收入，环比、同比、年累计与预警")
	b.About("分业务", "每户每个业务种类一行，口径同用邮分析")
	if p.NoLastYear() {
		b.About("预警", NoBaseWarning+"（"+p.LastYear()+" 未导入收入），每户列出，待有数据后再判断")
	} else {
		b.About("预警", "同比下降超过预警标准或流失的客户，需负责单位跟进")
	}
	b.About(trendChart, "收入最多的客户近 12 个月收入折线图（万元）")
	b.About(trendData, "趋势图的数据：每户近 12 个月每月收入（元），其后同样的月份以万元列出，供趋势图使用")
	defer func() {
		if err != nil {
			b.Close() // a half-written book's temporary files go with it
		}
	}()
	unit := func(customer string) (string, string) {
		code := p.Responsible[customer]
		return code, names.Units[code]
	}
	dropLabel := "同比下降超过 " + p.DropAlert.String() + "%"
	noBase := p.NoLastYear()
	alert := func(f rules.ReviewFigures) any {
		switch {
		case f.Lost:
			return Cell{V: "流失", Tone: Bad}
		case f.Alert:
			return Cell{V: dropLabel, Tone: Bad}
		case noBase:
			return Cell{V: "未判断：无去年同期数据", Tone: Warn}
		}
		return ""
	}
	yoy := func(f rules.ReviewFigures) any {
		v := pct(f.YoY)
		if f.Alert && f.YoY != nil {
			return Cell{V: v, Tone: Bad}
		}
		return v
	}
	figures := []Column{
		{Title: "本期收入", Kind: Amount}, {Title: "上期收入", Kind: Amount}, {Title: "去年同期收入", Kind: Amount},
		{Title: "环比", Kind: Percent, Width: 10}, {Title: "同比", Kind: Percent, Width: 10}, {Title: "年累计", Kind: Amount},
		{Title: "预警", Width: 22},
	}
	values := func(f rules.ReviewFigures) []any {
		return []any{f.Current, base(f.Previous, f.NoPrevious), base(f.LastYear, f.NoLastYear), pct(f.MoM), yoy(f), f.YearToDate, alert(f)}
	}

	cols := append([]Column{{Title: "客户编号"}, {Title: "客户名称", Width: 30}}, figures...)
	cols = append(cols, Column{Title: "负责单位编码"}, Column{Title: "负责单位名称", Width: 24})
	cols = append(cols, managerColumns...)
	if p.Visits != nil {
		cols = append(cols, Column{Title: "上次走访日期", Kind: Day}, Column{Title: "走访状态", Width: 10})
		b.meta.Settings = append(b.meta.Settings, Setting{Item: "走访状态",
			Text: fmt.Sprintf("截至 %s：按期、临期、超期或未走访（上门拜访、会议计入走访，间隔按等级，见分级维护）", p.VisitsAsOf),
			Key:  "maintenance.max_gap_days"})
	}
	err = b.Table("用邮分析", cols, func(add func(...any) error) error {
		for i := range p.Rows {
			r := &p.Rows[i]
			code, name := unit(r.Customer.ID)
			vals := append([]any{r.Customer.ID, r.Customer.Name}, values(r.ReviewFigures)...)
			vals = append(vals, code, name)
			vals = append(vals, names.managers(r.Customer)...)
			if p.Visits != nil {
				g := p.Visits[r.Customer.ID]
				var state any = g.State
				switch g.State {
				case rules.VisitOverdue, rules.VisitNever:
					state = Cell{V: g.State, Tone: Bad}
				case rules.VisitDueSoon:
					state = Cell{V: g.State, Tone: Warn}
				}
				vals = append(vals, g.Last, state)
			}
			if err := add(vals...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	cols = append([]Column{{Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "业务种类", Width: 12}}, figures...)
	err = b.Table("分业务", cols, func(add func(...any) error) error {
		for i := range p.Rows {
			r := &p.Rows[i]
			for _, l := range r.Lines {
				if err := add(append([]any{r.Customer.ID, r.Customer.Name, l.Line}, values(l.ReviewFigures)...)...); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = b.Table("预警", []Column{
		{Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "预警", Width: 22}, {Title: "本期收入", Kind: Amount},
		{Title: "去年同期收入", Kind: Amount}, {Title: "同比", Kind: Percent, Width: 10}, {Title: "流失业务", Width: 24},
		{Title: "负责单位编码"}, {Title: "负责单位名称", Width: 24},
	}, func(add func(...any) error) error {
		for i := range p.Rows {
			r := &p.Rows[i]
			if !r.Alert && !noBase {
				continue
			}
			var lost []string
			for _, l := range r.Lines {
				if l.Lost {
					lost = append(lost, l.Line)
				}
			}
			code, name := unit(r.Customer.ID)
			if err := add(r.Customer.ID, r.Customer.Name, alert(r.ReviewFigures), r.Current, base(r.LastYear, r.NoLastYear), yoy(r.ReviewFigures),
				strings.Join(lost, "、"), code, name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	if err := trend(b, p); err != nil {
		return nil, err
	}

	from, to := p.Month.AddMonths(-(p.Window - 1)), p.Month
	notes := [][2]string{
		{"本期", windowLabel(to, p.Window)},
		{"上期（环比基数）", windowLabel(from.AddMonths(-1), p.Window)},
		{"去年同期（同比基数）", p.LastYear()},
		{"年累计", windowLabel(to, domain.MonthsBetween(domain.NewMonth(to.Year(), 1), to)+1)},
		{"客户范围", p.Basis},
		{"预警标准", fmt.Sprintf("本期收入比去年同期下降超过 %s%%；或去年同期有收入、本期为 0 或负数（流失）", p.DropAlert)},
		{"百分比", "环比、同比以上期、去年同期收入的绝对值为基数；基数为 0 时显示 —"},
		{"金额", "元，含全部业务种类与收入单位"},
	}
	if noBase {
		notes = append(notes, [2]string{"同比预警", NoBaseWarning + "：" + p.LastYear() + " 没有导入任何收入，同比与预警无从判断（显示为空和 —），不是没有预警"})
	}
	if gaps := p.trendGaps(); len(gaps) > 0 {
		notes = append(notes, [2]string{"趋势图", strings.Join(gaps, "、") + " 没有导入收入：趋势图在这些月份断开，不画成 0"})
	}
	for _, n := range notes {
		b.Note(n[0], n[1])
	}
	return b, nil
}

// base is a comparison amount, empty when its months were never loaded (SPEC §4.6): never 0.00.
func base(m domain.Money, unknown bool) any {
	if unknown {
		return nil
	}
	return m
}

// pct is a growth cell: — when there is no base to compare with.
func pct(p *rules.Pct) any {
	if p == nil {
		return "—"
	}
	return *p
}

const trendData, trendChart = "趋势数据", "趋势图"

// trendGaps are the trend's months never loaded.
func (p ReviewPack) trendGaps() []string {
	var gaps []string
	first := p.Month.AddMonths(-(rules.TrendMonths - 1))
	for i := range rules.TrendMonths {
		if m := first.AddMonths(i); !p.loaded(m) {
			gaps = append(gaps, m.String())
		}
	}
	return gaps
}

// trend writes the largest customers' last 12 months on 趋势数据, one row per
// customer, and draws them as lines on 趋势图 (categories are the months).
func trend(b *Book, p ReviewPack) error {
	top := make([]*rules.ReviewRow, len(p.Rows))
	total := make(map[string]domain.Money, len(p.Rows))
	first := p.Month.AddMonths(-(rules.TrendMonths - 1))
	for i := range p.Rows {
		top[i] = &p.Rows[i]
		var sum domain.Sum
		for _, v := range p.Rows[i].Trend {
			sum.Add(v)
		}
		t, ok := sum.Total()
		if !ok {
			return domain.Overflowf("客户 %s %s 至 %s 的收入（趋势图按它排序）", p.Rows[i].Customer.ID, first, p.Month)
		}
		total[p.Rows[i].Customer.ID] = t
	}
	sort.SliceStable(top, func(i, j int) bool {
		a, b := top[i].Customer.ID, top[j].Customer.ID
		if total[a] != total[b] {
			return total[a] > total[b]
		}
		return a < b
	})
	top = top[:min(p.ChartTopN, len(top))]

	// The picture before its numbers. Created ahead of the data sheet because
	// moving sheets later would make excelize parse every streamed sheet.
	f := b.File()
	if err := b.ChartSheet(trendChart); err != nil {
		return err
	}
	cols := []Column{{Title: "客户编号"}, {Title: "客户名称", Width: 30}}
	for i := range rules.TrendMonths {
		cols = append(cols, Column{Title: first.AddMonths(i).String(), Kind: Amount, Width: 14})
	}
	// The chart draws the same months in 万元: no number format shows 万 in both Excel and LibreOffice.
	for i := range rules.TrendMonths {
		cols = append(cols, Column{Title: first.AddMonths(i).String() + " 万元", Kind: WanYuan, Width: 14})
	}
	err := b.Table(trendData, cols, func(add func(...any) error) error {
		for _, r := range top {
			vals := []any{r.Customer.ID, r.Customer.Name}
			for range 2 { // 元, then 万元
				for i, v := range r.Trend {
					if p.loaded(first.AddMonths(i)) {
						vals = append(vals, v)
					} else {
						vals = append(vals, nil) // a gap in the line, not a fall to 0
					}
				}
			}
			if err := add(vals...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	title := fmt.Sprintf("%s客户近 12 个月收入趋势（%s 至 %s，前 %d 名）", p.Tier.Label(), first, p.Month, len(top))
	switch {
	case len(p.Rows) == 0:
		return f.SetCellStr(trendChart, "A1", fmt.Sprintf("本期没有%s客户，无趋势图。", p.Tier.Label()))
	case len(top) == 0:
		return f.SetCellStr(trendChart, "A1", "趋势图已关闭（配置中趋势图客户数 review.chart_top_n 为 0）。")
	}
	lastCol, _ := excelize.ColumnNumberToName(2 + rules.TrendMonths)
	wanFirst, _ := excelize.ColumnNumberToName(3 + rules.TrendMonths)
	wanLast, _ := excelize.ColumnNumberToName(2 + 2*rules.TrendMonths)
	ref := "'" + trendData + "'!"
	series := make([]excelize.ChartSeries, len(top))
	for i := range top {
		row := i + 2
		series[i] = excelize.ChartSeries{
			Name:       fmt.Sprintf("%s$B$%d", ref, row),
			Categories: fmt.Sprintf("%s$C$1:$%s$1", ref, lastCol),
			Values:     fmt.Sprintf("%s$%s$%d:$%s$%d", ref, wanFirst, row, wanLast, row),
			Line:       excelize.LineOptions{Width: 2},
			Marker:     excelize.ChartMarker{Symbol: "circle", Size: 5},
		}
	}
	font := excelize.Font{Family: "微软雅黑", Size: 10, Color: "333333"}
	return f.AddChart(trendChart, "A1", &excelize.Chart{
		Type:      excelize.Line,
		Series:    series,
		Dimension: excelize.ChartDimension{Width: 1100, Height: 560},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title, Font: &excelize.Font{Family: "微软雅黑", Size: 14, Bold: true}}}},
		// Below the plot, a legend has the page's width for full customer names.
		Legend: excelize.ChartLegend{Position: "bottom", Font: &font},
		XAxis: excelize.ChartAxis{Font: font,
			Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "月份", Font: &font}}}},
		YAxis: excelize.ChartAxis{Font: font, MajorGridLines: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "#,##0.0"},
			Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "收入（万元）", Font: &font}}}},
		ShowBlanksAs: "gap",
	})
}
