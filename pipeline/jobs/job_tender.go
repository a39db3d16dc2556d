package jobs

import (
	"context"
	"fmt"
	"io"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/mail"
	"kam/reports"
	"kam/rules"
	"kam/store"
)

var tenderJob = Job{
	Name: "tender", Title: "竞标公告", Period: Daily,
	ScheduleKey: "tender", RecipientsKey: "tender", DefaultSchedule: "30 7 * * *",
	Share: "它的单位登记的申报（含临期）；有新增逾期时，全市的竞标公告发给每个单位",
	KeyFigure: func(c map[string]int64) (string, bool) {
		switch {
		case !has(c, "new", "due_soon"):
			return "", false
		case c["new"] == 0 && c["due_soon"] == 0 && c["unconfirmed"]+c["conflicts"] > 0:
			return fmt.Sprintf("待确认 %d 项，争议 %d 项", c["unconfirmed"], c["conflicts"]), true
		}
		return fmt.Sprintf("新增逾期 %d 项，临期 %d 项", c["new"], c["due_soon"]), true
	},
	// A unit hears of its claims only when one needs it: newly overdue, 临期, 待确认 or 争议;
	// the public announcement goes to every unit only when a claim is newly overdue.
	MailPart:   anyOf("new", "due_soon", "unconfirmed", "conflicts"),
	MailShared: func(c map[string]int64) bool { return c["new"] > 0 },
	Run:        runTender,
}

// runTender writes the public tender announcement for one as-of day
// (第十条(一), 第十一条(二), 第十二条(六)) and records which claims it listed.
func runTender(ctx context.Context, a *core.App, period string, _ domain.Date, out *Output) error {
	// The period is the as-of day, whether it came from --as-of or --period.
	asOf, err := domain.ParseDate(period)
	if err != nil {
		return domain.Usagef("--period: %v", err)
	}
	claims, err := a.Store.Claims(ctx)
	if err != nil {
		return domain.Failed(err, "读取项目报备")
	}
	if len(claims) == 0 {
		return domain.Refusedf("还没有导入任何项目报备，无法生成 %s 竞标公告；请先导入项目报备", asOf)
	}
	// 新增 is what no earlier day announced: a rerun of the same day keeps its marks.
	first, err := a.Store.FirstAnnounced(ctx, asOf)
	if err != nil {
		return err
	}
	announced := make(map[string]bool, len(first))
	for id := range first {
		announced[id] = true
	}
	names, err := nameDirectory(ctx, a)
	if err != nil {
		return err
	}
	cfg := rules.TenderConfig{
		DueSoonDays:     a.Cfg.Claims.DueSoonDays,
		UnconfirmedDays: a.Cfg.Claims.UnconfirmedDays,
		ManagerCap:      a.Cfg.Claims.ManagerCap,
	}
	r := rules.Tender(rules.TenderInput{AsOf: asOf, Claims: claims, Announced: announced, Config: cfg})
	// Units bid within claims.bid_days of a claim's first announcement: today's for a new one.
	terms := reports.TenderTerms{BidDays: a.Cfg.Claims.BidDays, Contact: a.Cfg.Claims.TenderContact, BidBy: map[string]domain.Date{}}
	for _, o := range r.Overdue {
		from, ok := first[o.Claim.ID]
		if !ok {
			from = asOf
		}
		terms.BidBy[o.Claim.ID] = from + domain.Date(a.Cfg.Claims.BidDays) // a Date counts days
	}

	meta := reportMeta(a, ctx, out, reads{kinds: []domain.Kind{domain.KindClaims, domain.KindCustomers, domain.KindUnits, domain.KindManagers}},
		reports.Setting{Item: "临期", Text: fmt.Sprintf("开发截止日期前 %d 天内", cfg.DueSoonDays), Key: "claims.due_soon_days"},
		reports.Setting{Item: "待确认", Text: fmt.Sprintf("申报后超过 %d 天未确认", cfg.UnconfirmedDays), Key: "claims.unconfirmed_days"})
	// The announcement is public (电子发文公告): every unit with a mailbox gets it,
	// beside its own workbook of the claims its units registered (临期 and the rest).
	units, err := a.Store.Units(ctx)
	if err != nil {
		return err
	}
	parts := unitParts(a, units)
	newCount := countNew(r.Overdue)
	notice := ""
	if newCount > 0 {
		notice = fmt.Sprintf("；全市公告 %d 项见附件 tender-notice", len(r.Overdue))
	}
	// The city's workbook is built and written on one core while the units' take the other.
	city := func() error {
		book, err := reports.Tender(meta, r, cfg.ManagerCap, terms, names)
		if err != nil {
			return err
		}
		if err := out.AddFile("tender_"+period+".xlsx", func(w io.Writer) error { _, err := book.WriteTo(w); return err }); err != nil {
			return err
		}
		if len(parts) == 0 {
			return nil
		}
		notice, err := reports.TenderNotice(meta, r, terms, names)
		if err != nil {
			return err
		}
		return out.AddSharedFile("tender-notice_"+period+".xlsx", func(w io.Writer) error { _, err := notice.WriteTo(w); return err })
	}
	err = beside(city, func() error {
		return writeParts(out, parts, "tender_"+period, func(p *UnitPart) (*reports.Book, error) {
			mine := rules.NewScope(units, p.Unit.Code).Tender(r)
			p.Act = tenderActions(mine, names)
			p.Count("new", int64(countNew(mine.Overdue)))
			p.Count("due_soon", int64(len(mine.DueSoon)))
			p.Count("unconfirmed", int64(len(mine.Unconfirmed)))
			p.Count("conflicts", int64(len(mine.Conflicts)))
			p.Headline = fmt.Sprintf("%s：本单位申报逾期转公开竞标 %d 项（新增 %d 项），临期 %d 项，待确认 %d 项，争议 %d 项，超额 %d 项%s",
				p.label(), len(mine.Overdue), countNew(mine.Overdue), len(mine.DueSoon), len(mine.Unconfirmed), len(mine.Conflicts), len(mine.OverCap), notice)
			return reports.Tender(unitMeta(a, meta, p, "只含本单位（镇区局含其营投班组、营业窗口）申报的项目；全市竞标公告是公开公告，另附 tender-notice 工作簿"),
				mine, cfg.ManagerCap, terms, names)
		})
	})
	if err != nil {
		return err
	}

	listed := make([]string, len(r.Overdue))
	for i, o := range r.Overdue {
		listed[i] = o.Claim.ID
	}
	out.OnPublish(func(tx *store.Tx) error { return tx.RecordAnnouncement(asOf, out.RunID, listed) })
	out.Act = tenderActions(r, names)
	// A unit with no claim of its own at stake is mailed the public announcement alone.
	out.Notice = Notice{
		Headline: fmt.Sprintf("全市新增逾期 %d 项，已转公开竞标（公告共 %d 项，见附件 tender-notice）；本单位没有新增逾期、临期、待确认或争议的申报",
			newCount, len(r.Overdue)),
		Figure: fmt.Sprintf("全市新增逾期 %d 项，公开竞标", newCount),
		Act:    tenderActions(rules.TenderResult{Overdue: r.Overdue}, names),
	}
	out.Notice.Act.Caption = "全市新增逾期、已转公开竞标的申报（公开公告，各单位均可参与竞标）"

	out.Count("overdue", int64(len(r.Overdue)))
	out.Count("new", int64(newCount))
	out.Count("due_soon", int64(len(r.DueSoon)))
	out.Count("unconfirmed", int64(len(r.Unconfirmed)))
	out.Count("conflicts", int64(len(r.Conflicts)))
	out.Count("over_cap", int64(len(r.OverCap)))
	out.Headline = fmt.Sprintf("逾期 %d 项（新增 %d 项），临期 %d 项，待确认 %d 项，争议 %d 项，超额 %d 项",
		len(r.Overdue), newCount, len(r.DueSoon), len(r.Unconfirmed), len(r.Conflicts), len(r.OverCap))
	return nil
}

// countNew counts the claims no earlier announcement listed (新增).
func countNew(overdue []rules.OverdueClaim) int {
	n := 0
	for _, o := range overdue {
		if o.New {
			n++
		}
	}
	return n
}

// nameDirectory reads the names a report shows beside customer, unit and manager codes.
func nameDirectory(ctx context.Context, a *core.App) (reports.Directory, error) {
	customers, err := a.Store.Customers(ctx)
	if err != nil {
		return reports.Directory{}, err
	}
	units, err := a.Store.Units(ctx)
	if err != nil {
		return reports.Directory{}, err
	}
	managers, err := a.Store.Managers(ctx)
	if err != nil {
		return reports.Directory{}, err
	}
	return directoryOf(customers, units, managers), nil
}

// directoryOf indexes the names of customers, units and managers by their codes.
func directoryOf(customers []domain.Customer, units []domain.Unit, managers []domain.Manager) reports.Directory {
	d := reports.Directory{
		Customers: make(map[string]string, len(customers)),
		Units:     make(map[string]string, len(units)),
		Managers:  make(map[string]string, len(managers)),
	}
	for _, c := range customers {
		d.Customers[c.ID] = c.Name
	}
	for _, u := range units {
		d.Units[u.Code] = u.Name
	}
	for _, m := range managers {
		d.Managers[m.StaffID] = m.Name
	}
	return d
}

// tenderActions lists every newly overdue claim (now open to tender) and every 临期 claim.
func tenderActions(r rules.TenderResult, names reports.Directory) *mail.Table {
	t := &mail.Table{Caption: "需要处理的申报：新增逾期（已转公开竞标）与临期（请抓紧开发）",
		Head:  []string{"情况", "申报编号", "客户编号", "客户名称", "申报单位", "客户经理", "开发截止日期", "天数"},
		Empty: "本次没有新增逾期或临期的申报。"}
	for _, o := range r.Overdue {
		if o.New {
			c := o.Claim
			t.Rows = append(t.Rows, []string{"新增逾期", c.ID, c.Customer, names.Customers[c.Customer], unitNamed(names, c.Unit), managerNamed(names, c.Manager),
				o.Deadline.String(), fmt.Sprintf("逾期 %d 天", o.DaysOverdue)})
		}
	}
	for _, d := range r.DueSoon {
		c := d.Claim
		t.Rows = append(t.Rows, []string{"临期", c.ID, c.Customer, names.Customers[c.Customer], unitNamed(names, c.Unit), managerNamed(names, c.Manager),
			d.Deadline.String(), fmt.Sprintf("剩 %d 天", d.DaysLeft)})
	}
	return t
}
