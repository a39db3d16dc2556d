package gen

import (
	"context"
	"fmt"

	"kam/domain"
)

// crmPass writes customers, claims and split agreements in one walk over the
// customers, and remembers a few customers per manager for the targets.
type crmPass struct {
	g                  *generator
	customers          *sheetFile
	claims             *sheetFile
	splits             *sheetFile
	visits             *sheetFile
	claimSeq, agreeSeq int
	visitSeq           int
	visitBuf           []domain.Visit
	samples            [][]sample // per manager: customers it could set targets on
	developed          [][]int32  // per manager: customers it developed since last month began
	claimBuf           []domain.Claim
	agreeBuf           []domain.SplitAgreement
}

const samplesPerManager = 4

func (g *generator) writeCustomers(ctx context.Context) (err error) {
	c := &crmPass{g: g, samples: make([][]sample, len(g.w.managers)), developed: make([][]int32, len(g.w.managers))}
	c.customers, err = newSheetFile(g.path("customers.xlsx"), "客户清单", g.title("客户清单"),
		[]string{"客户编号", "客户名称", "统一社会信用代码", "行业", "客户类别", "主营业务", "合作状态", "战略客户", "属地单位编码", "签约单位编码", "A角工号", "B角工号",
			"通信地址", "邮政编码", "业务联系人", "联系电话", "联系邮箱"},
		[]float64{12, 40, 22, 18, 10, 10, 10, 10, 14, 14, 10, 10, 36, 10, 10, 16, 24})
	if err != nil {
		return err
	}
	c.claims, err = newSheetFile(g.path("claims.xlsx"), "项目报备", g.title("项目报备清单"),
		[]string{"申报编号", "客户编号", "客户名称", "申报单位编码", "客户经理工号", "申报日期", "确认日期", "项目类型", "开发期限月数", "开发成功日期"},
		[]float64{12, 12, 40, 14, 14, 12, 12, 10, 14, 14})
	if err != nil {
		c.customers.abort()
		return err
	}
	c.splits, err = newSheetFile(g.path("splits.xlsx"), "分成协议", "",
		[]string{"协议编号", "客户编号", "客户名称", "生效月份", "失效月份", "业务种类", "分成单位编码", "分成比例"},
		[]float64{12, 12, 40, 10, 10, 10, 14, 10})
	if err != nil {
		c.customers.abort()
		c.claims.abort()
		return err
	}
	c.visits, err = newSheetFile(g.path("visits.xlsx"), "走访记录", g.title("客户走访记录"),
		[]string{"走访编号", "客户编号", "客户名称", "走访日期", "走访方式", "客户经理工号", "联系人", "内容", "下次联系日期"},
		[]float64{12, 12, 40, 12, 10, 14, 10, 40, 14})
	if err != nil {
		c.customers.abort()
		c.claims.abort()
		c.splits.abort()
		return err
	}
	defer func() {
		if err != nil {
			c.customers.abort()
			c.claims.abort()
			c.splits.abort()
			c.visits.abort()
		}
	}()
	var p profile
	var id identity
	for i := 0; i < g.opt.Customers; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if i > 0 {
				g.progress(1024)
			}
		}
		g.profile(i, &p)
		g.identity(i, &p, &id)
		if err := c.customer(i, &p, &id); err != nil {
			return err
		}
		for _, cl := range c.claimsOf(i, &p, &id) {
			if err := c.claim(cl, id.name); err != nil {
				return err
			}
		}
		for _, a := range c.agreementsOf(i, &p, &id) {
			if err := c.agreement(a, id.name); err != nil {
				return err
			}
		}
		for _, v := range c.visitsOf(i, &p, &id) {
			if err := c.visit(v, id.name); err != nil {
				return err
			}
		}
		c.remember(i, &p, &id)
	}
	g.progress(int64(g.opt.Customers - (g.opt.Customers-1)/1024*1024))
	for _, x := range []struct {
		k domain.Kind
		s *sheetFile
	}{{domain.KindCustomers, c.customers}, {domain.KindClaims, c.claims}, {domain.KindSplits, c.splits}, {domain.KindVisits, c.visits}} {
		if err := g.finish(x.k, x.s); err != nil {
			return err
		}
	}
	g.samples, g.developed = c.samples, c.developed
	return nil
}

func (c *crmPass) customer(i int, p *profile, id *identity) error {
	w := c.g.w
	row := c.customers.cells
	cat := domain.Comprehensive
	var main any
	if p.specialized {
		cat = domain.Specialized
		main = w.lines[p.mainLine]
	}
	status := domain.Potential
	if p.coop {
		status = domain.Cooperating
	}
	strategic := "否"
	if id.strategic {
		strategic = "是"
	}
	var b any
	if id.managerB >= 0 {
		b = w.managers[id.managerB].StaffID
	}
	row[0], row[1], row[2], row[3] = customerID(i), id.name, id.creditCode, id.industry
	row[4], row[5], row[6], row[7] = domain.LabelOf(domain.Categories, cat), main, domain.LabelOf(domain.CoopStatuses, status), strategic
	row[8], row[9], row[10], row[11] = w.units[p.territory].Code, w.units[id.signing].Code, w.managers[id.managerA].StaffID, b
	c.archive(i, p, row[12:17])
	return c.customers.add(row)
}

// sample is a customer a manager holds, a candidate for the manager's targets.
type sample struct {
	customer int32
	coop     bool
}

// remember keeps the first few customers each manager holds, potential ones
// preferred, since targets are mostly about customers still being developed.
func (c *crmPass) remember(i int, p *profile, id *identity) {
	for k, m := range []int{id.managerA, id.managerB} {
		if m < 0 || k == 1 && m == id.managerA {
			continue
		}
		s := c.samples[m]
		if len(s) < samplesPerManager {
			c.samples[m] = append(s, sample{int32(i), p.coop})
			continue
		}
		if !p.coop {
			for k := range s {
				if s[k].coop {
					s[k] = sample{int32(i), false}
					break
				}
			}
		}
	}
}

// claimsOf derives customer i's development claims: most potential customers
// are being developed, a few cooperating ones have a new project; some
// customers are claimed twice at once (a conflict for the city centre).
func (c *crmPass) claimsOf(i int, p *profile, id *identity) []domain.Claim {
	g, w := c.g, c.g.w
	c.claimBuf = c.claimBuf[:0]
	r := newRNG(g.seed, streamClaims, uint64(i), 0)
	if !r.chance(ifElse(p.coop, 0.05, 0.55)) {
		return nil
	}
	d := &w.districts[p.district]
	mgr := id.managerA
	if w.managers[mgr].Status != domain.Active {
		mgr = d.active[r.intn(len(d.active))]
	}
	cl := domain.Claim{Customer: customerID(i), Unit: w.managers[mgr].Unit, Manager: w.managers[mgr].StaffID,
		Registered: g.today - domain.Date(r.between(3, 150)), Type: domain.Regular}
	if r.chance(0.85) {
		cl.Confirmed = min(g.today, cl.Registered+domain.Date(r.between(0, 10)))
	}
	if r.chance(0.25) {
		cl.Type = domain.Holiday
	}
	if r.chance(0.15) {
		cl.PeriodMonths = r.between(1, 6)
	}
	conflict := r.chance(0.06)
	if cl.Confirmed != 0 && !conflict && r.chance(ifElse(p.coop, 0.75, 0.35)) {
		months := cl.PeriodMonths
		if months == 0 {
			months = ifElse(cl.Type == domain.Holiday, 1, 2)
		}
		span := int(cl.Confirmed.AddMonthsClamped(months) - cl.Confirmed)
		// Now and then a customer is developed a little after its deadline.
		if dev := cl.Confirmed + domain.Date(r.between(3, span+20)); dev <= g.today {
			cl.Developed = dev
			if dev >= g.current.AddMonths(-1).First() {
				c.developed[mgr] = append(c.developed[mgr], int32(i))
			}
		}
	}
	c.claimBuf = append(c.claimBuf, c.numbered(cl))
	if conflict {
		other := r.pick(w.distWeight, w.distTotal)
		if other == p.district {
			other = (other + 1) % len(w.districts)
		}
		od := &w.districts[other]
		m2 := od.active[r.intn(len(od.active))]
		cl2 := domain.Claim{Customer: cl.Customer, Unit: w.managers[m2].Unit, Manager: w.managers[m2].StaffID,
			Registered: min(g.today, cl.Registered+domain.Date(r.between(1, 60))), Type: domain.Regular}
		if r.chance(0.5) {
			cl2.Confirmed = min(g.today, cl2.Registered+domain.Date(r.between(0, 5)))
		}
		c.claimBuf = append(c.claimBuf, c.numbered(cl2))
	}
	return c.claimBuf
}

func (c *crmPass) numbered(cl domain.Claim) domain.Claim {
	c.claimSeq++
	cl.ID = fmt.Sprintf("SB%07d", c.claimSeq)
	return cl
}

func (c *crmPass) claim(cl domain.Claim, name string) error {
	s := c.claims
	var period any
	if cl.PeriodMonths > 0 {
		period = cl.PeriodMonths
	}
	row := s.cells
	row[0], row[1], row[2], row[3], row[4] = cl.ID, cl.Customer, name, cl.Unit, cl.Manager
	row[5], row[6], row[7] = s.date(int32(cl.Registered)), s.date(int32(cl.Confirmed)), domain.LabelOf(domain.ProjectTypes, cl.Type)
	row[8], row[9] = period, s.date(int32(cl.Developed))
	return s.add(row)
}

// agreementsOf derives customer i's split agreements, each one of the rulebook's cases.
func (c *crmPass) agreementsOf(i int, p *profile, id *identity) []domain.SplitAgreement {
	g, w := c.g, c.g.w
	c.agreeBuf = c.agreeBuf[:0]
	if !p.coop {
		return nil
	}
	r := newRNG(g.seed, streamSplits, uint64(i), 0)
	d := &w.districts[p.district]
	a := domain.SplitAgreement{Customer: customerID(i)}
	var units []int
	switch {
	case id.signing != p.territory && r.chance(0.7):
		// 第十二条(二): signed in one place, business done in another.
		units = []int{id.signing, p.territory}
	case r.chance(0.04):
		// 第十条(二): co-developed with the professional bureau of a line.
		l := p.mainLine
		if l < 0 {
			l = r.intn(len(w.lines))
		}
		a.Line = w.lines[l]
		units = []int{p.territory, w.prof[l]}
		if r.chance(0.3) {
			units = append(units, w.center)
		}
	case p.window >= 0 && int(p.window) != p.territory && r.chance(0.25):
		// 第十条(二): a window brought the customer in and is credited for it.
		units = []int{int(p.window), d.unit}
		if r.chance(0.5) {
			a.Line = w.lines[0]
		}
	case r.chance(0.01):
		// 第十条(一): won at tender by another district, shared with the registering one.
		other := (p.district + 1 + r.intn(len(w.districts)-1)) % len(w.districts)
		units = []int{w.districts[other].unit, d.unit}
		if p.territory != d.unit {
			units = append(units, p.territory)
		}
	default:
		return nil
	}
	if units[0] == units[1] {
		return nil
	}
	a.From = g.current.AddMonths(-r.between(0, g.nMonths+6))
	if r.chance(0.3) {
		a.To = min(g.current, a.From.AddMonths(r.between(1, 12)))
	}
	a.Parties = c.parties(&r, units)
	c.agreeBuf = append(c.agreeBuf, c.agreementNumbered(a))
	if a.From < g.current && r.chance(0.2) {
		// A later agreement on the same terms' scope supersedes an open-ended one.
		a.To = 0
		c.agreeBuf[0].To = 0
		b := a
		b.From = min(g.current, a.From.AddMonths(r.between(1, 6)))
		b.Parties = c.parties(&r, units)
		c.agreeBuf = append(c.agreeBuf, c.agreementNumbered(b))
	}
	return c.agreeBuf
}

func (c *crmPass) agreementNumbered(a domain.SplitAgreement) domain.SplitAgreement {
	c.agreeSeq++
	a.ID = fmt.Sprintf("FC%06d", c.agreeSeq)
	return a
}

var twoWay = []domain.Ratio{5000, 6000, 7000, 8000, 5550, 6666}

// parties shares 100.00% among the units, in hundredths of a percent.
func (c *crmPass) parties(r *rng, units []int) []domain.SplitParty {
	ps := make([]domain.SplitParty, len(units))
	left := domain.FullRatio
	for k, u := range units {
		ps[k].Unit = c.g.w.units[u].Code
		switch rest := len(units) - k - 1; {
		case rest == 0:
			ps[k].Ratio = left
		case len(units) == 2 && r.chance(0.6):
			ps[k].Ratio = twoWay[r.intn(len(twoWay))]
		case len(units) == 3 && k == 0 && r.chance(0.3):
			ps[k].Ratio = 3333
		case len(units) == 3 && k == 1 && ps[0].Ratio == 3333:
			ps[k].Ratio = 3333
		default:
			// At least 10.00% is left for each party still to come.
			ps[k].Ratio = domain.Ratio(r.between(1000, int(left)-1000*rest))
		}
		left -= ps[k].Ratio
	}
	return ps
}

func (c *crmPass) agreement(a domain.SplitAgreement, name string) error {
	s := c.splits
	var to, line any
	if a.To != 0 {
		to = a.To.String()
	}
	if a.Line != "" {
		line = a.Line
	}
	for _, pt := range a.Parties {
		row := s.cells
		row[0], row[1], row[2], row[3], row[4], row[5] = a.ID, a.Customer, name, a.From.String(), to, line
		row[6], row[7] = pt.Unit, s.ratio(pt.Ratio)
		if err := s.add(row); err != nil {
			return err
		}
	}
	return nil
}

func ifElse[T any](cond bool, yes, no T) T {
	if cond {
		return yes
	}
	return no
}
