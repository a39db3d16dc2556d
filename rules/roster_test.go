package rules

import (
	"fmt"
	"math"
	"testing"

	"kam/domain"
)

func customerAB(id string, status domain.CoopStatus, a, b string) domain.Customer {
	c := coop(id, domain.Comprehensive, "", "D1")
	c.Status, c.ManagerA, c.ManagerB = status, a, b
	return c
}

func rosterInput(asOf string) RosterInput {
	C, P := domain.Cooperating, domain.Potential
	return RosterInput{
		AsOf: day(asOf),
		Managers: []domain.Manager{
			{StaffID: "M1", Name: "张一", Status: domain.Active},
			{StaffID: "M2", Name: "李二", Status: domain.Active},
			{StaffID: "M3", Name: "王三", Status: domain.Departed},
			{StaffID: "M5", Name: "赵五", Status: domain.Active},
			{StaffID: "M4", Name: "钱四", Status: domain.Active},
		},
		Customers: []domain.Customer{
			customerAB("c7", C, "M1", "M2"),
			customerAB("c1", C, "M1", "M2"), // B primary once cooperating
			customerAB("c2", P, "M1", "M2"), // A primary while potential
			customerAB("c3", C, "M1", ""),   // no B yet: A stays primary
			customerAB("c4", C, "M2", "M2"), // A = B
			customerAB("c5", C, "M3", "M1"), // departed A
			customerAB("c6", P, "M3", "M9"), // departed primary, unknown B
		},
		Revenue:     map[string]domain.Money{"c1": 500, "c2": 100, "c3": 200, "c4": 100, "c5": 50, "c7": -100},
		Responsible: map[string]string{"c1": "D1", "c2": "D1", "c3": "D1", "c4": "D2", "c5": "D2", "c7": "D2"},
		Targets: []domain.Target{
			{StaffID: "M1", Month: month("2026-07"), Customer: "c8"},
			{StaffID: "M4", Month: month("2026-07"), CustomerName: "新客户"},
			{StaffID: "M5", Month: month("2026-08"), Customer: "c1"},
			{StaffID: "M1", Month: month("2026-05"), Customer: "c2"},
			{StaffID: "M1", Month: month("2026-05"), CustomerName: "客户c3"},
			{StaffID: "M1", Month: month("2026-05"), Customer: "c6"},
			{StaffID: "M2", Month: month("2026-05"), Customer: "c1"},
			{StaffID: "M2", Month: month("2026-05"), Customer: "c4"},
		},
		Claims: []domain.Claim{
			claim("k1", "c2", "M1", "2026-04-01", "2026-04-02", domain.Regular, "2026-05-10"),
			claim("k2", "c3", "M1", "2026-05-01", "2026-05-02", domain.Regular, "2026-06-25"), // developed on AsOf
			claim("k3", "c6", "M2", "2026-05-01", "2026-05-02", domain.Regular, "2026-05-20"), // another manager's
			claim("k4", "c1", "M2", "2026-03-01", "2026-03-02", domain.Regular, "2026-04-30"), // before the target month
			claim("k5", "c4", "M2", "2026-05-01", "2026-05-02", domain.Regular, "2026-06-26"), // after AsOf
			claim("k6", "c2", "M1", "2026-05-01", "2026-05-02", domain.Regular, "2026-05-12"), // a later second one
		},
		Config: defaultRosterConfig(),
	}
}

func TestRoster(t *testing.T) {
	r := mustRoster(t, rosterInput("2026-06-25"))
	var got []string
	for _, m := range r.Managers {
		got = append(got, fmt.Sprintf("%s %s known=%v primary=%v %d assisting=%v %d targets next=%d last=%d developed=%d",
			m.Manager.StaffID, m.Manager.Name, m.Known, m.Primary, m.PrimaryRevenue, m.Assisting, m.AssistingRevenue,
			m.NextMonthTargets, m.LastMonthTargets, m.LastMonthDeveloped))
	}
	check(t, "managers", got, []string{
		"M1 张一 known=true primary=[c2 c3 c5] 350 assisting=[c1 c7] 400 targets next=1 last=3 developed=2",
		"M2 李二 known=true primary=[c1 c4 c7] 500 assisting=[c2] 100 targets next=0 last=2 developed=0",
		"M3 王三 known=true primary=[c6] 0 assisting=[c5] 50 targets next=0 last=0 developed=0",
		"M4 钱四 known=true primary=[] 0 assisting=[] 0 targets next=1 last=0 developed=0",
		"M5 赵五 known=true primary=[] 0 assisting=[] 0 targets next=0 last=0 developed=0",
		"M9  known=false primary=[] 0 assisting=[c6] 0 targets next=0 last=0 developed=0",
	})

	ids := func(cs []domain.Customer) (out []string) {
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	check(t, "no B", ids(r.NoB), []string{"c3"})
	check(t, "A = B", ids(r.SameAB), []string{"c4"})

	holdings := func(hs []Holding) (out []string) {
		for _, h := range hs {
			out = append(out, fmt.Sprintf("%s %s %s primary=%v centre=%s", h.Manager.StaffID, h.Customer.ID, h.Role, h.Primary, h.Responsible))
		}
		return out
	}
	check(t, "departed", holdings(r.Departed), []string{"M3 c5 A角 primary=false centre=D2", "M3 c6 A角 primary=true centre="})
	check(t, "unknown", holdings(r.UnknownManagers), []string{"M9 c6 B角 primary=false centre="})

	got = nil
	for _, f := range r.OverShare {
		got = append(got, fmt.Sprintf("%s %s %d/%d %s", f.Centre, f.Manager.StaffID, f.Revenue, f.CentreRevenue, f.Share))
	}
	check(t, "over share", got, []string{"D1 M1 300/800 37.50%", "D1 M2 500/800 62.50%", "D2 M1 50/50 100.00%"})

	if !r.TargetsDue || r.NextMonth != month("2026-07") || r.LastMonth != month("2026-05") {
		t.Errorf("targets due %v for %s, last %s; want due for 2026-07, last 2026-05", r.TargetsDue, r.NextMonth, r.LastMonth)
	}
	got = nil
	for _, m := range r.NoTargets {
		got = append(got, m.StaffID)
	}
	check(t, "no targets", got, []string{"M2", "M5"})
	got = nil
	for _, d := range r.DevelopedTargets {
		got = append(got, d.Target.StaffID+" "+d.Claim.Customer+" "+d.Claim.ID)
	}
	check(t, "developed targets", got, []string{"M1 c2 k1", "M1 c3 k2"})
}

func TestRosterTargetsNotYetDue(t *testing.T) {
	r := mustRoster(t, rosterInput("2026-06-24"))
	if r.TargetsDue || r.NoTargets != nil {
		t.Errorf("on the 24th: due %v, missing %v; want not due", r.TargetsDue, r.NoTargets)
	}
	// Developed on the 25th is after this AsOf, so c3's target is not yet counted.
	if len(r.DevelopedTargets) != 1 || r.DevelopedTargets[0].Claim.ID != "k1" {
		t.Errorf("developed targets %+v; want only k1", r.DevelopedTargets)
	}
}

func TestExceedsShare(t *testing.T) {
	cases := []struct {
		amount, total domain.Money
		share         domain.Ratio
		want          bool
	}{
		{30, 100, 3000, false}, {31, 100, 3000, true}, {3001, 10000, 3000, true}, {3000, 10000, 3000, false},
		{0, 100, 0, false}, {1, 100, 0, true}, {-5, 100, 0, false}, {100, 100, 10000, false},
		{math.MaxInt64 / 2, math.MaxInt64, 5000, false}, {math.MaxInt64/2 + 1, math.MaxInt64, 5000, true},
	}
	for _, c := range cases {
		if got := exceedsShare(c.amount, c.total, c.share); got != c.want {
			t.Errorf("exceedsShare(%d, %d, %s) = %v; want %v", c.amount, c.total, c.share, got, c.want)
		}
	}
}
