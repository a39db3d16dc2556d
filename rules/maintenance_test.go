package rules

import (
	"reflect"
	"testing"

	"kam/domain"
)

// The defaults of SPEC §4.7: 钻石 30, 黄金 60, 白银 90, 普通 0 days; 上门拜访 and 会议 count; 7 days' warning.
var maintCfg = MaintenanceConfig{
	MaxGapDays:      map[domain.Tier]int{domain.Diamond: 30, domain.Gold: 60, domain.Silver: 90, domain.Ordinary: 0},
	CountedKinds:    []domain.VisitKind{domain.VisitOnSite, domain.VisitMeeting},
	RemindDays:      7,
	ArchiveRequired: []domain.ArchiveField{domain.ArchiveAddress, domain.ArchiveContactName, domain.ArchiveContactPhone},
}

func visit(id, on string, kind domain.VisitKind, next string) domain.Visit {
	v := domain.Visit{ID: id, Customer: "C1", On: day(on), Kind: kind, StaffID: "M1"}
	if next != "" {
		v.Next = day(next)
	}
	return v
}

// 分级维护 (第二部分 大客户维护办法): each tier's longest gap between counting visits.
func TestGapOf(t *testing.T) {
	onSite := func(on string) []domain.Visit { return []domain.Visit{visit("V1", on, domain.VisitOnSite, "")} }
	cases := []struct {
		name   string
		asOf   string
		tier   domain.Tier
		graded bool
		visits []domain.Visit
		state  string
		last   string
		due    string
		days   int
	}{
		{"diamond: the due day itself is still in time, and due soon", "2026-07-31", domain.Diamond, true, onSite("2026-07-01"), VisitDueSoon, "2026-07-01", "2026-07-31", 0},
		{"diamond: the day after the due day is overdue by 1", "2026-08-01", domain.Diamond, true, onSite("2026-07-01"), VisitOverdue, "2026-07-01", "2026-07-31", 1},
		{"remind window's last day: due = D + 7", "2026-07-24", domain.Diamond, true, onSite("2026-07-01"), VisitDueSoon, "2026-07-01", "2026-07-31", 7},
		{"one day before the remind window: on time", "2026-07-23", domain.Diamond, true, onSite("2026-07-01"), VisitOnTime, "2026-07-01", "2026-07-31", 8},
		{"never visited: overdue without dates", "2026-07-10", domain.Gold, true, nil, VisitNever, "", "", 0},
		{"a visit on D counts", "2026-07-10", domain.Diamond, true, onSite("2026-07-10"), VisitOnTime, "2026-07-10", "2026-08-09", 30},
		{"a visit after D is not made yet", "2026-07-10", domain.Diamond, true, onSite("2026-07-11"), VisitNever, "", "", 0},
		{"a phone call does not count as a visit", "2026-07-10", domain.Diamond, true,
			[]domain.Visit{visit("V1", "2026-05-01", domain.VisitOnSite, ""), visit("V2", "2026-07-09", domain.VisitPhone, "")},
			VisitOverdue, "2026-05-01", "2026-05-31", 40},
		{"a meeting counts", "2026-07-10", domain.Gold, true, []domain.Visit{visit("V1", "2026-06-01", domain.VisitMeeting, "")},
			VisitOnTime, "2026-06-01", "2026-07-31", 21},
		{"the latest counting visit decides, whatever the order", "2026-07-10", domain.Silver, true,
			[]domain.Visit{visit("V2", "2026-06-01", domain.VisitOnSite, ""), visit("V1", "2026-01-01", domain.VisitOnSite, "")},
			VisitOnTime, "2026-06-01", "2026-08-30", 51},
		{"普通 has no gap: not tracked", "2026-07-10", domain.Ordinary, true, nil, VisitUntracked, "", "", 0},
		{"not graded: not tracked", "2026-07-10", "", false, nil, VisitUntracked, "", "", 0},
	}
	for _, c := range cases {
		g := GapOf(day(c.asOf), c.tier, c.graded, c.visits, maintCfg)
		var last, due string
		if g.Last != 0 {
			last = g.Last.String()
		}
		if g.Due != 0 {
			due = g.Due.String()
		}
		if g.State != c.state || last != c.last || due != c.due || g.Days != c.days {
			t.Errorf("%s: got %s last %q due %q days %d; want %s last %q due %q days %d",
				c.name, g.State, last, due, g.Days, c.state, c.last, c.due, c.days)
		}
	}
}

// A tier change between quarters: the grading in force at D (the latest
// quarter ended before D's month) sets the gap.
func TestTierChangeBetweenQuarters(t *testing.T) {
	for _, c := range []struct{ asOf, quarter string }{
		{"2026-06-30", "2026Q1"}, {"2026-07-01", "2026Q2"}, {"2026-07-31", "2026Q2"}, {"2026-08-03", "2026Q2"},
		{"2026-10-01", "2026Q3"}, {"2027-01-04", "2026Q4"}, {"2026-01-31", "2025Q4"}, {"2026-04-01", "2026Q1"},
	} {
		if got := QuarterInForce(day(c.asOf)).String(); got != c.quarter {
			t.Errorf("in force on %s: %s, want %s", c.asOf, got, c.quarter)
		}
	}
	// Visited 2026-05-20: gold in Q1 (60 days: due 07-19), diamond in Q2 (30 days: due 06-19).
	visits := []domain.Visit{visit("V1", "2026-05-20", domain.VisitOnSite, "")}
	if g := GapOf(day("2026-06-30"), domain.Gold, true, visits, maintCfg); g.State != VisitOnTime {
		t.Errorf("in June (Q1 gold): %s, want 按期", g.State)
	}
	if g := GapOf(day("2026-07-01"), domain.Diamond, true, visits, maintCfg); g.State != VisitOverdue || g.Days != 12 {
		t.Errorf("in July (Q2 diamond): %s %d, want 超期 12", g.State, g.Days)
	}
}

// 约定未联系: an agreed next contact N < D with no visit of any kind from N to D.
func TestMissedPromise(t *testing.T) {
	cases := []struct {
		name   string
		asOf   string
		visits []domain.Visit
		want   string // the promising visit's id, "" for none missed
		days   int
	}{
		{"kept by a phone call on its day", "2026-07-10", []domain.Visit{visit("V1", "2026-06-01", domain.VisitOnSite, "2026-07-01"), visit("V2", "2026-07-01", domain.VisitPhone, "")}, "", 0},
		{"missed: nothing since", "2026-07-10", []domain.Visit{visit("V1", "2026-06-01", domain.VisitOnSite, "2026-07-01")}, "V1", 9},
		{"a contact the day before the promise does not keep it", "2026-07-10", []domain.Visit{visit("V1", "2026-06-01", domain.VisitOnSite, "2026-07-01"), visit("V2", "2026-06-30", domain.VisitWeChat, "")}, "V1", 9},
		{"promised for D itself: not missed yet", "2026-07-01", []domain.Visit{visit("V1", "2026-06-01", domain.VisitOnSite, "2026-07-01")}, "", 0},
		{"promised for the day before D: missed by 1", "2026-07-02", []domain.Visit{visit("V1", "2026-06-01", domain.VisitOnSite, "2026-07-01")}, "V1", 1},
		{"a contact after D does not keep it", "2026-07-10", []domain.Visit{visit("V1", "2026-06-01", domain.VisitOnSite, "2026-07-01"), visit("V2", "2026-07-11", domain.VisitPhone, "")}, "V1", 9},
		{"only the latest missed promise", "2026-07-10", []domain.Visit{visit("V1", "2026-05-01", domain.VisitOnSite, "2026-05-10"), visit("V2", "2026-05-05", domain.VisitPhone, "2026-06-01")}, "V2", 39},
	}
	for _, c := range cases {
		r := Maintenance(MaintenanceInput{AsOf: day(c.asOf), Customers: []domain.Customer{{ID: "C1", Status: domain.Potential, ManagerA: "M1"}},
			Visits: c.visits, Config: maintCfg})
		got, days := "", 0
		if len(r.Missed) == 1 {
			got, days = r.Missed[0].Visit.ID, r.Missed[0].Days
		}
		if len(r.Missed) > 1 || got != c.want || days != c.days {
			t.Errorf("%s: %+v, want %q (%d days)", c.name, r.Missed, c.want, c.days)
		}
	}
}

// The whole result: who is listed where, the primary manager (第十一条(一): B once
// 合作, A while 潜在, A when a 合作 customer has no B), 走访统计 and 档案不全 (档案管理).
func TestMaintenance(t *testing.T) {
	full := domain.Archive{Address: "东城路1号", ContactName: "王经理", ContactPhone: "0769-22221234"}
	customers := []domain.Customer{
		{ID: "C1", Status: domain.Cooperating, ManagerA: "A1", ManagerB: "B1", Archive: full},                       // diamond, overdue 10
		{ID: "C2", Status: domain.Potential, ManagerA: "A1", ManagerB: "B1", Archive: domain.Archive{Address: "x"}}, // gold, never visited; 潜在: A primary, archive not checked
		{ID: "C3", Status: domain.Cooperating, ManagerA: "A1", Archive: domain.Archive{ContactPhone: "1"}},          // diamond, no B: A primary; due soon; archive lacks two
		{ID: "C4", Status: domain.Cooperating, ManagerA: "A1", ManagerB: "B1", Archive: full},                       // ordinary: not tracked
		{ID: "C5", Status: domain.Cooperating, ManagerA: "A1", ManagerB: "B1", Archive: full},                       // silver, on time
	}
	tiers := map[string]domain.Tier{"C1": domain.Diamond, "C2": domain.Gold, "C3": domain.Diamond, "C4": domain.Ordinary, "C5": domain.Silver}
	resp := map[string]string{"C1": "SJ", "C2": "D1", "C3": "SJ", "C4": "D1", "C5": "D2"}
	v := func(id, cust, on string, kind domain.VisitKind, staff string) domain.Visit {
		return domain.Visit{ID: id, Customer: cust, On: day(on), Kind: kind, StaffID: staff}
	}
	visits := []domain.Visit{
		v("V1", "C1", "2026-06-01", domain.VisitOnSite, "B1"),
		v("V2", "C3", "2026-06-12", domain.VisitMeeting, "A1"),
		v("V3", "C5", "2026-07-01", domain.VisitOnSite, "B1"),
		v("V4", "C1", "2026-07-05", domain.VisitPhone, "B1"),
		v("V5", "C4", "2026-07-06", domain.VisitWeChat, "A1"),
		v("V6", "C5", "2026-07-20", domain.VisitOnSite, "B1"), // after D
	}
	managers := []domain.Manager{{StaffID: "A1", Unit: "D1", Status: domain.Active}, {StaffID: "B1", Unit: "D2", Status: domain.Active},
		{StaffID: "X9", Unit: "D1", Status: domain.Departed}}
	r := Maintenance(MaintenanceInput{AsOf: day("2026-07-11"), Customers: customers, Tier: tiers, Responsible: resp,
		Visits: visits, Managers: managers, Config: maintCfg})
	ids := func(rows []GapRow) (out []string) {
		for _, g := range rows {
			out = append(out, g.Customer.ID+"/"+g.Primary+"/"+g.State)
		}
		return out
	}
	if got, want := ids(r.Overdue), []string{"C2/A1/未走访", "C1/B1/超期"}; !reflect.DeepEqual(got, want) {
		t.Errorf("走访超期 %v, want %v", got, want)
	}
	if r.Overdue[1].Days != 10 || r.Overdue[1].Due != day("2026-07-01") {
		t.Errorf("C1 overdue %+v, want 10 days past 2026-07-01", r.Overdue[1].VisitGap)
	}
	if got, want := ids(r.DueSoon), []string{"C3/A1/临期"}; !reflect.DeepEqual(got, want) || r.DueSoon[0].Days != 1 {
		t.Errorf("走访临期 %v (%+v), want %v with 1 day left", got, r.DueSoon, want)
	}
	if r.Tracked != 4 {
		t.Errorf("tracked %d, want 4 (普通 is not)", r.Tracked)
	}
	if len(r.Managers) != 2 {
		t.Fatalf("走访统计 %+v, want A1 and B1 (a departed manager with nothing is left out)", r.Managers)
	}
	a1, b1 := r.Managers[0], r.Managers[1]
	// A1 is primary of C2 (potential, never visited) and C3 (no B, due soon): 1 of 2 on time.
	if a1.Tracked != 2 || a1.OnTime != 1 || a1.Rate == nil || *a1.Rate != 5000 {
		t.Errorf("A1 %+v, want 2 tracked, 1 on time, 50.0%%", a1)
	}
	// B1 is primary of C1 (overdue) and C5 (on time); C4 is not tracked.
	if b1.Tracked != 2 || b1.OnTime != 1 {
		t.Errorf("B1 %+v, want 2 tracked, 1 on time", b1)
	}
	// July's visits, days 1 … 11: B1 made one on-site visit and one call, A1 one WeChat message.
	if got := b1.ByKind; got[domain.VisitOnSite] != 1 || got[domain.VisitPhone] != 1 || len(got) != 2 {
		t.Errorf("B1's July visits %v", got)
	}
	if got := a1.ByKind; got[domain.VisitWeChat] != 1 || len(got) != 1 {
		t.Errorf("A1's July visits %v", got)
	}
	if len(r.Incomplete) != 1 || r.Incomplete[0].Customer.ID != "C3" || r.Incomplete[0].MissingLabel() != "通信地址、业务联系人" {
		t.Errorf("档案不全 %+v, want C3 lacking 通信地址、业务联系人", r.Incomplete)
	}

	// Each centre's part holds its customers and its units' managers; together they are the city's.
	units := []domain.Unit{{Code: "SJ", Kind: domain.CityCenter}, {Code: "D1", Kind: domain.District}, {Code: "D2", Kind: domain.District}}
	seen := map[string]int{}
	for _, u := range units {
		p := NewScope(units, u.Code).Maintenance(r)
		for _, g := range append(p.Overdue, p.DueSoon...) {
			if g.Responsible != u.Code {
				t.Errorf("%s's part holds %s of %s", u.Code, g.Customer.ID, g.Responsible)
			}
			seen[g.Customer.ID]++
		}
		for _, m := range p.Managers {
			if m.Manager.Unit != u.Code {
				t.Errorf("%s's part holds manager %s of %s", u.Code, m.Manager.StaffID, m.Manager.Unit)
			}
			seen[m.Manager.StaffID]++
		}
	}
	if !reflect.DeepEqual(seen, map[string]int{"C1": 1, "C2": 1, "C3": 1, "A1": 1, "B1": 1}) {
		t.Errorf("parts together: %v", seen)
	}
}

func TestOnTimeRate(t *testing.T) {
	for _, c := range []struct {
		on, of int
		want   Pct
	}{{1, 3, 3330}, {2, 3, 6670}, {0, 5, 0}, {5, 5, 10000}, {1, 8, 1250}, {1, 16, 630}} {
		if got := onTimeRate(c.on, c.of); got != c.want {
			t.Errorf("%d/%d = %d, want %d", c.on, c.of, got, c.want)
		}
	}
}
