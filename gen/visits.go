package gen

import (
	"fmt"

	"kam/domain"
)

// Visits and the archive (分级维护, 档案管理): a customer is visited about as
// often as its size asks — the biggest every few weeks, the middling every
// two or three months, the small now and then by phone — with lapses: some
// customers are never visited, some not lately, and some agreed calls are
// never made. A few archives lack a field.

// visitRhythm is the usual days between visits for a customer of annual
// revenue (yuan), 0 for customers nobody visits on a schedule.
func visitRhythm(annual float64) (lo, hi int) {
	switch {
	case annual >= 1e6:
		return 14, 34
	case annual >= 300e3:
		return 30, 65
	case annual >= 80e3:
		return 45, 100
	}
	return 90, 200
}

var visitNotes = []string{"了解下季度用邮需求", "回访寄递服务质量", "商谈函件业务续约", "介绍速递新产品", "处理投递投诉",
	"商谈年度合作协议", "了解物流外包计划", "节日礼品寄递方案", "报刊订阅续订", "对账与收入核对"}

// visitsOf derives customer i's visits over the generated months, up to today.
func (c *crmPass) visitsOf(i int, p *profile, id *identity) []domain.Visit {
	g, w := c.g, c.g.w
	c.visitBuf = c.visitBuf[:0]
	r := newRNG(g.seed, streamVisits, uint64(i), 0)
	if !p.coop && !r.chance(0.3) {
		return nil
	}
	if r.chance(0.06) { // nobody has called on it yet
		return nil
	}
	mgr := id.managerA
	if p.coop && id.managerB >= 0 {
		mgr = id.managerB
	}
	if w.managers[mgr].Status != domain.Active {
		d := &w.districts[p.district]
		mgr = d.active[r.intn(len(d.active))]
	}
	lo, hi := visitRhythm(p.annual)
	start := g.current.AddMonths(1 - g.nMonths).First()
	stop := g.today
	if r.chance(0.2) { // the visits lapsed some weeks ago
		stop -= domain.Date(r.between(20, 120))
	}
	day := start + domain.Date(r.intn(hi))
	for day <= stop {
		v := domain.Visit{Customer: customerID(i), On: day, StaffID: w.managers[mgr].StaffID, Kind: domain.VisitOnSite}
		switch x := r.float(); {
		case x < 0.15:
			v.Kind = domain.VisitMeeting
		case x < 0.35 && hi < 60:
			v.Kind = domain.VisitPhone
		case x < 0.45:
			v.Kind = domain.VisitWeChat
		case hi >= 200 && x < 0.8:
			v.Kind = domain.VisitPhone
		case x > 0.98:
			v.Kind = domain.VisitOther
		}
		if r.chance(0.7) {
			v.Contact = personName(&r)
		}
		v.Notes = visitNotes[r.intn(len(visitNotes))]
		gap := domain.Date(r.between(lo, hi))
		if r.chance(0.5) {
			v.Next = day + domain.Date(r.between(7, 45))
			if r.chance(0.8) { // most promises are kept: the next contact comes on the day agreed
				gap = v.Next - day
			}
		}
		c.visitSeq++
		v.ID = fmt.Sprintf("ZF%08d", c.visitSeq)
		c.visitBuf = append(c.visitBuf, v)
		day += gap
	}
	return c.visitBuf
}

func (c *crmPass) visit(v domain.Visit, name string) error {
	s := c.visits
	row := s.cells
	var contact, next any
	if v.Contact != "" {
		contact = v.Contact
	}
	if v.Next != 0 {
		next = s.date(int32(v.Next))
	}
	row[0], row[1], row[2], row[3] = v.ID, v.Customer, name, s.date(int32(v.On))
	row[4], row[5], row[6], row[7], row[8] = domain.LabelOf(domain.VisitKinds, v.Kind), v.StaffID, contact, v.Notes, next
	return s.add(row)
}

var roads = []string{"人民路", "新城大道", "工业大道", "东纵路", "鸿福路", "莞太路", "环城路", "振兴路", "体育路", "科技大道"}

// archive fills customer i's archive cells (通信地址, 邮政编码, 业务联系人, 联系电话, 联系邮箱);
// about one archive in eight lacks something.
func (c *crmPass) archive(i int, p *profile, cells []any) {
	r := newRNG(c.g.seed, streamArchive, uint64(i), 0)
	t := c.g.w.districts[p.district].town
	for k := range cells {
		cells[k] = nil
	}
	gaps := r.chance(0.12)
	keep := func() bool { return !gaps || r.chance(0.5) }
	if keep() {
		cells[0] = fmt.Sprintf("东莞市%s%s%s%d号", t.Name, t.Suffix, roads[r.intn(len(roads))], r.between(1, 300))
	}
	if keep() {
		cells[1] = fmt.Sprintf("523%03d", r.between(0, 999))
	}
	if keep() {
		cells[2] = personName(&r)
	}
	if keep() {
		if r.chance(0.5) {
			cells[3] = fmt.Sprintf("0769-2%07d", r.between(0, 9999999))
		} else {
			cells[3] = fmt.Sprintf("13%d%08d", r.between(0, 9), r.between(0, 99999999))
		}
	}
	if r.chance(0.6) {
		cells[4] = fmt.Sprintf("kh%06d@example.cn", i+1)
	}
}
