package reports

import (
	"kam/domain"
)

// CustomerCard is one customer's archive (客户档案, 档案管理): what it is,
// how it was graded each quarter, what it booked, who called on it, its
// development claims and its split agreements.
type CustomerCard struct {
	Customer domain.Customer
	Profile  []Setting // 基本信息: 项目, 内容
	History  []CardQuarter
	Months   []domain.Month // 收入's rows, oldest first
	Lines    []string       // 收入's columns, in the configured order
	Revenue  map[domain.Month]map[string]domain.Money
	Totals   map[domain.Month]domain.Money
	Visits   []domain.Visit
	Claims   []CardClaim
	Splits   []domain.SplitAgreement
}

// CardQuarter is one quarter-end's grade of the customer (第八条, 第九条).
type CardQuarter struct {
	Quarter domain.Quarter
	Cum     domain.Money
	Level   int
	Tier    domain.Tier
	Centre  string
}

// CardClaim is one development claim with its deadline and state today.
type CardClaim struct {
	Claim    domain.Claim
	Deadline domain.Date
	State    string
}

// Card renders 客户档案_<客户编号>.xlsx: 基本信息, 等级历史, 收入, 走访, 开发项目, 分成协议.
func Card(m Meta, c CustomerCard, names Directory) (_ *Book, err error) {
	if m.Report == "" {
		m.Report = "客户档案"
	}
	b := NewBook(m)
	b.About("基本信息", "客户资料、信息档案、客户经理、负责单位及其依据、走访状态")
	b.About("等级历史", "每个有收入的季度末：累计收入、级别、等级、负责单位（按当前数据与分级规则计算）")
	b.About("收入", "近 24 个月每月各业务种类收入（全市各单位入账合计）")
	b.About("走访", "客户经理的走访记录，最近的在前")
	b.About("开发项目", "该客户的项目报备及其开发期限、状态")
	b.About("分成协议", "该客户的分成协议，每个分成单位一行")
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	err = b.Table("基本信息", []Column{{Title: "项目", Width: 18}, {Title: "内容", Width: 60, Wrap: true}}, func(add func(...any) error) error {
		for _, s := range c.Profile {
			if err := add(s.Item, s.Text); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = b.Table("等级历史", []Column{
		{Title: "期间", Width: 10}, {Title: "累计收入", Kind: Amount}, {Title: "级别", Kind: Count}, {Title: "等级", Width: 8},
		{Title: "负责单位编码"}, {Title: "负责单位名称", Width: 24},
	}, func(add func(...any) error) error {
		for _, h := range c.History {
			if err := add(h.Quarter.String(), h.Cum, h.Level, h.Tier.Label(), h.Centre, names.Units[h.Centre]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	cols := []Column{{Title: "月份", Width: 10}}
	for _, l := range c.Lines {
		cols = append(cols, Column{Title: l, Kind: Amount})
	}
	cols = append(cols, Column{Title: "合计", Kind: Amount})
	err = b.Table("收入", cols, func(add func(...any) error) error {
		for _, m := range c.Months {
			row := []any{m}
			for _, l := range c.Lines {
				row = append(row, c.Revenue[m][l])
			}
			if err := add(append(row, c.Totals[m])...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = b.Table("走访", []Column{
		{Title: "走访编号"}, {Title: "走访日期", Kind: Day}, {Title: "走访方式", Width: 10}, {Title: "客户经理工号"}, {Title: "客户经理"},
		{Title: "联系人"}, {Title: "内容", Width: 40, Wrap: true}, {Title: "下次联系日期", Kind: Day},
	}, func(add func(...any) error) error {
		for i := len(c.Visits) - 1; i >= 0; i-- {
			v := c.Visits[i]
			if err := add(v.ID, v.On, domain.LabelOf(domain.VisitKinds, v.Kind), v.StaffID, names.Managers[v.StaffID], v.Contact, v.Notes, v.Next); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = b.Table("开发项目", []Column{
		{Title: "申报编号"}, {Title: "申报单位编码"}, {Title: "申报单位名称", Width: 24}, {Title: "客户经理工号"}, {Title: "客户经理"},
		{Title: "申报日期", Kind: Day}, {Title: "确认日期", Kind: Day}, {Title: "项目类型", Width: 8}, {Title: "开发截止日期", Kind: Day},
		{Title: "开发成功日期", Kind: Day}, {Title: "状态", Width: 30},
	}, func(add func(...any) error) error {
		for _, cl := range c.Claims {
			k := cl.Claim
			if err := add(k.ID, k.Unit, names.Units[k.Unit], k.Manager, names.Managers[k.Manager], k.Registered, k.Confirmed,
				domain.LabelOf(domain.ProjectTypes, k.Type), cl.Deadline, k.Developed, cl.State); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = b.Table("分成协议", []Column{
		{Title: "协议编号"}, {Title: "生效月份", Width: 10}, {Title: "失效月份", Width: 10}, {Title: "业务种类", Width: 10},
		{Title: "分成单位编码"}, {Title: "分成单位名称", Width: 24}, {Title: "分成比例", Kind: Share},
	}, func(add func(...any) error) error {
		for _, a := range c.Splits {
			to, line := "长期", a.Line
			if a.To != 0 {
				to = a.To.String()
			}
			if line == "" {
				line = "全部业务"
			}
			for _, p := range a.Parties {
				if err := add(a.ID, a.From.String(), to, line, p.Unit, names.Units[p.Unit], p.Ratio); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}
