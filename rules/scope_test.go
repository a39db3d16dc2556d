package rules

import (
	"testing"

	"kam/domain"
)

func TestScope(t *testing.T) {
	units := []domain.Unit{
		{Code: "C0", Kind: domain.CityCenter},
		{Code: "P1", Kind: domain.Professional, Line: "包裹"},
		{Code: "D1", Kind: domain.District},
		{Code: "T1", Kind: domain.Team, Parent: "D1"},
		{Code: "W1", Kind: domain.Window, Parent: "D1"},
		{Code: "D2", Kind: domain.District},
		{Code: "T2", Kind: domain.Team, Parent: "D2"},
	}
	grade := func(change, prev, now string, prevLevel int) domain.CustomerGrade {
		return domain.CustomerGrade{Change: change, PrevResponsible: prev, Responsible: now, PrevLevel: prevLevel}
	}
	cases := []struct {
		name          string
		unit          string
		owns, leads   map[string]bool // by the row's unit
		graded, hands []domain.CustomerGrade
		notGraded     []domain.CustomerGrade
		notHands      []domain.CustomerGrade
	}{
		{
			name:   "district: its own customers, its teams' and windows' staff",
			unit:   "D1",
			owns:   map[string]bool{"D1": true, "T1": false, "C0": false, "": false},
			leads:  map[string]bool{"D1": true, "T1": true, "W1": true, "T2": false, "D2": false, "": false},
			graded: []domain.CustomerGrade{grade(domain.ChangeSame, "D1", "D1", 8)},
			// 升级 to diamond: handed from D1 to the city centre — on D1's 等级变动, not its 分级结果.
			hands:     []domain.CustomerGrade{grade(domain.ChangeUp, "D1", "C0", 3), grade(domain.ChangeDown, "C0", "D1", 2), grade(domain.ChangeNew, "", "D1", 0)},
			notGraded: []domain.CustomerGrade{grade(domain.ChangeUp, "D1", "C0", 3)},
			// 持平 stays off 等级变动 even when the centre moved; a 新进 has no former centre.
			notHands: []domain.CustomerGrade{grade(domain.ChangeSame, "D1", "D2", 7), grade(domain.ChangeNew, "D1", "D2", 0)},
		},
		{
			name:      "city centre: diamond customers, and what no centre owns",
			unit:      "C0",
			owns:      map[string]bool{"C0": true, "": true, "D1": false},
			leads:     map[string]bool{"C0": true, "": true, "T1": false},
			graded:    []domain.CustomerGrade{grade(domain.ChangeSame, "C0", "C0", 1), grade(domain.ChangeSame, "", "", 8)},
			hands:     []domain.CustomerGrade{grade(domain.ChangeUp, "D1", "C0", 3)},
			notHands:  []domain.CustomerGrade{grade(domain.ChangeNew, "", "D1", 0)},
			notGraded: []domain.CustomerGrade{grade(domain.ChangeSame, "D1", "D1", 8)},
		},
		{
			name:  "team: its own staff only",
			unit:  "T1",
			owns:  map[string]bool{"T1": true, "D1": false, "": false},
			leads: map[string]bool{"T1": true, "D1": false, "W1": false},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NewScope(units, c.unit)
			for unit, want := range c.owns {
				if got := s.Owns(unit); got != want {
					t.Errorf("Owns(%q) = %v, want %v", unit, got, want)
				}
			}
			for unit, want := range c.leads {
				if got := s.Leads(unit); got != want {
					t.Errorf("Leads(%q) = %v, want %v", unit, got, want)
				}
			}
			for _, g := range c.graded {
				if !s.Graded(&g) {
					t.Errorf("Graded(%+v) = false", g)
				}
			}
			for _, g := range c.notGraded {
				if s.Graded(&g) {
					t.Errorf("Graded(%+v) = true", g)
				}
			}
			for _, g := range c.hands {
				if !s.Handover(&g) {
					t.Errorf("Handover(%+v) = false", g)
				}
			}
			for _, g := range c.notHands {
				if s.Handover(&g) {
					t.Errorf("Handover(%+v) = true", g)
				}
			}
		})
	}
}

// Tender: the claims its units registered; a conflict is on both sides'.
func TestScopeTender(t *testing.T) {
	units := []domain.Unit{{Code: "D1", Kind: domain.District}, {Code: "T1", Kind: domain.Team, Parent: "D1"}, {Code: "D2", Kind: domain.District}}
	claim := func(id, unit string) domain.Claim { return domain.Claim{ID: id, Unit: unit} }
	r := TenderResult{
		Overdue:     []OverdueClaim{{Claim: claim("a", "T1")}, {Claim: claim("b", "D2")}},
		DueSoon:     []DueClaim{{Claim: claim("c", "D1")}, {Claim: claim("d", "D2")}},
		Unconfirmed: []PendingClaim{{Claim: claim("e", "D2")}},
		Conflicts:   []Conflict{{Claim: claim("f", "D2"), Holder: claim("g", "T1")}},
		OverCap:     []CappedClaim{{Claim: claim("h", "T1")}},
	}
	got := NewScope(units, "D1").Tender(r)
	if len(got.Overdue) != 1 || got.Overdue[0].Claim.ID != "a" || len(got.DueSoon) != 1 || got.DueSoon[0].Claim.ID != "c" ||
		len(got.Unconfirmed) != 0 || len(got.Conflicts) != 1 || len(got.OverCap) != 1 {
		t.Errorf("D1's part: %+v", got)
	}
	if d2 := NewScope(units, "D2").Tender(r); len(d2.Conflicts) != 1 || len(d2.OverCap) != 0 || len(d2.Unconfirmed) != 1 {
		t.Errorf("D2's part: %+v", d2)
	}
}
