package reports

import (
	"fmt"
	"sort"
	"strings"

	"kam/domain"
	"kam/rules"
)

// GradeBasis is what a quarter was graded against: the configured table (第八条) and the quarter.
type GradeBasis struct {
	Scheme  rules.GradeScheme
	Quarter domain.Quarter
	// Own picks the rows of a centre's own workbook that go on 分级结果 and
	// 汇总 (the rest of grades are its handovers, on 等级变动 only); nil: every row.
	Own func(*domain.CustomerGrade) bool
}

// Grades renders a quarter's grading (第八条, 第九条): 分级结果 (the contract
// sheet, every graded customer, with its managers), 等级变动 (the handover
// list), 汇总 (customers and revenue per responsible unit and tier) and
// 数据警告. names gives the units' and managers' names; customers are named
// from the grades themselves.
func Grades(m Meta, basis GradeBasis, grades []domain.CustomerGrade, warnings []rules.Warning, names Directory) (_ *Book, err error) {
	if m.Report == "" {
		m.Report = "大客户分级结果"
	}
	b := NewBook(m)
	b.About("分级结果", "每户一行：按季度累计收入定的级别、等级、上季等级、变动与负责单位")
	b.About("等级变动", "本季升级、降级、新进的客户，负责单位据此交接")
	b.About("汇总", "每个负责单位各等级的户数与累计收入，以及升级、降级、新进、持平户数")
	b.About("数据警告", "分级时发现的数据问题，请核实")
	bars := basis.Scheme.Bars(basis.Quarter.Q)
	b.Note("分级口径", fmt.Sprintf("%s 季末累计收入（%s 至 %s）达到本季门槛即为该级；本季门槛 = 年度门槛 × 季末进度，向上取整到分",
		basis.Quarter, domain.NewMonth(basis.Quarter.Year, 1), basis.Quarter.LastMonth()))
	b.Note("本级门槛、距升级差额", "分级结果中：客户所在级别的本季门槛；还差多少累计收入升到上一级（1 级为空）")
	var barRows [][]any
	for k := range bars {
		barRows = append(barRows, []any{k + 1, basis.Scheme.Tier(k + 1).Label(), basis.Scheme.Thresholds[k],
			basis.Scheme.Progress[basis.Quarter.Q-1], bars[k]})
	}
	b.ExplainTable(basis.Quarter.String()+" 各级门槛", []Column{{Title: "级别", Kind: Count}, {Title: "等级"},
		{Title: "年度门槛", Kind: Amount}, {Title: "季末进度", Kind: Percent}, {Title: "本季门槛", Kind: Amount}}, barRows)
	defer func() {
		if err != nil {
			b.Close() // a half-written book's temporary files go with it
		}
	}()
	unit := func(code string) string { return names.Units[code] }
	own := basis.Own
	if own == nil {
		own = func(*domain.CustomerGrade) bool { return true }
	}

	err = b.Table("分级结果", []Column{
		{Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "累计收入", Kind: Amount}, {Title: "级别", Kind: Count, Width: 8},
		{Title: "等级", Width: 8}, {Title: "上季等级", Width: 10}, {Title: "变动", Width: 8}, {Title: "负责单位编码"},
		{Title: "本级门槛", Kind: Amount}, {Title: "距升级差额", Kind: Amount}, {Title: "负责单位名称", Width: 24},
		managerColumns[0], managerColumns[1], managerColumns[2],
		{Title: "上季累计收入", Kind: Amount}, {Title: "客户类别", Width: 10},
		{Title: "主营业务"}, {Title: "属地单位编码"}, {Title: "合作状态", Width: 10},
	}, func(add func(...any) error) error {
		for i := range grades {
			g := &grades[i]
			if !own(g) {
				continue
			}
			c := &g.Customer
			var prevCum any
			if g.PrevLevel > 0 {
				prevCum = g.PrevCumulative
			}
			var bar, gap any
			if g.Level >= 1 && g.Level <= len(bars) {
				bar = bars[g.Level-1]
				if g.Level > 1 {
					v, ok := domain.Difference(bars[g.Level-2], g.Cumulative)
					if !ok {
						return domain.Overflowf("客户 %s 的距升级差额（%d 级门槛减累计收入）", c.ID, g.Level-1)
					}
					gap = v
				}
			}
			vals := append([]any{c.ID, c.Name, g.Cumulative, g.Level, g.Tier.Label(), g.PrevTier.Label(), changeCell(g.Change),
				g.Responsible, bar, gap, unit(g.Responsible)}, names.managers(*c)...)
			if err := add(append(vals, prevCum, domain.LabelOf(domain.Categories, c.Category),
				c.MainLine, c.Territory, domain.LabelOf(domain.CoopStatuses, c.Status))...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// The handover list: who changed tier and which unit now looks after them.
	changed := make([]*domain.CustomerGrade, 0)
	for i := range grades {
		if grades[i].Change != domain.ChangeSame {
			changed = append(changed, &grades[i])
		}
	}
	changeOrder := map[string]int{domain.ChangeUp: 0, domain.ChangeDown: 1, domain.ChangeNew: 2}
	sort.SliceStable(changed, func(i, j int) bool { return changeOrder[changed[i].Change] < changeOrder[changed[j].Change] })
	err = b.Table("等级变动", []Column{
		{Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "变动", Width: 8}, {Title: "上季等级", Width: 10},
		{Title: "等级", Width: 8}, {Title: "累计收入", Kind: Amount}, {Title: "原负责单位编码"}, {Title: "原负责单位名称", Width: 24},
		{Title: "新负责单位编码"}, {Title: "新负责单位名称", Width: 24}, {Title: "需交接", Width: 8},
	}, func(add func(...any) error) error {
		for _, g := range changed {
			handover := any("否")
			if g.Responsible != g.PrevResponsible {
				handover = Cell{V: "是", Tone: Warn}
			}
			if err := add(g.Customer.ID, g.Customer.Name, changeCell(g.Change), g.PrevTier.Label(), g.Tier.Label(), g.Cumulative,
				g.PrevResponsible, unit(g.PrevResponsible), g.Responsible, unit(g.Responsible), handover); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	if err := gradeSummary(b, grades, own, unit); err != nil {
		return nil, err
	}

	customerName := make(map[string]string, len(warnings))
	for _, w := range warnings {
		customerName[w.Customer] = ""
	}
	for i := range grades {
		if _, ok := customerName[grades[i].Customer.ID]; ok {
			customerName[grades[i].Customer.ID] = grades[i].Customer.Name
		}
	}
	err = b.Table("数据警告", []Column{{Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "说明", Width: 80}},
		func(add func(...any) error) error {
			for _, w := range warnings {
				if err := add(w.Customer, customerName[w.Customer], w.Message); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// changeCell colours 变动: 升级 green, 降级 red.
func changeCell(change string) any {
	switch change {
	case domain.ChangeUp:
		return Cell{V: change, Tone: Good}
	case domain.ChangeDown:
		return Cell{V: change, Tone: Bad}
	}
	return change
}

// gradeSummary writes 汇总: one row per responsible unit with its customers
// and cumulative revenue per tier and its tier changes; the city's totals go
// to 说明 (a data sheet holds no total row).
func gradeSummary(b *Book, grades []domain.CustomerGrade, own func(*domain.CustomerGrade) bool, unit func(string) string) error {
	type cell struct {
		n   int64
		sum domain.Sum
	}
	type line struct {
		tiers   [4]cell
		all     cell
		changes map[string]int64
	}
	tierIndex := map[domain.Tier]int{}
	for i, t := range domain.Tiers {
		tierIndex[t.Code] = i
	}
	byUnit := map[string]*line{}
	total := line{changes: map[string]int64{}}
	for i := range grades {
		g := &grades[i]
		if !own(g) {
			continue
		}
		l := byUnit[g.Responsible]
		if l == nil {
			l = &line{changes: map[string]int64{}}
			byUnit[g.Responsible] = l
		}
		k := tierIndex[g.Tier]
		for _, x := range []*line{l, &total} {
			x.tiers[k].n++
			x.tiers[k].sum.Add(g.Cumulative)
			x.all.n++
			x.all.sum.Add(g.Cumulative)
			x.changes[g.Change]++
		}
	}
	units := make([]string, 0, len(byUnit))
	for u := range byUnit {
		units = append(units, u)
	}
	// Customers whose unit could not be found come last.
	sort.Slice(units, func(i, j int) bool { return (units[i] != "") && (units[j] == "" || units[i] < units[j]) })
	whole := "全市"
	if b.meta.Unit != "" {
		whole = "本单位"
	}
	// Each total is checked before anything is written (SPEC §3.3), naming the first that does not fit.
	type totals struct {
		tiers [4]domain.Money
		all   domain.Money
	}
	totalOf := func(who string, l *line) (totals, error) {
		var s totals
		var ok bool
		for i, t := range domain.Tiers {
			if s.tiers[i], ok = l.tiers[i].sum.Total(); !ok {
				return s, domain.Overflowf("%s%s客户的累计收入", who, t.Label)
			}
		}
		if s.all, ok = l.all.sum.Total(); !ok {
			return s, domain.Overflowf("%s全部客户的累计收入", who)
		}
		return s, nil
	}
	figures := make(map[string]totals, len(units))
	for _, u := range units {
		who := "负责单位 " + u + " "
		if u == "" {
			who = "未能确定负责单位的"
		}
		f, err := totalOf(who, byUnit[u])
		if err != nil {
			return err
		}
		figures[u] = f
	}
	cityWho := whole
	if b.meta.Unit != "" {
		cityWho = "单位 " + b.meta.Unit + " 工作簿中"
	}
	city, err := totalOf(cityWho, &total)
	if err != nil {
		return err
	}

	changes := []string{domain.ChangeUp, domain.ChangeDown, domain.ChangeNew, domain.ChangeSame}
	cols := []Column{{Title: "负责单位编码"}, {Title: "负责单位名称", Width: 24}}
	for _, t := range domain.Tiers {
		cols = append(cols, Column{Title: t.Label + "户数", Kind: Count}, Column{Title: t.Label + "累计收入", Kind: Amount})
	}
	cols = append(cols, Column{Title: "合计户数", Kind: Count}, Column{Title: "合计累计收入", Kind: Amount})
	for _, c := range changes {
		cols = append(cols, Column{Title: c + "户数", Kind: Count})
	}
	row := func(code, name string, l *line) []any {
		f := figures[code]
		vals := []any{code, name}
		for i, c := range l.tiers {
			vals = append(vals, c.n, f.tiers[i])
		}
		vals = append(vals, l.all.n, f.all)
		for _, c := range changes {
			vals = append(vals, l.changes[c])
		}
		return vals
	}
	var perTier []string
	for i, t := range domain.Tiers {
		perTier = append(perTier, fmt.Sprintf("%s %d 户（%s 元）", t.Label, total.tiers[i].n, city.tiers[i].Yuan()))
	}
	b.Note(whole+"合计", fmt.Sprintf("%d 户，累计收入 %s 元：%s", total.all.n, city.all.Yuan(), strings.Join(perTier, "，")))
	var moved []string
	for _, c := range changes {
		moved = append(moved, fmt.Sprintf("%s %d 户", c, total.changes[c]))
	}
	b.Note(whole+"等级变动", strings.Join(moved, "，"))
	return b.Table("汇总", cols, func(add func(...any) error) error {
		for _, u := range units {
			name := unit(u)
			if u == "" {
				name = "（未能确定负责单位，见数据警告）"
			}
			if err := add(row(u, name, byUnit[u])...); err != nil {
				return err
			}
		}
		return nil
	})
}
