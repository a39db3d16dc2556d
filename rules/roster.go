package rules

import (
	"math/big"
	"sort"

	"kam/domain"
)

// RosterConfig holds the roster's configurable limits.
type RosterConfig struct {
	ShareAlert    domain.Ratio // flag a manager holding more than this share of a centre's revenue as primary
	TargetsDueDay int          // from this day of the month on, next month's targets must be in
}

// RosterInput is what the manager roster reads.
type RosterInput struct {
	AsOf      domain.Date
	Managers  []domain.Manager
	Customers []domain.Customer
	// Revenue is each customer's revenue for the roster's period (absent = 0).
	Revenue map[string]domain.Money
	// Responsible is each customer's responsible centre (负责单位, from grading); customers
	// without one count towards no centre's share.
	Responsible map[string]string
	Targets     []domain.Target // at least last month's and next month's (months relative to AsOf)
	Claims      []domain.Claim
	Config      RosterConfig
}

// Roles on a customer (第十一条(一)).
const (
	RoleA = "A角"
	RoleB = "B角"
)

// ManagerRoster is one line of 客户经理.
type ManagerRoster struct {
	Manager            domain.Manager // only StaffID is set when Known is false
	Known              bool           // the staff id is in the managers list
	Primary            []string       // customer ids the manager maintains as primary (主维护), sorted
	Assisting          []string       // customer ids the manager assists on (辅助), sorted
	PrimaryRevenue     domain.Money
	AssistingRevenue   domain.Money
	NextMonthTargets   int // targets set for the month after AsOf
	LastMonthTargets   int // targets set for the month before AsOf
	LastMonthDeveloped int // of those, how many became developed claims
}

// Holding is a customer held by a manager who is departed (or unknown): the reassignment list.
type Holding struct {
	Manager     domain.Manager
	Customer    domain.Customer
	Role        string // A角 / B角
	Primary     bool   // the manager is the customer's primary
	Responsible string // the customer's responsible centre, "" when not given
}

// ShareFlag is a manager holding more than the configured share of a centre's revenue as primary.
type ShareFlag struct {
	Manager       domain.Manager
	Centre        string
	Revenue       domain.Money // the manager's primary revenue in the centre
	CentreRevenue domain.Money
	Share         Pct
}

// DevelopedTarget is one of last month's targets that a claim of the same manager developed.
type DevelopedTarget struct {
	Target domain.Target
	Claim  domain.Claim
}

// RosterResult is the roster and its flags, each list sorted.
type RosterResult struct {
	Managers         []ManagerRoster   // by staff id
	NoB              []domain.Customer // customers without a B manager, by id
	SameAB           []domain.Customer // customers whose A and B are one person, by id
	Departed         []Holding         // by staff id, then customer id
	UnknownManagers  []Holding         // staff ids not in the managers list, by staff id, then customer id
	OverShare        []ShareFlag       // by centre, then staff id
	NextMonth        domain.Month      // the month whose targets are due
	TargetsDue       bool              // AsOf is on or after the due day: NoTargets applies
	NoTargets        []domain.Manager  // active managers without targets for NextMonth, by staff id
	LastMonth        domain.Month
	DevelopedTargets []DevelopedTarget // by staff id, then customer
}

// Roster builds the manager roster (第十一条(一), 第十二条(七)). A
// manager's or a centre's revenue beyond domain.Money refuses it
// (domain.Overflowf), naming whose revenue was being added.
func Roster(in RosterInput) (RosterResult, error) {
	thisMonth := in.AsOf.Month()
	r := RosterResult{NextMonth: thisMonth.AddMonths(1), LastMonth: thisMonth.AddMonths(-1)}
	r.TargetsDue = in.AsOf.Time().Day() >= in.Config.TargetsDueDay

	known := make(map[string]domain.Manager, len(in.Managers))
	rows := map[string]*ManagerRoster{}
	row := func(staff string) *ManagerRoster {
		if mr, ok := rows[staff]; ok {
			return mr
		}
		m, ok := known[staff]
		if !ok {
			m = domain.Manager{StaffID: staff}
		}
		mr := &ManagerRoster{Manager: m, Known: ok}
		rows[staff] = mr
		return mr
	}
	for _, m := range in.Managers {
		known[m.StaffID] = m
	}
	for _, m := range in.Managers {
		row(m.StaffID)
	}

	type centreManager struct{ centre, staff string }
	centreTotal := map[string]*domain.Sum{}
	held := map[centreManager]*domain.Sum{}
	primarySum, assistingSum := map[string]*domain.Sum{}, map[string]*domain.Sum{}
	add := func(m map[string]*domain.Sum, k string, v domain.Money) {
		s := m[k]
		if s == nil {
			s = &domain.Sum{}
			m[k] = s
		}
		s.Add(v)
	}
	customers := append([]domain.Customer(nil), in.Customers...)
	sort.Slice(customers, func(i, j int) bool { return customers[i].ID < customers[j].ID })
	for _, c := range customers {
		if c.ManagerB == "" {
			r.NoB = append(r.NoB, c)
		}
		if c.ManagerA != "" && c.ManagerA == c.ManagerB {
			r.SameAB = append(r.SameAB, c)
		}
		// A cooperating customer with no B yet stays with its A; A = B is one person, counted once.
		primary, assisting := c.Maintainers()
		amount := in.Revenue[c.ID]
		if primary != "" {
			mr := row(primary)
			mr.Primary = append(mr.Primary, c.ID)
			add(primarySum, primary, amount)
		}
		if assisting != "" {
			mr := row(assisting)
			mr.Assisting = append(mr.Assisting, c.ID)
			add(assistingSum, assisting, amount)
		}
		if centre := in.Responsible[c.ID]; centre != "" {
			add(centreTotal, centre, amount)
			if primary != "" {
				k := centreManager{centre, primary}
				if held[k] == nil {
					held[k] = &domain.Sum{}
				}
				held[k].Add(amount)
			}
		}
		for _, role := range []struct {
			staff, name string
		}{{c.ManagerA, RoleA}, {c.ManagerB, RoleB}} {
			if role.staff == "" || (role.name == RoleB && c.ManagerB == c.ManagerA) {
				continue
			}
			h := Holding{Manager: row(role.staff).Manager, Customer: c, Role: role.name, Primary: role.staff == primary, Responsible: in.Responsible[c.ID]}
			if m, ok := known[role.staff]; !ok {
				r.UnknownManagers = append(r.UnknownManagers, h)
			} else if m.Status == domain.Departed {
				r.Departed = append(r.Departed, h)
			}
		}
	}
	byManagerThenCustomer := func(list []Holding) {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Manager.StaffID < list[j].Manager.StaffID })
	}
	byManagerThenCustomer(r.Departed)
	byManagerThenCustomer(r.UnknownManagers)

	// Totals are checked in sorted order, so a refusal names the same manager or centre every time.
	for _, staff := range sortedKeys(primarySum) {
		var ok bool
		if rows[staff].PrimaryRevenue, ok = primarySum[staff].Total(); !ok {
			return RosterResult{}, domain.Overflowf("客户经理 %s 主维护客户的收入", staff)
		}
	}
	for _, staff := range sortedKeys(assistingSum) {
		var ok bool
		if rows[staff].AssistingRevenue, ok = assistingSum[staff].Total(); !ok {
			return RosterResult{}, domain.Overflowf("客户经理 %s 辅助客户的收入", staff)
		}
	}
	centreRevenue := make(map[string]domain.Money, len(centreTotal))
	for _, centre := range sortedKeys(centreTotal) {
		var ok bool
		if centreRevenue[centre], ok = centreTotal[centre].Total(); !ok {
			return RosterResult{}, domain.Overflowf("负责单位 %s 的客户收入", centre)
		}
	}
	heldKeys := make([]centreManager, 0, len(held))
	for k := range held {
		heldKeys = append(heldKeys, k)
	}
	sort.Slice(heldKeys, func(i, j int) bool {
		a, b := heldKeys[i], heldKeys[j]
		return a.centre < b.centre || (a.centre == b.centre && a.staff < b.staff)
	})
	for _, k := range heldKeys {
		amount, ok := held[k].Total()
		if !ok {
			return RosterResult{}, domain.Overflowf("客户经理 %s 在负责单位 %s 主维护客户的收入", k.staff, k.centre)
		}
		total := centreRevenue[k.centre]
		if total <= 0 || !exceedsShare(amount, total, in.Config.ShareAlert) {
			continue
		}
		share := pctOf(big.NewInt(int64(amount)), big.NewInt(int64(total)))
		r.OverShare = append(r.OverShare, ShareFlag{Manager: row(k.staff).Manager, Centre: k.centre, Revenue: amount, CentreRevenue: total, Share: share})
	}
	sort.Slice(r.OverShare, func(i, j int) bool {
		a, b := r.OverShare[i], r.OverShare[j]
		if a.Centre != b.Centre {
			return a.Centre < b.Centre
		}
		return a.Manager.StaffID < b.Manager.StaffID
	})

	r.DevelopedTargets = targets(in, r, row)
	if r.TargetsDue {
		for _, m := range in.Managers {
			if m.Status == domain.Active && row(m.StaffID).NextMonthTargets == 0 {
				r.NoTargets = append(r.NoTargets, m)
			}
		}
		sort.Slice(r.NoTargets, func(i, j int) bool { return r.NoTargets[i].StaffID < r.NoTargets[j].StaffID })
	}

	for _, mr := range rows {
		r.Managers = append(r.Managers, *mr)
	}
	sort.Slice(r.Managers, func(i, j int) bool { return r.Managers[i].Manager.StaffID < r.Managers[j].Manager.StaffID })
	return r, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// exceedsShare is amount / total > share, compared exactly (total > 0).
func exceedsShare(amount, total domain.Money, share domain.Ratio) bool {
	lhs := new(big.Int).Mul(big.NewInt(int64(amount)), bigTenThousand)
	rhs := new(big.Int).Mul(big.NewInt(int64(total)), big.NewInt(int64(share)))
	return lhs.Cmp(rhs) > 0
}

// targets counts next and last month's targets per manager and finds last
// month's that became developed claims: a claim of the same manager for the
// target's customer, developed between the target month's first day and AsOf.
func targets(in RosterInput, r RosterResult, row func(string) *ManagerRoster) []DevelopedTarget {
	byName := map[string]string{}
	for _, c := range in.Customers {
		if _, dup := byName[c.Name]; dup {
			byName[c.Name] = "" // a name two customers share identifies neither
		} else {
			byName[c.Name] = c.ID
		}
	}
	type managerCustomer struct{ staff, customer string }
	developed := map[managerCustomer]domain.Claim{}
	for _, c := range in.Claims {
		if c.Developed.IsZero() || c.Developed < r.LastMonth.First() || c.Developed > in.AsOf {
			continue
		}
		k := managerCustomer{c.Manager, c.Customer}
		if prev, ok := developed[k]; !ok || c.Developed < prev.Developed || (c.Developed == prev.Developed && c.ID < prev.ID) {
			developed[k] = c
		}
	}
	var out []DevelopedTarget
	for _, t := range in.Targets {
		switch t.Month {
		case r.NextMonth:
			row(t.StaffID).NextMonthTargets++
		case r.LastMonth:
			row(t.StaffID).LastMonthTargets++
			id := t.Customer
			if id == "" && t.CustomerName != "" {
				id = byName[t.CustomerName]
			}
			if c, ok := developed[managerCustomer{t.StaffID, id}]; ok && id != "" {
				row(t.StaffID).LastMonthDeveloped++
				out = append(out, DevelopedTarget{Target: t, Claim: c})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Target.StaffID != b.Target.StaffID {
			return a.Target.StaffID < b.Target.StaffID
		}
		if a.Claim.Customer != b.Claim.Customer {
			return a.Claim.Customer < b.Claim.Customer
		}
		return a.Target.Project < b.Target.Project
	})
	return out
}
