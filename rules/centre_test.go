package rules

import (
	"reflect"
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
