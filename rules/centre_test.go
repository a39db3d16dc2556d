package rules

import (
	"reflect"
	"strings"
	"testing"

	"kam/domain"
)

func TestResponsibleCentres(t *testing.T) {
	customers := []domain.Customer{
		coop("diamond", domain.Comprehensive, "", "T1"),
		coop("team", domain.Comprehensive, "", "T1"),
		coop("parcel", domain.Specialized, "包裹", "D1"),
		coop("orphan window", domain.Comprehensive, "", "W2"),
		coop("potential", domain.Comprehensive, "", "W1"),
	}
	customers[4].Status = domain.Potential
	got := ResponsibleCentres(gradeUnits, customers, map[string]domain.Tier{"diamond": domain.Diamond, "parcel": domain.Gold})
	want := map[string]string{"diamond": "C0", "team": "D1", "parcel": "PB", "potential": "D1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ResponsibleCentres = %v; want %v", got, want)
	}
}

func TestCentreReason(t *testing.T) {
	units := []domain.Unit{
		{Code: "C0", Kind: domain.CityCenter}, {Code: "P1", Kind: domain.Professional, Line: "包裹"},
		{Code: "D1", Kind: domain.District}, {Code: "T1", Kind: domain.Team, Parent: "D1"},
	}
	for _, c := range []struct {
		name     string
		customer domain.Customer
		tier     domain.Tier
		centre   string
		clause   string
	}{
		{"diamond", domain.Customer{Category: domain.Specialized, MainLine: "包裹", Territory: "D1"}, domain.Diamond, "C0", "第九条(一)"},
		{"specialized", domain.Customer{Category: domain.Specialized, MainLine: "包裹", Territory: "D1"}, domain.Gold, "P1", "主营业务「包裹」"},
		{"comprehensive in a district", domain.Customer{Category: domain.Comprehensive, Territory: "D1"}, domain.Silver, "D1", "属地镇区局"},
		{"comprehensive under a team", domain.Customer{Category: domain.Comprehensive, Territory: "T1"}, domain.Ordinary, "D1", "属地单位 T1 所属"},
		{"no bureau for the line", domain.Customer{Category: domain.Specialized, MainLine: "集邮"}, domain.Gold, "", "没有对应的专业局"},
	} {
		centre, reason := CentreReason(units, c.customer, c.tier)
		if centre != c.centre || !strings.Contains(reason, c.clause) {
			t.Errorf("%s: %q %q; want %q and a reason naming %q", c.name, centre, reason, c.centre, c.clause)
		}
	}
}
