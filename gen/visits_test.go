package gen

import "testing"

// Visits look like a year of a bureau's: the biggest customers are visited
// more often than the middling, some never, some agreed calls are missed;
// some archives lack a field.
func TestVisitsFollowTheCustomersSize(t *testing.T) {
	g, err := newGenerator(Options{Out: t.TempDir(), Customers: 3000, Months: 12, Seed: 7, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	c := &crmPass{g: g}
	var p profile
	var id identity
	type acc struct{ customers, visits int }
	big, middling := acc{}, acc{}
	never, missed, gaps := 0, 0, 0
	cells := make([]any, 5)
	for i := 0; i < g.opt.Customers; i++ {
		g.profile(i, &p)
		g.identity(i, &p, &id)
		vs := c.visitsOf(i, &p, &id)
		if p.coop && len(vs) == 0 {
			never++
		}
		for k, v := range vs {
			if v.On > g.today || (v.Next != 0 && v.Next < v.On) {
				t.Fatalf("visit %+v: in the future or promised before it", v)
			}
			if v.Next != 0 && v.Next < g.today && (k == len(vs)-1 || vs[k+1].On > v.Next) {
				missed++
			}
		}
		switch {
		case p.coop && p.annual >= 1e6:
			big.customers++
			big.visits += len(vs)
		case p.coop && p.annual >= 80e3 && p.annual < 300e3:
			middling.customers++
			middling.visits += len(vs)
		}
		c.archive(i, &p, cells)
		for _, v := range cells[:4] {
			if v == nil {
				gaps++
				break
			}
		}
	}
	if big.customers == 0 || middling.customers == 0 {
		t.Fatalf("no big (%d) or middling (%d) customers", big.customers, middling.customers)
	}
	perBig, perMid := float64(big.visits)/float64(big.customers), float64(middling.visits)/float64(middling.customers)
	if perBig < 1.5*perMid {
		t.Errorf("visits a year: %.1f per big customer, %.1f per middling one; want the big visited far more often", perBig, perMid)
	}
	if never == 0 || missed == 0 || gaps == 0 {
		t.Errorf("never visited %d, promises missed %d, archives with a gap %d: want some of each", never, missed, gaps)
	}
}
