package jobs

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"kam/domain"
	"kam/pipeline/core"
	"kam/rules"
)

// Explanation is why a customer has its tier, its centre and its splits, as
// `kam explain` prints it; every figure comes from the same rules and the same
// grading in force as the workbooks.
type Explanation struct {
	Customer domain.Customer
	Quarter  domain.Quarter
	Span     domain.MonthSpan // the months its cumulative revenue counts (第八条)
	Revenue  []domain.Revenue // summed per month, line and booking unit over Span
	Cum      domain.Money
	Bars     [8]domain.Money // the quarter's prorated thresholds
	Tiers    [8]domain.Tier
	Level    int
	Tier     domain.Tier
	ToNext   domain.Money // what it still needs for the next level up; 0 at level 1
	// InForce is the tier and centre the jobs use (the stored grading, or the
	// grading computed now); Graded is false when that grading left it out.
	InForce       domain.Tier
	Graded        bool
	StoredGrading bool
	PrevLevel     int // 0: not graded at the previous quarter-end
	PrevTier      domain.Tier
	Centre        string
	CentreReason  string
	Names         map[string]string // unit and staff names
	ManagerA      string
	ManagerB      string
	Primary       string // the primary manager's staff id (第十一条(一))
	Agreements    []domain.SplitAgreement
	SplitMonth    domain.Month
	Splits        []ExplainedSplit
	Claims        []ExplainedClaim
	// Visits says where the customer stands on its visits today (分级维护, SPEC §4.7).
	Visits string
}

// ExplainedSplit is one revenue row of SplitMonth and its shares, to the fen.
type ExplainedSplit struct {
	Revenue domain.Revenue
	Shares  []rules.Share
}

// ExplainedClaim is one of the customer's claims with its deadline and state on the as-of day.
type ExplainedClaim struct {
	Claim    domain.Claim
	Deadline domain.Date // 0: not confirmed, so no deadline yet
	State    string
}

// Explain gathers the explanation of one customer (its id or exact name) for
// quarter period (empty: the latest complete quarter).
func Explain(ctx context.Context, a *core.App, who, period string) (*Explanation, error) {
	today := a.Today()
	p, err := quarterPeriod(period, today)
	if err != nil {
		return nil, err
	}
	q, _ := domain.ParseQuarter(p)
	c, err := lookupCustomer(ctx, a, who)
	if err != nil {
		return nil, err
	}
	scheme, err := a.GradeScheme()
	if err != nil {
		return nil, err
	}
	units, err := a.Store.Units(ctx)
	if err != nil {
		return nil, domain.Failed(err, "读取单位")
	}
	managers, err := a.Store.Managers(ctx)
	if err != nil {
		return nil, domain.Failed(err, "读取客户经理")
	}
	e := &Explanation{Customer: *c, Quarter: q, Bars: scheme.Bars(q.Q), Tiers: scheme.Tiers, Names: map[string]string{}}
	for _, u := range units {
		e.Names[u.Code] = u.Name
	}
	for _, m := range managers {
		e.Names[m.StaffID] = m.Name
	}

	cur, prev := rules.GradingSpans(q)
	e.Span = cur
	rows, err := a.Store.CustomerRevenueRows(ctx, c.ID, min(cur.From, prev.From), max(cur.To, prev.To))
	if err != nil {
		return nil, domain.Failed(err, "读取客户收入")
	}
	// Every sum is checked (SPEC §3.3): one beyond Money refuses, naming what it added.
	var cum, prevCum domain.Sum
	var cell domain.Sum // the (month, line, unit) being summed into e.Revenue's last row
	closeCell := func() error {
		if n := len(e.Revenue); n > 0 {
			last := &e.Revenue[n-1]
			var ok bool
			if last.Amount, ok = cell.Total(); !ok {
				return domain.Overflowf("客户 %s %s %s由 %s 入账的收入", c.ID, last.Month, last.Line, last.Unit)
			}
		}
		return nil
	}
	hasPrev := false
	for _, r := range rows {
		if r.Month >= cur.From && r.Month <= cur.To {
			if n := len(e.Revenue); n == 0 || e.Revenue[n-1].Month != r.Month || e.Revenue[n-1].Line != r.Line || e.Revenue[n-1].Unit != r.Unit {
				if err := closeCell(); err != nil {
					return nil, err
				}
				e.Revenue = append(e.Revenue, r)
				cell = domain.Sum{}
			}
			cell.Add(r.Amount)
			cum.Add(r.Amount)
		}
		if r.Month >= prev.From && r.Month <= prev.To {
			prevCum.Add(r.Amount)
			hasPrev = true
		}
	}
	if err := closeCell(); err != nil {
		return nil, err
	}
	var ok bool
	if e.Cum, ok = cum.Total(); !ok {
		return nil, domain.Overflowf("客户 %s %s 至 %s 的累计收入", c.ID, cur.From, cur.To)
	}
	prevTotal, ok := prevCum.Total()
	if !ok {
		return nil, domain.Overflowf("客户 %s %s 至 %s 的累计收入", c.ID, prev.From, prev.To)
	}
	e.Level = scheme.Level(e.Cum, q.Q)
	e.Tier = scheme.Tier(e.Level)
	if e.Level > 1 {
		if e.ToNext, ok = domain.Difference(e.Bars[e.Level-2], e.Cum); !ok {
			return nil, domain.Overflowf("客户 %s 的距升级差额（%d 级门槛减累计收入）", c.ID, e.Level-1)
		}
	}
	if _, err := e.monthTable(); err != nil {
		return nil, err
	}
	// Graded then as now (第八条): every 合作 customer, and any with revenue in the months counted.
	if hasPrev || c.Status == domain.Cooperating {
		e.PrevLevel = scheme.Level(prevTotal, q.Prev().Q)
		e.PrevTier = scheme.Tier(e.PrevLevel)
	}

	g, err := gradingInForceOf(ctx, a, q, *c, rows)
	if err != nil {
		return nil, err
	}
	e.StoredGrading = g.Stored
	e.InForce, e.Graded = g.Tier[c.ID]
	tier := e.InForce
	if !e.Graded {
		tier = e.Tier
	}
	e.Centre, e.CentreReason = rules.CentreReason(units, *c, tier)
	if stored := g.Responsible[c.ID]; e.Graded && stored != "" {
		e.Centre = stored
	}
	e.ManagerA, e.ManagerB = c.ManagerA, c.ManagerB
	e.Primary, _ = c.PrimaryManager()

	agreements, err := a.Store.CustomerAgreements(ctx, c.ID)
	if err != nil {
		return nil, domain.Failed(err, "读取分成协议")
	}
	e.Agreements = append(e.Agreements, agreements...)
	// The index splits a row by its own customer's agreements alone (rules.AgreementIndex.Choose).
	ix, err := rules.NewAgreementIndex(agreements)
	if err != nil {
		return nil, domain.Refusedf("%v；请更正该分成协议后重新导入", err)
	}
	// Last month's split, or the quarter's last month when a quarter was asked for.
	e.SplitMonth = today.Month().AddMonths(-1)
	if period != "" {
		e.SplitMonth = q.LastMonth()
	}
	monthRows, err := a.Store.CustomerRevenueRows(ctx, c.ID, e.SplitMonth, e.SplitMonth)
	if err != nil {
		return nil, domain.Failed(err, "读取客户收入")
	}
	for _, r := range monthRows {
		e.Splits = append(e.Splits, ExplainedSplit{Revenue: r, Shares: ix.Split(r)})
	}

	visits, err := a.Store.Visits(ctx, c.ID, today)
	if err != nil {
		return nil, domain.Failed(err, "读取走访记录")
	}
	e.Visits = visitLine(today, e.InForce, e.Graded, visits, a.MaintenanceConfig())

	claims, err := a.Store.CustomerClaims(ctx, c.ID)
	if err != nil {
		return nil, domain.Failed(err, "读取项目报备")
	}
	for _, cl := range claims {
		ec := ExplainedClaim{Claim: cl}
		deadline, confirmed := rules.Deadline(cl)
		days, overdue := rules.Overdue(cl, today)
		switch {
		case !confirmed:
			ec.State = "待市局大客户中心确认"
		case cl.Developed != 0 && cl.Developed <= today:
			ec.Deadline, ec.State = deadline, "已开发成功（"+cl.Developed.String()+"）"
		case overdue:
			ec.Deadline, ec.State = deadline, fmt.Sprintf("逾期 %d 天，列入公开竞标（第十条(一)）", days)
		default:
			ec.Deadline, ec.State = deadline, fmt.Sprintf("开发期内，还剩 %d 天", int(deadline-today))
		}
		e.Claims = append(e.Claims, ec)
	}
	return e, nil
}

// WriteText prints the explanation for a person, in Chinese.
func (e *Explanation) WriteText(w io.Writer) error {
	var b strings.Builder
	c := e.Customer
	name := func(code string) string {
		if n := e.Names[code]; n != "" {
			return code + " " + n
		}
		return code
	}
	yesNo := map[bool]string{true: "是", false: "否"}
	fmt.Fprintf(&b, "客户 %s %s\n", c.ID, c.Name)
	fmt.Fprintf(&b, "  统一社会信用代码 %s；行业 %s；类别 %s", c.CreditCode, c.Industry, domain.LabelOf(domain.Categories, c.Category))
	if c.MainLine != "" {
		fmt.Fprintf(&b, "（主营 %s）", c.MainLine)
	}
	fmt.Fprintf(&b, "；%s；战略客户 %s\n", domain.LabelOf(domain.CoopStatuses, c.Status), yesNo[c.Strategic])
	fmt.Fprintf(&b, "  属地单位 %s；签约单位 %s\n\n", name(c.Territory), name(c.Signing))

	fmt.Fprintf(&b, "%s 分级（第八条：%s 至 %s 累计全市综合收入）\n", e.Quarter, e.Span.From, e.Span.To)
	if len(e.Revenue) == 0 {
		b.WriteString("  这些月份没有收入\n")
	} else if err := e.writeMonthTable(&b); err != nil {
		return err
	}
	fmt.Fprintf(&b, "  累计收入 %s 元\n", e.Cum.Yuan())
	b.WriteString("  本季度门槛（年门槛 × 季度进度）：\n")
	for k, bar := range e.Bars {
		mark := ""
		if k+1 == e.Level {
			mark = "  ← 所在级别"
		}
		fmt.Fprintf(&b, "    %d 级 %s  ≥ %16s 元%s\n", k+1, e.Tiers[k].Label(), bar.Yuan(), mark)
	}
	fmt.Fprintf(&b, "  级别 %d，等级 %s", e.Level, e.Tier.Label())
	if e.Level > 1 {
		fmt.Fprintf(&b, "；距升级差额 %s 元（升到 %d 级）", e.ToNext.Yuan(), e.Level-1)
	}
	b.WriteString("\n")
	if e.PrevLevel > 0 {
		fmt.Fprintf(&b, "  上季（%s）级别 %d，等级 %s\n", e.Quarter.Prev(), e.PrevLevel, e.PrevTier.Label())
	} else {
		fmt.Fprintf(&b, "  上季（%s）未分级（潜在客户且没有收入）：本季为新进\n", e.Quarter.Prev())
	}
	source := "按当前数据计算的分级（尚未存档）"
	if e.StoredGrading {
		source = "已存档的分级结果"
	}
	switch {
	case !e.Graded:
		fmt.Fprintf(&b, "  %s中没有该客户（潜在客户且没有收入时不分级）\n", source)
	case e.InForce != e.Tier:
		fmt.Fprintf(&b, "  各报表使用%s：%s（存档后数据有变动，重新运行 kam run grade --period %s 可更新）\n", source, e.InForce.Label(), e.Quarter)
	default:
		fmt.Fprintf(&b, "  各报表使用%s：%s\n", source, e.InForce.Label())
	}
	b.WriteString("\n负责单位（第九条）\n")
	if e.Centre != "" {
		fmt.Fprintf(&b, "  %s：%s\n", name(e.Centre), e.CentreReason)
	} else {
		fmt.Fprintf(&b, "  无法确定：%s\n", e.CentreReason)
	}

	b.WriteString("\n客户经理（第十一条(一) 主辅制：开发时 A 角为主，合作后 B 角为主）\n")
	role := func(id string) string {
		if id == "" {
			return "（未指定）"
		}
		if id == e.Primary {
			return name(id) + "  主维护"
		}
		return name(id) + "  辅助"
	}
	fmt.Fprintf(&b, "  A 角 %s\n  B 角 %s\n", role(e.ManagerA), role(e.ManagerB))
	fmt.Fprintf(&b, "\n走访（分级维护）\n  %s\n", e.Visits)

	b.WriteString("\n分成协议（第十条、第十二条(二)(四)）\n")
	if len(e.Agreements) == 0 {
		b.WriteString("  没有分成协议：收入全部归入账单位\n")
	}
	for _, ag := range e.Agreements {
		to := "长期"
		if ag.To != 0 {
			to = ag.To.String()
		}
		line := ag.Line
		if line == "" {
			line = "全部业务"
		}
		var parties []string
		for _, p := range ag.Parties {
			parties = append(parties, fmt.Sprintf("%s %s%%", name(p.Unit), p.Ratio))
		}
		fmt.Fprintf(&b, "  %s  %s 至 %s  %s：%s\n", ag.ID, ag.From, to, line, strings.Join(parties, "，"))
	}
	fmt.Fprintf(&b, "  %s 收入分成（精确到分）：\n", e.SplitMonth)
	if len(e.Splits) == 0 {
		b.WriteString("    该月没有收入\n")
	}
	for _, s := range e.Splits {
		agreement := "无协议"
		if len(s.Shares) > 0 && s.Shares[0].Agreement != "" {
			agreement = "协议 " + s.Shares[0].Agreement
		}
		fmt.Fprintf(&b, "    %s 入账 %s %s 元（%s）\n", s.Revenue.Line, name(s.Revenue.Unit), s.Revenue.Amount.Yuan(), agreement)
		for _, sh := range s.Shares {
			fmt.Fprintf(&b, "      → %s %7s%%  %14s 元\n", padCJK(name(sh.Unit), 34), sh.Ratio, sh.Amount.Yuan())
		}
	}

	b.WriteString("\n项目报备（第十一条(二)）\n")
	if len(e.Claims) == 0 {
		b.WriteString("  没有项目报备\n")
	}
	slices.SortFunc(e.Claims, func(x, y ExplainedClaim) int { return strings.Compare(x.Claim.ID, y.Claim.ID) })
	for _, cl := range e.Claims {
		deadline := "—"
		if cl.Deadline != 0 {
			deadline = cl.Deadline.String()
		}
		fmt.Fprintf(&b, "  %s  %s 申报 %s，经理 %s，确认 %s，截止 %s：%s\n", cl.Claim.ID, name(cl.Claim.Unit), cl.Claim.Registered,
			name(cl.Claim.Manager), dateOrDash(cl.Claim.Confirmed), deadline, cl.State)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// monthTable is the revenue over Span as months × business lines, each
// month's total beside them, every sum checked.
type monthTable struct {
	lines  []string
	cell   map[domain.Month]map[string]domain.Money
	totals map[domain.Month]domain.Money
}

func (e *Explanation) monthTable() (monthTable, error) {
	t := monthTable{cell: map[domain.Month]map[string]domain.Money{}, totals: map[domain.Month]domain.Money{}}
	cells := map[domain.Month]map[string]*domain.Sum{}
	totals := map[domain.Month]*domain.Sum{}
	for _, r := range e.Revenue {
		if !slices.Contains(t.lines, r.Line) {
			t.lines = append(t.lines, r.Line)
		}
		if cells[r.Month] == nil {
			cells[r.Month], totals[r.Month] = map[string]*domain.Sum{}, new(domain.Sum)
		}
		if cells[r.Month][r.Line] == nil {
			cells[r.Month][r.Line] = new(domain.Sum)
		}
		cells[r.Month][r.Line].Add(r.Amount)
		totals[r.Month].Add(r.Amount)
	}
	slices.Sort(t.lines)
	for m := e.Span.From; m <= e.Span.To; m = m.AddMonths(1) {
		if cells[m] == nil {
			continue
		}
		t.cell[m] = map[string]domain.Money{}
		for _, l := range t.lines {
			if s := cells[m][l]; s != nil {
				v, ok := s.Total()
				if !ok {
					return t, domain.Overflowf("客户 %s %s %s的收入", e.Customer.ID, m, l)
				}
				t.cell[m][l] = v
			}
		}
		v, ok := totals[m].Total()
		if !ok {
			return t, domain.Overflowf("客户 %s %s 各业务种类的收入", e.Customer.ID, m)
		}
		t.totals[m] = v
	}
	return t, nil
}

// writeMonthTable prints the revenue over Span as months × business lines, in yuan.
func (e *Explanation) writeMonthTable(b *strings.Builder) error {
	t, err := e.monthTable()
	if err != nil {
		return err
	}
	const w = 14
	b.WriteString("  " + padCJK("月份", 8))
	for _, l := range t.lines {
		b.WriteString(padLeftCJK(l, w))
	}
	b.WriteString(padLeftCJK("合计", w) + "\n")
	for m := e.Span.From; m <= e.Span.To; m = m.AddMonths(1) {
		b.WriteString("  " + padCJK(m.String(), 8))
		for _, l := range t.lines {
			v, ok := t.cell[m][l]
			if !ok {
				b.WriteString(padLeftCJK("—", w))
				continue
			}
			b.WriteString(padLeftCJK(v.Yuan(), w))
		}
		b.WriteString(padLeftCJK(t.totals[m].Yuan(), w) + "\n")
	}
	return nil
}

// widthCJK is s's width on a terminal, a CJK character taking two columns.
func widthCJK(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x2E80 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func padCJK(s string, w int) string     { return s + strings.Repeat(" ", max(0, w-widthCJK(s))) }
func padLeftCJK(s string, w int) string { return strings.Repeat(" ", max(1, w-widthCJK(s))) + s }

func dateOrDash(d domain.Date) string {
	if d == 0 {
		return "—"
	}
	return d.String()
}

// lookupCustomer is findCustomer against the store: an id is one seek of the
// customers' primary key; only a name, or an id no customer has, reads the
// whole list to search it.
func lookupCustomer(ctx context.Context, a *core.App, who string) (*domain.Customer, error) {
	if id, err := domain.ParseCustomerID(who); err == nil {
		c, found, err := a.Store.Customer(ctx, id)
		if err != nil {
			return nil, domain.Failed(err, "读取客户资料")
		}
		if found {
			return &c, nil
		}
	}
	customers, err := a.Store.Customers(ctx)
	if err != nil {
		return nil, domain.Failed(err, "读取客户资料")
	}
	return findCustomer(customers, who)
}

// candidatesListed is how many customers a search that matches several lists.
const candidatesListed = 20

// findCustomer is the customer who names: its id in any case or width
// (kh0000001, ＫＨ０００００００１), its full name, or failing both the one
// customer whose id or name holds who; several are listed for the user to
// choose by id.
func findCustomer(customers []domain.Customer, who string) (*domain.Customer, error) {
	// An id is read as the store holds it (SPEC §3.3): kh0000001 is KH0000001.
	if id, err := domain.ParseCustomerID(who); err == nil {
		for i := range customers {
			if customers[i].ID == id {
				return &customers[i], nil
			}
		}
	}
	key := strings.ToUpper(strings.TrimSpace(domain.NormalForm(who)))
	if key == "" {
		return nil, domain.Usagef("请输入客户编号或客户名称")
	}
	name := func(c *domain.Customer) string { return strings.ToUpper(domain.NormalForm(c.Name)) }
	var exact, partial []*domain.Customer
	for i := range customers {
		c := &customers[i]
		switch n := name(c); {
		case n == key:
			exact = append(exact, c)
		case strings.Contains(n, key) || strings.Contains(c.ID, key):
			partial = append(partial, c)
		}
	}
	found := exact
	if len(found) == 0 {
		found = partial
	}
	switch len(found) {
	case 0:
		return nil, domain.Usagef("没有找到客户「%s」：请输入客户编号、客户名称或名称中的几个字", who)
	case 1:
		return found[0], nil
	}
	lines := make([]string, 0, min(len(found), candidatesListed))
	for _, c := range found[:min(len(found), candidatesListed)] {
		lines = append(lines, "  "+c.ID+"  "+c.Name)
	}
	more := ""
	if len(found) > candidatesListed {
		more = fmt.Sprintf("\n  ……共 %d 户，请把名称写得更完整", len(found))
	}
	return nil, domain.Usagef("有 %d 户客户与「%s」相符，请用客户编号指定其中一户：\n%s%s", len(found), who, strings.Join(lines, "\n"), more)
}
