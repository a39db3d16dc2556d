package reports

import (
	"kam/domain"
	"kam/rules"
)

// Roster renders the account-manager roster (第十一条(一), 第十二条(七)):
// 客户经理 (the contract sheet) and one sheet per flag — 无B角, A等于B,
// 离职待交接, 集中度, 目标未报, 目标达成. revenue is each customer's revenue
// in the roster's month.
func Roster(m Meta, r rules.RosterResult, revenue map[string]domain.Money, names Directory) (_ *Book, err error) {
	if m.Report == "" {
		m.Report = "客户经理名册"
	}
	b := NewBook(m)
	b.About("客户经理", "每名客户经理一行：主维护、辅助客户数与主维护收入")
	b.About("无B角", "没有辅助客户经理（B角）的客户")
	b.About("A等于B", "主维护与辅助客户经理是同一人的客户")
	b.About("离职待交接", "已离职客户经理名下仍挂着的客户，负责单位应尽快交接")
	b.About("集中度", "一名客户经理的主维护收入占其负责单位收入的比例过高")
	b.About("目标未报", "未报下月开发目标的客户经理")
	b.About("目标达成", "上月报的开发目标中已开发成功的项目")
	defer func() {
		if err != nil {
			b.Close() // a half-written book's temporary files go with it
		}
	}()
	status := func(c domain.Customer) string { return domain.LabelOf(domain.CoopStatuses, c.Status) }

	err = b.Table("客户经理", []Column{
		{Title: "工号"}, {Title: "姓名"}, {Title: "主维护客户数", Kind: Count}, {Title: "辅助客户数", Kind: Count},
		{Title: "主维护收入", Kind: Amount}, {Title: "所属单位编码"}, {Title: "所属单位", Width: 24}, {Title: "状态", Width: 10},
		{Title: "辅助收入", Kind: Amount}, {Title: "下月目标数", Kind: Count}, {Title: "上月目标数", Kind: Count},
		{Title: "上月目标达成数", Kind: Count},
	}, func(add func(...any) error) error {
		for _, m := range r.Managers {
			var st any = domain.LabelOf(domain.ManagerStatuses, m.Manager.Status)
			switch {
			case !m.Known:
				st = Cell{V: "工号未登记", Tone: Bad}
			case m.Manager.Status == domain.Departed && len(m.Primary)+len(m.Assisting) > 0:
				st = Cell{V: st, Tone: Warn}
			}
			if err := add(m.Manager.StaffID, m.Manager.Name, len(m.Primary), len(m.Assisting), m.PrimaryRevenue,
				m.Manager.Unit, names.Units[m.Manager.Unit], st, m.AssistingRevenue,
				m.NextMonthTargets, m.LastMonthTargets, m.LastMonthDeveloped); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	customerSheet := func(sheet string, list []domain.Customer) error {
		return b.Table(sheet, []Column{
			{Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "合作状态", Width: 10}, {Title: "属地单位编码"},
			{Title: "A角工号"}, {Title: "A角姓名"}, {Title: "B角工号"}, {Title: "B角姓名"}, {Title: "本期收入", Kind: Amount},
		}, func(add func(...any) error) error {
			for _, c := range list {
				if err := add(c.ID, c.Name, status(c), c.Territory, c.ManagerA, names.Managers[c.ManagerA],
					c.ManagerB, names.Managers[c.ManagerB], revenue[c.ID]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err = customerSheet("无B角", r.NoB); err != nil {
		return nil, err
	}
	if err = customerSheet("A等于B", r.SameAB); err != nil {
		return nil, err
	}

	err = b.Table("离职待交接", []Column{
		{Title: "客户经理工号"}, {Title: "客户经理姓名"}, {Title: "状态", Width: 12}, {Title: "客户编号"}, {Title: "客户名称", Width: 30},
		{Title: "合作状态", Width: 10}, {Title: "角色", Width: 8}, {Title: "主维护", Width: 8},
		{Title: "负责单位编码"}, {Title: "负责单位", Width: 24}, {Title: "本期收入", Kind: Amount},
	}, func(add func(...any) error) error {
		// Staff ids missing from the managers list need a new manager just the same.
		for i, list := range [][]rules.Holding{r.Departed, r.UnknownManagers} {
			for _, h := range list {
				st := domain.LabelOf(domain.ManagerStatuses, h.Manager.Status)
				if i == 1 {
					st = "工号未登记"
				}
				primary := "否"
				if h.Primary {
					primary = "是"
				}
				if err := add(h.Manager.StaffID, h.Manager.Name, st, h.Customer.ID, h.Customer.Name, status(h.Customer),
					h.Role, primary, h.Responsible, names.Units[h.Responsible], revenue[h.Customer.ID]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = b.Table("集中度", []Column{
		{Title: "负责单位编码"}, {Title: "负责单位", Width: 24}, {Title: "客户经理工号"}, {Title: "客户经理姓名"},
		{Title: "主维护收入", Kind: Amount}, {Title: "单位收入", Kind: Amount}, {Title: "占比", Kind: Percent},
	}, func(add func(...any) error) error {
		for _, f := range r.OverShare {
			if err := add(f.Centre, names.Units[f.Centre], f.Manager.StaffID, f.Manager.Name, f.Revenue, f.CentreRevenue,
				Cell{V: f.Share, Tone: Warn}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = b.Table("目标未报", []Column{
		{Title: "工号"}, {Title: "姓名"}, {Title: "所属单位编码"}, {Title: "所属单位", Width: 24}, {Title: "目标月份", Width: 10},
	}, func(add func(...any) error) error {
		for _, m := range r.NoTargets {
			if err := add(m.StaffID, m.Name, m.Unit, names.Units[m.Unit], r.NextMonth); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = b.Table("目标达成", []Column{
		{Title: "工号"}, {Title: "姓名"}, {Title: "目标月份", Width: 10}, {Title: "客户编号"}, {Title: "客户名称", Width: 30},
		{Title: "项目", Width: 24}, {Title: "申报编号"}, {Title: "开发成功日期", Kind: Day},
	}, func(add func(...any) error) error {
		for _, d := range r.DevelopedTargets {
			name := names.Customers[d.Claim.Customer]
			if name == "" {
				name = d.Target.CustomerName
			}
			if err := add(d.Target.StaffID, names.Managers[d.Target.StaffID], d.Target.Month, d.Claim.Customer, name,
				d.Target.Project, d.Claim.ID, d.Claim.Developed); err != nil {
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
