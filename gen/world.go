package gen

import (
	"fmt"

	"kam/domain"
)

// district is one 镇区局 with the teams and windows under it and the managers working there.
type district struct {
	town    town
	unit    int   // index into world.units
	teams   []int // unit indexes
	windows []int
	active  []int // indexes into world.managers: active managers of the district, its teams and windows
	all     []int // every manager there, departed ones included
}

// world is the organisation every customer hangs off: small enough to keep in memory.
type world struct {
	lines      []string
	units      []domain.Unit
	center     int
	prof       []int // professional bureau unit per business line
	districts  []district
	distWeight []int
	distTotal  int

	managers   []domain.Manager
	centerMgrs []int   // active managers of the city centre
	profMgrs   [][]int // active managers per professional bureau
	activeMgrs []int
}

func unitName(t town) string { return "东莞市邮政局" + t.Name + "分局" }

func buildWorld(seed int64, lines []string, customers int) *world {
	w := &world{lines: lines}
	add := func(u domain.Unit) int {
		w.units = append(w.units, u)
		return len(w.units) - 1
	}
	w.center = add(domain.Unit{Code: "DG000", Name: "东莞市邮政局大客户中心", Kind: domain.CityCenter})
	for i, l := range lines {
		w.prof = append(w.prof, add(domain.Unit{Code: fmt.Sprintf("ZY%02d", i+1), Name: "东莞市邮政局" + l + "专业局", Kind: domain.Professional, Line: l}))
	}
	for di, t := range towns {
		r := newRNG(seed, streamUnits, uint64(di), 0)
		code := fmt.Sprintf("ZQ%02d", di+1)
		d := district{town: t, unit: add(domain.Unit{Code: code, Name: unitName(t), Kind: domain.District})}
		nTeams := 1 + min(t.Weight/2, 3)
		for k := 0; k < nTeams; k++ {
			d.teams = append(d.teams, add(domain.Unit{Code: fmt.Sprintf("%s-T%d", code, k+1),
				Name: t.Name + "揽投部营投" + teamOrdinals[k] + "班", Kind: domain.Team, Parent: code}))
		}
		nWindows := r.between(0, 1) + min(t.Weight/2, 3)
		first := r.intn(len(windowPlaces))
		for k := 0; k < nWindows; k++ {
			place := windowPlaces[(first+k)%len(windowPlaces)]
			d.windows = append(d.windows, add(domain.Unit{Code: fmt.Sprintf("%s-W%d", code, k+1),
				Name: t.Name + place + "营业所", Kind: domain.Window, Parent: code}))
		}
		w.districts = append(w.districts, d)
		w.distWeight = append(w.distWeight, t.Weight)
		w.distTotal += t.Weight
	}
	w.buildManagers(seed, customers)
	return w
}

// buildManagers staffs the units: about one key-account manager per 40
// customers, at least two active ones in every district and professional bureau.
func (w *world) buildManagers(seed int64, customers int) {
	total := max(100, customers/40)
	nCenter := max(3, total/60)
	nProf := max(2, total/50)
	rest := total - nCenter - nProf*len(w.lines)
	perDistrict := make([]int, len(w.districts))
	spare := rest - 2*len(w.districts)
	given := 0
	for i := range perDistrict {
		perDistrict[i] = 2 + spare*w.distWeight[i]/w.distTotal
		given += perDistrict[i]
	}
	perDistrict[0] += rest - given // the remainder goes to 莞城, where the city bureau sits

	w.profMgrs = make([][]int, len(w.lines))
	hire := func(unit, district int, mustStay bool) {
		n := len(w.managers)
		r := newRNG(seed, streamManagers, uint64(n), 0)
		status := domain.Active
		// District managers hold the customers, so departures there are what the roster's hand-over list shows.
		leave := 0.05
		if district >= 0 {
			leave = 0.10
		}
		if !mustStay && r.chance(leave) {
			status = domain.Departed
		}
		w.managers = append(w.managers, domain.Manager{
			StaffID: fmt.Sprintf("DG%05d", 10001+n),
			Name:    personName(&r),
			Unit:    w.units[unit].Code,
			Status:  status,
		})
		if status == domain.Active {
			w.activeMgrs = append(w.activeMgrs, n)
		}
		switch {
		case district >= 0:
			d := &w.districts[district]
			d.all = append(d.all, n)
			if status == domain.Active {
				d.active = append(d.active, n)
			}
		case unit == w.center && status == domain.Active:
			w.centerMgrs = append(w.centerMgrs, n)
		case status == domain.Active:
			for li, u := range w.prof {
				if u == unit {
					w.profMgrs[li] = append(w.profMgrs[li], n)
				}
			}
		}
	}
	for k := 0; k < nCenter; k++ {
		hire(w.center, -1, k == 0)
	}
	for _, u := range w.prof {
		for k := 0; k < nProf; k++ {
			hire(u, -1, k < 2)
		}
	}
	for di, d := range w.districts {
		r := newRNG(seed, streamManagers, uint64(di), 1)
		sub := append(append([]int{}, d.teams...), d.windows...)
		for k := 0; k < perDistrict[di]; k++ {
			unit := d.unit
			if k >= 2 && r.chance(0.5) {
				unit = sub[r.intn(len(sub))]
			}
			hire(unit, di, k < 2)
		}
	}
}

func personName(r *rng) string {
	// Surnames are listed most frequent first; squaring skews the draw toward them.
	u := r.float()
	s := surnames[int(u*u*float64(len(surnames)))]
	g := string(givenChars[r.intn(len(givenChars))])
	if r.chance(0.8) {
		g += string(givenChars[r.intn(len(givenChars))])
	}
	return s + g
}

// districtUnit picks the district itself most of the time, else one of its teams or windows.
func (w *world) districtUnit(r *rng, di int) int {
	d := &w.districts[di]
	switch x := r.float(); {
	case x < 0.72:
		return d.unit
	case x < 0.88 || len(d.windows) == 0:
		return d.teams[r.intn(len(d.teams))]
	default:
		return d.windows[r.intn(len(d.windows))]
	}
}
