package reports

import (
	"fmt"
	"io"
	"testing"

	"kam/config"
	"kam/domain"
	"kam/rules"
)

// BenchmarkRosterAtScale builds and renders the roster of 200,000 customers and 2,000 managers.
func BenchmarkRosterAtScale(b *testing.B) {
	const customers, managers = 200_000, 2_000
	limits := config.Default().Roster // as the roster job maps kam.yaml's defaults
	in := rules.RosterInput{AsOf: domain.DateOf(2026, 7, 26), Revenue: map[string]domain.Money{}, Responsible: map[string]string{},
		Config: rules.RosterConfig{ShareAlert: domain.Ratio(limits.ConcentrationPct * 100), TargetsDueDay: limits.TargetsDueDay}}
	names := Directory{Customers: map[string]string{}, Units: map[string]string{}, Managers: map[string]string{}}
	for i := range managers {
		m := domain.Manager{StaffID: fmt.Sprintf("M%04d", i), Name: fmt.Sprintf("经理%d", i), Unit: fmt.Sprintf("D%02d", i%30), Status: domain.Active}
		if i%50 == 0 {
			m.Status = domain.Departed
		}
		in.Managers = append(in.Managers, m)
		names.Managers[m.StaffID] = m.Name
	}
	for i := range customers {
		c := domain.Customer{ID: fmt.Sprintf("C%06d", i), Name: fmt.Sprintf("客户%d", i), Status: domain.Cooperating,
			ManagerA: in.Managers[i%managers].StaffID, ManagerB: in.Managers[(i*7+3)%managers].StaffID}
		if i%3 == 0 {
			c.Status = domain.Potential
		}
		in.Customers = append(in.Customers, c)
		in.Revenue[c.ID] = domain.Money(i * 37 % 1_000_000)
		in.Responsible[c.ID] = fmt.Sprintf("D%02d", i%30)
		names.Customers[c.ID] = c.Name
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := rules.Roster(in)
		if err != nil {
			b.Fatal(err)
		}
		book, err := Roster(testMeta, r, in.Revenue, names)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := book.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
