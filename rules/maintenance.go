package rules

import (
	"slices"
	"strings"

	"kam/domain"
)

// Tiered maintenance and the customer archive (SPEC §4.7): 第二部分 大客户维护办法
// (服务管理, 分级维护, 维护实施) and 第一部分 第四章 档案管理, whose text the rulebook
// names but lacks; 第四条(四) makes the teams responsible for maintaining their
// key accounts, 第十一条(一) says who maintains a customer. Every number is configuration.

// MaintenanceConfig is maintenance.* and archive.required.
type MaintenanceConfig struct {
	// MaxGapDays is the longest a customer of each tier may go without a
	// counting visit; 0 (or absent): the tier is not tracked.
	MaxGapDays map[domain.Tier]int
	// CountedKinds are the 走访方式 that count as a maintenance visit.
	CountedKinds []domain.VisitKind
	// RemindDays is how far ahead a due visit is listed as 走访临期.
	RemindDays int
	// ArchiveRequired are the archive fields a cooperating customer must have.
	ArchiveRequired []domain.ArchiveField
}

// Visit states, as 用邮分析 and explain show them.
const (
	VisitOnTime    = "按期"
	VisitDueSoon   = "临期"
	VisitOverdue   = "超期"
	VisitNever     = "未走访"
	VisitUntracked = "不跟踪" // the tier has no gap (普通 by default), or the customer is not graded
)

// VisitGap is where one customer stands against its tier's gap on day asOf.
type VisitGap struct {
	Tracked bool
	Gap     int         // the tier's max_gap_days
	Last    domain.Date // the latest counting visit on or before asOf; 0: never
	Due     domain.Date // Last + Gap; 0 when never visited
	Days    int         // overdue: asOf − Due; due soon or on time: Due − asOf
	State   string      // 按期, 临期, 超期, 未走访 or 不跟踪
}

// counts says whether a visit's kind counts as a maintenance visit.
func (c MaintenanceConfig) counts(k domain.VisitKind) bool { return slices.Contains(c.CountedKinds, k) }

// GapOf places a customer of tier (graded: false when not graded in the
// grading in force) against its gap on day asOf, from its visits (any order;
// those after asOf are not yet made and do not count).
func GapOf(asOf domain.Date, tier domain.Tier, graded bool, visits []domain.Visit, cfg MaintenanceConfig) VisitGap {
	g := VisitGap{Gap: cfg.MaxGapDays[tier], State: VisitUntracked}
	for _, v := range visits {
		if v.On <= asOf && cfg.counts(v.Kind) && v.On > g.Last {
			g.Last = v.On
		}
	}
	if !graded || g.Gap <= 0 {
		return g
	}
	g.Tracked = true
	if g.Last == 0 {
		g.State = VisitNever
		return g
	}
	g.Due = g.Last + domain.Date(g.Gap)
	switch {
	case asOf > g.Due:
		g.State, g.Days = VisitOverdue, int(asOf-g.Due)
	case g.Due <= asOf+domain.Date(cfg.RemindDays):
		g.State, g.Days = VisitDueSoon, int(g.Due-asOf)
	default:
		g.State, g.Days = VisitOnTime, int(g.Due-asOf)
	}
	return g
}

// MaintenanceInput is what the maintenance rules read on day AsOf.
type MaintenanceInput struct {
	AsOf      domain.Date
	Customers []domain.Customer
	// Tier is the grading in force at AsOf (the latest quarter ended before
	// AsOf's month); a customer absent from it is not graded.
	Tier map[string]domain.Tier
	// Responsible is each customer's centre under 第九条 for that tier (分级结果's).
	Responsible map[string]string
	Visits      []domain.Visit
	Managers    []domain.Manager
	Config      MaintenanceConfig
}

// GapRow is a tracked customer overdue for a visit (走访超期) or due soon (走访临期).
type GapRow struct {
	Customer    domain.Customer
	Tier        domain.Tier
	Responsible string
	Primary     string // the primary manager's staff id (第十一条(一))
	VisitGap
}

// MissedPromise is a customer's latest agreed next contact that nobody made (约定未联系).
type MissedPromise struct {
	Customer    domain.Customer
	Tier        domain.Tier // "" when not graded
	Responsible string
	Visit       domain.Visit // the visit that agreed it: Visit.Next is the promised day
	Days        int          // AsOf − Visit.Next
}

// ManagerVisits is one manager's line of 走访统计: the month's visits by kind
// and the tracked customers it maintains as primary.
type ManagerVisits struct {
	Manager domain.Manager
	ByKind  map[domain.VisitKind]int
	Tracked int  // tracked customers it maintains as primary
	OnTime  int  // of them, not overdue
	Rate    *Pct // OnTime ÷ Tracked to 0.1%; nil when it tracks none
	Month   domain.Month
}

// ArchiveGap is a cooperating customer whose archive lacks required fields (档案不全).
type ArchiveGap struct {
	Customer    domain.Customer
	Tier        domain.Tier // "" when not graded
	Responsible string
	Missing     []domain.ArchiveField // in archive.required's order
}

// MissingLabel names the missing fields as the sheet shows them: 通信地址、联系电话.
func (a ArchiveGap) MissingLabel() string {
	names := make([]string, len(a.Missing))
	for i, f := range a.Missing {
		names[i] = domain.ArchiveFieldLabels[f]
	}
	return strings.Join(names, "、")
}

// MaintenanceResult is the maintenance workbook's rows.
type MaintenanceResult struct {
	AsOf       domain.Date
	Overdue    []GapRow // never visited first, then the longest overdue
	DueSoon    []GapRow // soonest due first
	Missed     []MissedPromise
	Managers   []ManagerVisits
	Incomplete []ArchiveGap
	Tracked    int // tracked customers, city-wide
}

// Maintenance applies SPEC §4.7 on day in.AsOf.
func Maintenance(in MaintenanceInput) MaintenanceResult {
	r := MaintenanceResult{AsOf: in.AsOf}
	// Each customer's visits are a run of the visits in customer order (as the
	// store reads them; sorted here otherwise): no copy at 200,000 customers.
	byID := func(a, b domain.Visit) int { return strings.Compare(a.Customer, b.Customer) }
	visits := in.Visits
	if !slices.IsSortedFunc(visits, byID) {
		visits = slices.Clone(visits)
		slices.SortStableFunc(visits, byID)
	}
	byCustomer := map[string][]domain.Visit{}
	for i := 0; i < len(visits); {
		j := i + 1
		for j < len(visits) && visits[j].Customer == visits[i].Customer {
			j++
		}
		byCustomer[visits[i].Customer] = visits[i:j:j]
		i = j
	}
	monthStart := in.AsOf.Month().First()
	perManager := map[string]map[domain.VisitKind]int{}
	for _, v := range visits {
		if v.On > in.AsOf {
			continue // not made yet; GapOf and missedPromise pass over it too
		}
		if v.On >= monthStart {
			if perManager[v.StaffID] == nil {
				perManager[v.StaffID] = map[domain.VisitKind]int{}
			}
			perManager[v.StaffID][v.Kind]++
		}
	}
	type tally struct{ tracked, onTime int }
	primaries := map[string]*tally{}
	for _, c := range in.Customers {
		tier, graded := in.Tier[c.ID]
		visits := byCustomer[c.ID]
		g := GapOf(in.AsOf, tier, graded, visits, in.Config)
		primary, _ := c.Maintainers()
		if g.Tracked {
			r.Tracked++
			t := primaries[primary]
			if t == nil {
				t = &tally{}
				primaries[primary] = t
			}
			t.tracked++
			row := GapRow{Customer: c, Tier: tier, Responsible: in.Responsible[c.ID], Primary: primary, VisitGap: g}
			switch g.State {
			case VisitOverdue, VisitNever:
				r.Overdue = append(r.Overdue, row)
			case VisitDueSoon:
				r.DueSoon = append(r.DueSoon, row)
				t.onTime++
			default:
				t.onTime++
			}
		}
		if p, ok := missedPromise(in.AsOf, visits); ok {
			r.Missed = append(r.Missed, MissedPromise{Customer: c, Tier: tier, Responsible: in.Responsible[c.ID],
				Visit: p, Days: int(in.AsOf - p.Next)})
		}
		if c.Status == domain.Cooperating {
			var missing []domain.ArchiveField
			for _, f := range in.Config.ArchiveRequired {
				if strings.TrimSpace(c.Archive.Value(f)) == "" {
					missing = append(missing, f)
				}
			}
			if len(missing) > 0 {
				r.Incomplete = append(r.Incomplete, ArchiveGap{Customer: c, Tier: tier, Responsible: in.Responsible[c.ID], Missing: missing})
			}
		}
	}
	slices.SortStableFunc(r.Overdue, func(a, b GapRow) int {
		an, bn := a.State == VisitNever, b.State == VisitNever
		switch {
		case an != bn:
			if an {
				return -1
			}
			return 1
		case a.Days != b.Days:
			return b.Days - a.Days
		}
		return strings.Compare(a.Customer.ID, b.Customer.ID)
	})
	slices.SortStableFunc(r.DueSoon, func(a, b GapRow) int {
		if a.Days != b.Days {
			return a.Days - b.Days
		}
		return strings.Compare(a.Customer.ID, b.Customer.ID)
	})
	slices.SortStableFunc(r.Missed, func(a, b MissedPromise) int {
		if a.Days != b.Days {
			return b.Days - a.Days
		}
		return strings.Compare(a.Customer.ID, b.Customer.ID)
	})
	for _, m := range in.Managers {
		t := primaries[m.StaffID]
		kinds := perManager[m.StaffID]
		if m.Status == domain.Departed && t == nil && len(kinds) == 0 {
			continue // gone, and nothing of the month or of its customers is its
		}
		line := ManagerVisits{Manager: m, ByKind: kinds, Month: in.AsOf.Month()}
		if line.ByKind == nil {
			line.ByKind = map[domain.VisitKind]int{}
		}
		if t != nil {
			line.Tracked, line.OnTime = t.tracked, t.onTime
			rate := onTimeRate(t.onTime, t.tracked)
			line.Rate = &rate
		}
		r.Managers = append(r.Managers, line)
	}
	slices.SortStableFunc(r.Managers, func(a, b ManagerVisits) int { return strings.Compare(a.Manager.StaffID, b.Manager.StaffID) })
	return r
}

// onTimeRate is onTime ÷ tracked rounded half up to 0.1% (in basis points, a multiple of 10).
func onTimeRate(onTime, tracked int) Pct {
	permille := (int64(onTime)*2000 + int64(tracked)) / (2 * int64(tracked))
	return Pct(permille * 10)
}

// missedPromise is the latest agreed next contact N < asOf of a customer's
// visits (made on or before asOf) with no visit of any kind on a day from N
// to asOf; ok is false when every promise was kept.
func missedPromise(asOf domain.Date, visits []domain.Visit) (domain.Visit, bool) {
	var best domain.Visit
	found := false
	for _, p := range visits {
		if p.Next == 0 || p.Next >= asOf || p.On > asOf {
			continue
		}
		kept := false
		for _, v := range visits {
			if v.On >= p.Next && v.On <= asOf {
				kept = true
				break
			}
		}
		if kept {
			continue
		}
		if !found || p.Next > best.Next || (p.Next == best.Next && (p.On > best.On || p.On == best.On && p.ID > best.ID)) {
			best, found = p, true
		}
	}
	return best, found
}

// Maintenance is the unit's part of the maintenance workbook: the customers
// it is responsible for (no centre found: the city centre's) and the managers of its units.
func (s Scope) Maintenance(r MaintenanceResult) MaintenanceResult {
	owned := func(centre string) bool { return s.Owns(centre) }
	out := MaintenanceResult{AsOf: r.AsOf,
		Overdue:    kept(r.Overdue, func(g GapRow) bool { return owned(g.Responsible) }),
		DueSoon:    kept(r.DueSoon, func(g GapRow) bool { return owned(g.Responsible) }),
		Missed:     kept(r.Missed, func(m MissedPromise) bool { return owned(m.Responsible) }),
		Incomplete: kept(r.Incomplete, func(a ArchiveGap) bool { return owned(a.Responsible) }),
		Managers:   kept(r.Managers, func(m ManagerVisits) bool { return s.Leads(m.Manager.Unit) }),
	}
	for _, m := range out.Managers {
		out.Tracked += m.Tracked
	}
	return out
}

// kept is the elements of xs that ok keeps, in order; nil when none is.
func kept[T any](xs []T, ok func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if ok(x) {
			out = append(out, x)
		}
	}
	return out
}

// QuarterInForce is the quarter whose grading is in force on day asOf: the
// latest quarter ended before asOf's month (as for the review packs).
func QuarterInForce(asOf domain.Date) domain.Quarter {
	m := asOf.Month().AddMonths(-1)
	if q := m.Quarter(); q.LastMonth() == m {
		return q
	}
	return m.Quarter().Prev()
}
