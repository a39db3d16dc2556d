package reports

import (
	"fmt"
	"strings"

	"kam/domain"
	"kam/rules"
)

// Maintenance renders the tiered-maintenance workbook of one as-of day
// (分级维护, 档案管理; SPEC §4.7): 走访超期, 走访临期, 约定未联系, 走访统计 and
// 档案不全, then 说明. cfg says the gaps and kinds that shaped it.
func Maintenance(m Meta, r rules.MaintenanceResult, cfg rules.MaintenanceConfig, names Directory) (_ *Book, err error) {
	if m.Report == "" {
		m.Report = "大客户分级维护"
	}
	b := NewBook(m)
	b.About("走访超期", "超过本等级最长走访间隔仍未走访（上门拜访、会议）的客户；从未走访的排在最前")
	b.About("走访临期", fmt.Sprintf("应走访日期在 %d 天内的客户，请主维护客户经理安排走访", cfg.RemindDays))
	b.About("约定未联系", "走访时约定了下次联系日期，到期后没有任何联系（含电话、微信）的客户；每户只列最近一次约定")
	b.About("走访统计", fmt.Sprintf("每名客户经理 %s 月 1 日至 %s 的走访次数，及其主维护的跟踪客户中未超期的比例", r.AsOf.Month(), r.AsOf))
	b.About("档案不全", "合作客户的信息档案缺少必填项目（档案管理）")
	var gaps []string
	for _, t := range domain.Tiers {
		days := cfg.MaxGapDays[t.Code]
		if days > 0 {
			gaps = append(gaps, fmt.Sprintf("%s %d 天", t.Label, days))
		} else {
			gaps = append(gaps, t.Label+" 不跟踪")
		}
	}
	kinds := make([]string, len(cfg.CountedKinds))
	for i, k := range cfg.CountedKinds {
		kinds[i] = domain.LabelOf(domain.VisitKinds, k)
	}
	required := make([]string, len(cfg.ArchiveRequired))
	for i, f := range cfg.ArchiveRequired {
		required[i] = domain.ArchiveFieldLabels[f]
	}
	b.meta.Settings = append(b.meta.Settings,
		Setting{Item: "最长走访间隔", Text: strings.Join(gaps, "，") + "（按截至日所在月之前最近一个季末的分级结果）", Key: "maintenance.max_gap_days"},
		Setting{Item: "计入走访的方式", Text: strings.Join(kinds, "、"), Key: "maintenance.counted_kinds"},
		Setting{Item: "临期提醒", Text: fmt.Sprintf("应走访日期前 %d 天内", cfg.RemindDays), Key: "maintenance.remind_days"},
		Setting{Item: "档案必填项目", Text: strings.Join(required, "、"), Key: "archive.required"},
		Setting{Item: "主维护客户经理", Text: "合作客户由 B 角主维护，潜在客户由 A 角主维护；合作客户没有 B 角时由 A 角主维护（第十一条(一)）"})
	defer func() {
		if err != nil {
			b.Close() // a half-written book's temporary files go with it
		}
	}()
	tierLabel := func(t domain.Tier) string {
		if t == "" {
			return ""
		}
		return t.Label()
	}
	gapSheet := func(sheet, last string, rows []rules.GapRow, days func(g rules.GapRow) any) error {
		return b.Table(sheet, []Column{
			{Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "等级", Width: 8}, {Title: "负责单位编码"},
			{Title: "主维护客户经理工号"}, {Title: "上次走访日期", Kind: Day}, {Title: "应走访日期", Kind: Day}, {Title: last, Kind: Count},
			{Title: "主维护客户经理"}, {Title: "负责单位名称", Width: 24}, {Title: "最长走访间隔天数", Kind: Count},
		}, func(add func(...any) error) error {
			for _, g := range rows {
				if err := add(g.Customer.ID, g.Customer.Name, tierLabel(g.Tier), g.Responsible, g.Primary, g.Last, g.Due, days(g),
					names.Managers[g.Primary], names.Units[g.Responsible], g.Gap); err != nil {
					return err
				}
			}
			return nil
		})
	}
	err = gapSheet("走访超期", "超期天数", r.Overdue, func(g rules.GapRow) any {
		if g.State == rules.VisitNever {
			return nil // never visited: no date to count from
		}
		return g.Days
	})
	if err != nil {
		return nil, err
	}
	if err = gapSheet("走访临期", "剩余天数", r.DueSoon, func(g rules.GapRow) any {
		if g.Days == 0 {
			return Cell{V: 0, Tone: Warn} // due today: the last day in time
		}
		return g.Days
	}); err != nil {
		return nil, err
	}

	err = b.Table("约定未联系", []Column{
		{Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "走访编号"}, {Title: "约定联系日期", Kind: Day},
		{Title: "客户经理工号"}, {Title: "逾期天数", Kind: Count}, {Title: "客户经理姓名"}, {Title: "走访日期", Kind: Day},
		{Title: "走访方式", Width: 10}, {Title: "等级", Width: 8}, {Title: "负责单位编码"},
	}, func(add func(...any) error) error {
		for _, p := range r.Missed {
			v := p.Visit
			if err := add(p.Customer.ID, p.Customer.Name, v.ID, v.Next, v.StaffID, p.Days, names.Managers[v.StaffID], v.On,
				domain.LabelOf(domain.VisitKinds, v.Kind), tierLabel(p.Tier), p.Responsible); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = b.Table("走访统计", []Column{
		{Title: "工号"}, {Title: "姓名"}, {Title: "所属单位编码"}, {Title: "上门拜访", Kind: Count}, {Title: "会议", Kind: Count},
		{Title: "电话", Kind: Count}, {Title: "微信", Kind: Count}, {Title: "其他", Kind: Count}, {Title: "维护客户数", Kind: Count},
		{Title: "按期客户数", Kind: Count}, {Title: "按期率", Kind: Percent}, {Title: "所属单位名称", Width: 24}, {Title: "状态", Width: 8},
	}, func(add func(...any) error) error {
		for _, s := range r.Managers {
			var rate any
			if s.Rate != nil {
				rate = *s.Rate
			}
			k := s.ByKind
			if err := add(s.Manager.StaffID, s.Manager.Name, s.Manager.Unit, k[domain.VisitOnSite], k[domain.VisitMeeting],
				k[domain.VisitPhone], k[domain.VisitWeChat], k[domain.VisitOther], s.Tracked, s.OnTime, rate,
				names.Units[s.Manager.Unit], domain.LabelOf(domain.ManagerStatuses, s.Manager.Status)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = b.Table("档案不全", []Column{
		{Title: "客户编号"}, {Title: "客户名称", Width: 30}, {Title: "等级", Width: 8}, {Title: "负责单位编码"},
		{Title: "缺少项目", Width: 30}, {Title: "负责单位名称", Width: 24},
	}, func(add func(...any) error) error {
		for _, a := range r.Incomplete {
			if err := add(a.Customer.ID, a.Customer.Name, tierLabel(a.Tier), a.Responsible, a.MissingLabel(), names.Units[a.Responsible]); err != nil {
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
