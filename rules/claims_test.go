package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"kam/domain"
)

func day(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestDeadline(t *testing.T) {
	cases := []struct {
		name      string
		confirmed string
		typ       domain.ProjectType
		period    int
		want      string
	}{
		{"holiday 01-31 + 1 month", "2026-01-31", domain.Holiday, 0, "2026-02-28"},
		{"holiday 01-31 + 1 month, leap year", "2028-01-31", domain.Holiday, 0, "2028-02-29"},
		{"regular 12-31 + 2 months", "2026-12-31", domain.Regular, 0, "2027-02-28"},
		{"holiday 08-31 + 1 month", "2026-08-31", domain.Holiday, 0, "2026-09-30"},
		{"regular mid-month", "2026-03-15", domain.Regular, 0, "2026-05-15"},
		{"regular 01-31 + 2 months", "2026-01-31", domain.Regular, 0, "2026-03-31"},
		{"own period beats regular", "2026-11-30", domain.Regular, 3, "2027-02-28"},
		{"own period beats holiday", "2026-05-31", domain.Holiday, 4, "2026-09-30"},
		{"empty type is regular", "2026-06-30", "", 0, "2026-08-30"},
	}
	for _, c := range cases {
		got, ok := Deadline(domain.Claim{Confirmed: day(c.confirmed), Type: c.typ, PeriodMonths: c.period})
		if !ok || got.String() != c.want {
			t.Errorf("%s: Deadline = %s %v; want %s", c.name, got, ok, c.want)
		}
	}
	if d, ok := Deadline(domain.Claim{Registered: day("2026-01-01"), Type: domain.Regular}); ok || d != 0 {
		t.Errorf("unconfirmed claim: Deadline = %s %v; want none", d, ok)
	}
}

func TestOverdue(t *testing.T) {
	// Regular, confirmed 2026-01-31: deadline 2026-03-31.
	base := domain.Claim{Registered: day("2026-01-20"), Confirmed: day("2026-01-31"), Type: domain.Regular}
	cases := []struct {
		name      string
		developed string
		asOf      string
		days      int
		overdue   bool
	}{
		{"before the deadline", "", "2026-03-30", 0, false},
		{"on the deadline day", "", "2026-03-31", 0, false},
		{"the day after the deadline", "", "2026-04-01", 1, true},
		{"long after", "", "2026-06-30", 91, true},
		{"developed exactly on the deadline", "2026-03-31", "2026-04-10", 0, false},
		{"developed after the deadline but before D", "2026-04-05", "2026-04-10", 0, false},
		{"developed on D", "2026-04-10", "2026-04-10", 0, false},
		{"developed after D", "2026-04-15", "2026-04-10", 10, true},
	}
	for _, c := range cases {
		cl := base
		if c.developed != "" {
			cl.Developed = day(c.developed)
		}
		days, ok := Overdue(cl, day(c.asOf))
		if days != c.days || ok != c.overdue {
			t.Errorf("%s: Overdue = %d %v; want %d %v", c.name, days, ok, c.days, c.overdue)
		}
	}
	if days, ok := Overdue(domain.Claim{Registered: day("2025-01-01"), Type: domain.Holiday}, day("2026-06-30")); ok || days != 0 {
		t.Errorf("unconfirmed claim: Overdue = %d %v; want not overdue", days, ok)
	}
	own := domain.Claim{Confirmed: day("2026-01-31"), Type: domain.Holiday, PeriodMonths: 5} // deadline 2026-06-30
	if _, ok := Overdue(own, day("2026-06-30")); ok {
		t.Error("own period: overdue on its deadline day")
	}
	if days, ok := Overdue(own, day("2026-07-02")); !ok || days != 2 {
		t.Errorf("own period: Overdue(07-02) = %d %v; want 2 true", days, ok)
	}
}

func claim(id, customer, manager, registered, confirmed string, typ domain.ProjectType, developed string) domain.Claim {
	c := domain.Claim{ID: id, Customer: customer, Unit: "U" + manager, Manager: manager, Registered: day(registered), Type: typ}
	if confirmed != "" {
		c.Confirmed = day(confirmed)
	}
	if developed != "" {
		c.Developed = day(developed)
	}
	return c
}

func TestTender(t *testing.T) {
	R, H := domain.Regular, domain.Holiday
	claims := []domain.Claim{
		claim("k1", "A", "M1", "2026-03-01", "2026-03-05", R, ""),            // deadline 05-05: overdue, announced before
		claim("k2", "B", "M1", "2026-04-01", "2026-04-10", H, ""),            // deadline 05-10: overdue, new
		claim("k3", "C", "M1", "2026-05-01", "2026-05-02", R, ""),            // deadline 07-02: open
		claim("k4", "D", "M1", "2026-05-20", "2026-05-22", H, ""),            // deadline 06-22: 7 days left, 临期
		claim("k5", "E", "M1", "2026-05-21", "2026-05-23", H, ""),            // deadline 06-23: 8 days left
		claim("k6", "F", "M2", "2026-06-01", "", R, ""),                      // unconfirmed 14 days
		claim("k7", "G", "M2", "2026-06-05", "", R, ""),                      // unconfirmed exactly 10 days: not yet listed
		claim("k8", "C", "M2", "2026-06-01", "", R, ""),                      // registered while k3 holds C
		claim("k9", "A", "M3", "2026-06-01", "2026-06-01", R, ""),            // k1 lost A on 05-06: no conflict
		claim("k10", "H", "M3", "2026-02-01", "2026-02-01", R, "2026-04-01"), // developed on its deadline
		claim("k11", "H", "M2", "2026-04-01", "", R, ""),                     // registered the day k10 was developed
		claim("k12", "I", "M3", "2026-06-10", "2026-06-20", R, ""),           // confirmed after asOf: unconfirmed as of then
		claim("k13", "I", "M4", "2026-06-12", "", R, ""),                     // while unconfirmed k12 holds I
		claim("k14", "J", "M1", "2026-01-05", "2026-01-05", R, "2026-06-20"), // developed after asOf: overdue
		claim("k15", "K", "M1", "2026-06-20", "", R, ""),                     // registered after asOf: unknown
		claim("k16", "K", "M3", "2026-01-10", "2026-01-10", R, ""),           // deadline 03-10: overdue
		claim("k17", "K", "M3", "2026-02-01", "2026-02-01", H, ""),           // conflicted with k16 once, overdue now
		claim("k18", "L", "M4", "2026-06-02", "", R, ""),                     // same day as k19: smaller id holds
		claim("k19", "L", "M4", "2026-06-02", "", R, ""),
	}
	cfg := defaultTenderConfig()
	cfg.ManagerCap = 2
	r := Tender(TenderInput{AsOf: day("2026-06-15"), Claims: claims, Announced: map[string]bool{"k1": true, "k99": true}, Config: cfg})

	var got []string
	for _, o := range r.Overdue {
		got = append(got, fmt.Sprintf("%s %s %d %v", o.Claim.ID, o.Deadline, o.DaysOverdue, o.New))
	}
	want := []string{
		"k17 2026-03-01 106 true", "k14 2026-03-05 102 true", "k16 2026-03-10 97 true",
		"k1 2026-05-05 41 false", "k2 2026-05-10 36 true",
	}
	check(t, "overdue", got, want)

	got = nil
	for _, d := range r.DueSoon {
		got = append(got, fmt.Sprintf("%s %s %d", d.Claim.ID, d.Deadline, d.DaysLeft))
	}
	check(t, "due soon", got, []string{"k4 2026-06-22 7"})

	got = nil
	for _, p := range r.Unconfirmed {
		got = append(got, fmt.Sprintf("%s %d", p.Claim.ID, p.DaysWaiting))
	}
	check(t, "unconfirmed", got, []string{"k11 75", "k6 14", "k8 14", "k18 13", "k19 13"})

	got = nil
	for _, c := range r.Conflicts {
		got = append(got, c.Claim.ID+" held by "+c.Holder.ID)
	}
	check(t, "conflicts", got, []string{"k8 held by k3", "k13 held by k12", "k19 held by k18"})

	got = nil
	for _, c := range r.OverCap {
		got = append(got, fmt.Sprintf("%s %s %d/%d", c.Claim.Manager, c.Claim.ID, c.Rank, c.Open))
	}
	check(t, "over cap", got, []string{"M1 k5 3/3", "M2 k8 3/4", "M2 k7 4/4", "M4 k13 3/3"})
}

func TestTenderDueSoonWindow(t *testing.T) {
	// A deadline today is still in time and listed as 临期 with 0 days left.
	c := claim("k", "A", "M", "2026-05-01", "2026-05-15", domain.Holiday, "") // deadline 06-15
	r := Tender(TenderInput{AsOf: day("2026-06-15"), Claims: []domain.Claim{c}, Config: TenderConfig{DueSoonDays: 0, ManagerCap: 20}})
	if len(r.Overdue) != 0 || len(r.DueSoon) != 1 || r.DueSoon[0].DaysLeft != 0 {
		t.Errorf("deadline today: %+v; want one 临期 with 0 days left", r)
	}
	// Developed claims are never 临期.
	c.Developed = day("2026-06-14")
	r = Tender(TenderInput{AsOf: day("2026-06-15"), Claims: []domain.Claim{c}, Config: defaultTenderConfig()})
	if len(r.DueSoon)+len(r.Overdue)+len(r.Unconfirmed)+len(r.OverCap) != 0 {
		t.Errorf("developed claim listed: %+v", r)
	}
}

func check(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %s\n want %s", what, strings.Join(got, " | "), strings.Join(want, " | "))
	}
}
