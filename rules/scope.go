package rules

import "kam/domain"

// Scope is one unit's part of the city's reports (第五条 统一组织、分级负责;
// 第九条(三)(四)): each centre gets its customers, its managers and its money,
// and no other centre's. The city centre also takes what no centre owns, so
// the centres' parts together are the city's.
type Scope struct {
	Unit string
	// Family is the unit and the teams and windows under it: a district
	// centre leads its own teams' and windows' managers and claims.
	Family map[string]bool
	City   bool // the unit is the city centre
}

// NewScope is the part of the unit with code.
func NewScope(units []domain.Unit, code string) Scope {
	s := Scope{Unit: code, Family: map[string]bool{code: true}}
	for _, u := range units {
		if u.Code == code && u.Kind == domain.CityCenter {
			s.City = true
		}
		if u.Parent == code && (u.Kind == domain.Team || u.Kind == domain.Window) {
			s.Family[u.Code] = true
		}
	}
	return s
}

// Owns says whether a row whose responsible centre is centre is this unit's;
// a row no centre could be found for is the city centre's.
func (s Scope) Owns(centre string) bool { return centre == s.Unit || (centre == "" && s.City) }

// Leads says whether staff or a claim of unit are this unit's to lead: the
// unit itself, its teams and windows; the city centre also takes a manager
// whose staff id is not registered (no unit).
func (s Scope) Leads(unit string) bool { return s.Family[unit] || (unit == "" && s.City) }

// Graded says whether a grade is on the unit's 分级结果: a customer it is responsible for.
func (s Scope) Graded(g *domain.CustomerGrade) bool { return s.Owns(g.Responsible) }

// Handover says whether a grade is on the unit's 等级变动: a change that moves
// a customer to or from it. A customer moving between two centres is on both.
func (s Scope) Handover(g *domain.CustomerGrade) bool {
	if g.Change == domain.ChangeSame {
		return false
	}
	return s.Owns(g.Responsible) || (g.PrevLevel > 0 && s.Owns(g.PrevResponsible))
}

// GradesOf is every grade the unit's grades workbook shows, in their order.
func (s Scope) GradesOf(grades []domain.CustomerGrade) []domain.CustomerGrade {
	var out []domain.CustomerGrade
	for i := range grades {
		if s.Graded(&grades[i]) || s.Handover(&grades[i]) {
			out = append(out, grades[i])
		}
	}
	return out
}

// Roster is the unit's part of the roster: the managers it leads (客户经理,
// 目标未报, 目标达成) and the flags on customers it is responsible for (无B角,
// A等于B, 离职待交接, 集中度). responsible is each customer's centre; staff
// gives each manager's unit.
func (s Scope) Roster(r RosterResult, responsible map[string]string, staff map[string]string) RosterResult {
	out := RosterResult{NextMonth: r.NextMonth, TargetsDue: r.TargetsDue, LastMonth: r.LastMonth}
	for _, m := range r.Managers {
		if s.Leads(m.Manager.Unit) {
			out.Managers = append(out.Managers, m)
		}
	}
	customers := func(list []domain.Customer) []domain.Customer {
		var kept []domain.Customer
		for _, c := range list {
			if s.Owns(responsible[c.ID]) {
				kept = append(kept, c)
			}
		}
		return kept
	}
	out.NoB, out.SameAB = customers(r.NoB), customers(r.SameAB)
	holdings := func(list []Holding) []Holding {
		var kept []Holding
		for _, h := range list {
			if s.Owns(h.Responsible) {
				kept = append(kept, h)
			}
		}
		return kept
	}
	out.Departed, out.UnknownManagers = holdings(r.Departed), holdings(r.UnknownManagers)
	for _, f := range r.OverShare {
		if s.Owns(f.Centre) {
			out.OverShare = append(out.OverShare, f)
		}
	}
	for _, m := range r.NoTargets {
		if s.Leads(m.Unit) {
			out.NoTargets = append(out.NoTargets, m)
		}
	}
	for _, d := range r.DevelopedTargets {
		if s.Leads(staff[d.Target.StaffID]) {
			out.DevelopedTargets = append(out.DevelopedTargets, d)
		}
	}
	return out
}

// Tender is the unit's part of the tender lists: the claims its units
// registered, and each 争议 either side of which is its. (The announcement
// itself is public and goes to every unit whole besides.)
func (s Scope) Tender(r TenderResult) TenderResult {
	var out TenderResult
	for _, o := range r.Overdue {
		if s.Leads(o.Claim.Unit) {
			out.Overdue = append(out.Overdue, o)
		}
	}
	for _, d := range r.DueSoon {
		if s.Leads(d.Claim.Unit) {
			out.DueSoon = append(out.DueSoon, d)
		}
	}
	for _, p := range r.Unconfirmed {
		if s.Leads(p.Claim.Unit) {
			out.Unconfirmed = append(out.Unconfirmed, p)
		}
	}
	for _, c := range r.Conflicts {
		if s.Leads(c.Claim.Unit) || s.Leads(c.Holder.Unit) {
			out.Conflicts = append(out.Conflicts, c)
		}
	}
	for _, c := range r.OverCap {
		if s.Leads(c.Claim.Unit) {
			out.OverCap = append(out.OverCap, c)
		}
	}
	return out
}
