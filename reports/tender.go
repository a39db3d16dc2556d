package reports

import (
	"fmt"

	"kam/domain"
	"kam/rules"
)

// Directory names the codes a report lists: customers, units and managers by
// id; a code it does not know is shown with an empty name.
type Directory struct {
	Customers map[string]string // customer id → 客户名称
	Units     map[string]string // unit code → 单位名称
	Managers  map[string]string // staff id → 姓名
}

// TenderTerms are how the units bid for a claim opened to tender (第十条(一)):
// by when, and to whom.
type TenderTerms struct {
	BidDays int                    // from a claim's first announcement
	BidBy   map[string]domain.Date // each listed claim's 竞标截止日期
	Contact string
}

// note puts the terms in 说明: the procedure the rulebook sets, the deadline and the contact.
func (t TenderTerms) note(b *Book) {
	b.meta.Settings = append(b.meta.Settings,
		Setting{Item: "竞标办法", Text: "过了开发期限仍未开发成功的申报，客户转为公开竞标（第十条(一)）：邮政内部各营销单位（专业局、镇区局及其营投班组、营业窗口）均可参与；" +
			"竞标单位在竞标截止日期前向联系人提交开发方案，写明开发成功后本单位与原申报单位的收入分成比例；市局大客户中心确定开发单位后，" +
			"开发单位按项目报备办理，双方商定的分成比例作为分成协议导入。"},
		Setting{Item: "竞标截止日期", Text: fmt.Sprintf("首次公告之日起 %d 天，每个项目见“竞标截止日期”列", t.BidDays), Key: "claims.bid_days"},
		Setting{Item: "联系人", Text: t.Contact, Key: "claims.tender_contact"})
}

// Tender renders the public tender announcement (电子公告, 第十条(一)) of one
// as-of day: 竞标公告 (the contract sheet), 临期, 待确认, 争议 and 超额.
// managerCap is the configured number of open claims one manager may hold.
func Tender(m Meta, r rules.TenderResult, managerCap int, terms TenderTerms, names Directory) (_ *Book, err error) {
	if m.Report == "" {
		m.Report = "开发申报竞标公告"
	}
	b := NewBook(m)
	b.About("竞标公告", "过了开发截止日期仍未开发成功的申报，客户转为公开竞标；新增 = 本次首次公告")
	b.About("临期", "即将到开发截止日期的申报，申报单位应抓紧开发")
	b.About("待确认", "已申报、尚未确认的申报")
	b.About("争议", "同一客户有多家单位申报，待裁定")
	b.About("超额", "客户经理名下在途申报超过上限")
	b.meta.Settings = append(b.meta.Settings, Setting{Item: "每名客户经理在途申报上限", Text: fmt.Sprint(managerCap), Key: "claims.manager_cap"})
	terms.note(b)
	defer func() {
		if err != nil {
			b.Close() // a half-written book's temporary files go with it
		}
	}()
	typeLabel := func(c domain.Claim) string { return domain.LabelOf(domain.ProjectTypes, c.Type) }

	if err = announcement(b, r, terms, names); err != nil {
		return nil, err
	}

	err = b.Table("临期", []Column{
		{Title: "申报编号"}, {Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "申报单位编码"},
		{Title: "申报单位名称", Width: 24}, {Title: "客户经理工号"}, {Title: "客户经理姓名"},
		{Title: "确认日期", Kind: Day}, {Title: "开发截止日期", Kind: Day}, {Title: "剩余天数", Kind: Count}, {Title: "项目类型", Width: 10},
	}, func(add func(...any) error) error {
		for _, d := range r.DueSoon {
			c := d.Claim
			var left any = d.DaysLeft
			if d.DaysLeft == 0 {
				left = Cell{V: 0, Tone: Warn} // the deadline is today: the last day in time
			}
			if err := add(c.ID, c.Customer, names.Customers[c.Customer], c.Unit, names.Units[c.Unit], c.Manager,
				names.Managers[c.Manager], c.Confirmed, d.Deadline, left, typeLabel(c)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = b.Table("待确认", []Column{
		{Title: "申报编号"}, {Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "申报单位编码"},
		{Title: "申报单位名称", Width: 24}, {Title: "客户经理工号"}, {Title: "客户经理姓名"},
		{Title: "申报日期", Kind: Day}, {Title: "等待天数", Kind: Count}, {Title: "项目类型", Width: 10},
	}, func(add func(...any) error) error {
		for _, p := range r.Unconfirmed {
			c := p.Claim
			if err := add(c.ID, c.Customer, names.Customers[c.Customer], c.Unit, names.Units[c.Unit], c.Manager,
				names.Managers[c.Manager], c.Registered, p.DaysWaiting, typeLabel(c)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = b.Table("争议", []Column{
		{Title: "客户编号"}, {Title: "客户名称", Width: 30},
		{Title: "申报编号"}, {Title: "申报单位编码"}, {Title: "客户经理工号"}, {Title: "申报日期", Kind: Day},
		{Title: "在先申报编号"}, {Title: "在先申报单位编码"}, {Title: "在先客户经理工号"}, {Title: "在先申报日期", Kind: Day},
		{Title: "在先确认日期", Kind: Day},
	}, func(add func(...any) error) error {
		for _, x := range r.Conflicts {
			c, h := x.Claim, x.Holder
			if err := add(c.Customer, names.Customers[c.Customer], c.ID, c.Unit, c.Manager, c.Registered,
				h.ID, h.Unit, h.Manager, h.Registered, h.Confirmed); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = b.Table("超额", []Column{
		{Title: "客户经理工号"}, {Title: "客户经理姓名"}, {Title: "在办项目数", Kind: Count}, {Title: "上限", Kind: Count},
		{Title: "第几项", Kind: Count}, {Title: "申报编号"}, {Title: "客户编号"}, {Title: "客户名称", Width: 30},
		{Title: "申报单位编码"}, {Title: "申报日期", Kind: Day},
	}, func(add func(...any) error) error {
		for _, x := range r.OverCap {
			c := x.Claim
			if err := add(c.Manager, names.Managers[c.Manager], x.Open, managerCap, x.Rank, c.ID, c.Customer,
				names.Customers[c.Customer], c.Unit, c.Registered); err != nil {
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

// TenderNotice renders the public announcement alone (电子发文公告, 第十条(一)):
// 竞标公告, every overdue claim, for every unit to read; the other sheets of
// the tender workbook are the registering units' own.
func TenderNotice(m Meta, r rules.TenderResult, terms TenderTerms, names Directory) (_ *Book, err error) {
	if m.Report == "" {
		m.Report = "开发申报竞标公告（公开）"
	}
	b := NewBook(m)
	b.About("竞标公告", "过了开发截止日期仍未开发成功的申报，客户转为公开竞标，各单位均可参与；新增 = 本次首次公告；竞标办法、竞标截止日期与联系人见“说明”")
	terms.note(b)
	if err := announcement(b, r, terms, names); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// announcement writes 竞标公告: every overdue claim, newly overdue ones marked 新增.
func announcement(b *Book, r rules.TenderResult, terms TenderTerms, names Directory) error {
	typeLabel := func(c domain.Claim) string { return domain.LabelOf(domain.ProjectTypes, c.Type) }
	return b.Table("竞标公告", []Column{
		{Title: "申报编号"}, {Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "申报单位编码"},
		{Title: "客户经理工号"}, {Title: "确认日期", Kind: Day}, {Title: "开发截止日期", Kind: Day},
		{Title: "逾期天数", Kind: Count}, {Title: "新增", Width: 8}, {Title: "竞标截止日期", Kind: Day},
		{Title: "申报单位名称", Width: 24}, {Title: "客户经理姓名"}, {Title: "项目类型", Width: 10},
	}, func(add func(...any) error) error {
		for _, o := range r.Overdue {
			c := o.Claim
			var isNew any = "否"
			if o.New {
				isNew = Cell{V: "是", Tone: Bad}
			}
			if err := add(c.ID, c.Customer, names.Customers[c.Customer], c.Unit, c.Manager, c.Confirmed, o.Deadline,
				o.DaysOverdue, isNew, terms.BidBy[c.ID], names.Units[c.Unit], names.Managers[c.Manager], typeLabel(c)); err != nil {
				return err
			}
		}
		return nil
	})
}

// managerColumns are who looks after a customer (第十一条(一)): the meetings
// that go through 分级结果 and 用邮分析 assign follow-ups by them.
var managerColumns = []Column{{Title: "主维护客户经理工号"}, {Title: "主维护客户经理", Width: 10}, {Title: "辅助客户经理", Width: 10}}

// managers are c's managerColumns: the primary's staff id and name, the
// assisting one's name (its staff id when the roster does not know it).
func (d Directory) managers(c domain.Customer) []any {
	primary, assisting := c.Maintainers()
	name := func(id string) any {
		if id == "" {
			return nil
		}
		if n := d.Managers[id]; n != "" {
			return n
		}
		return Cell{V: id + "（工号未登记）", Tone: Warn}
	}
	var id any
	if primary != "" {
		id = primary
	}
	return []any{id, name(primary), name(assisting)}
}
