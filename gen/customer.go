package gen

import (
	"math"

	"kam/domain"
)

const maxLines = 16

// anchorAnnual are the yearly revenues (yuan) of customers 1–8, one inside each
// default grade band, so even a small dataset shows every level.
var anchorAnnual = [8]float64{12e6, 2.2e6, 780e3, 420e3, 210e3, 110e3, 50e3, 15e3}

// profile is what revenue generation needs to know about a customer; it is
// re-derived from the seed for every month instead of being kept in memory.
type profile struct {
	coop        bool
	revenue     bool // books revenue at all
	anchor      bool
	specialized bool
	mainLine    int // -1 for 综合
	district    int
	territory   int // unit index
	annual      float64
	growth      float64 // yearly trend, as a fraction
	churn       int     // window offset from which the customer books nothing; -1 never
	roundYuan   bool
	share       [maxLines]float64
	book        [maxLines]int32 // unit booking each line, -1 when the line is not used
	second      [maxLines]int32 // a second unit booking part of the line, -1 none
	secondPart  float64
	window      int32 // a window booking counter sales, -1 none
}

// profile derives customer i's revenue-relevant attributes.
func (g *generator) profile(i int, p *profile) {
	w := g.w
	r := newRNG(g.seed, streamProfile, uint64(i), 0)
	nl := len(w.lines)
	p.anchor = i < len(anchorAnnual)
	p.coop = p.anchor || r.chance(0.9)
	p.revenue = p.coop || r.chance(0.12)
	p.specialized = !p.anchor && r.chance(0.3)
	p.mainLine = -1
	if p.specialized {
		p.mainLine = r.pick(mainLineWeights[:nl], mainLineTotal(nl))
	}
	p.district = r.pick(w.distWeight, w.distTotal)
	p.territory = w.districtUnit(&r, p.district)

	// Pareto tail: P(annual > x) = (xmin/x)^alpha, capped.
	const xmin, alpha, cap = 8000.0, 0.85, 60e6
	u := 1 - r.float()
	p.annual = math.Min(xmin*math.Pow(u, -1/alpha), cap)
	switch {
	case p.anchor:
		p.annual = anchorAnnual[i]
	case !p.coop:
		p.annual = 2000 + 18000*r.float()
	}
	p.growth = math.Max(-0.3, math.Min(0.4, 0.05+0.12*(r.float()+r.float()+r.float()-1.5)*2))
	p.churn = -1
	if !p.anchor && r.chance(0.02) {
		p.churn = g.nMonths - 1 - r.intn(min(6, g.nMonths))
	}
	if p.anchor {
		p.growth = 0
	}
	p.roundYuan = r.chance(0.12)

	active := 0.95
	if !p.coop {
		active = 0.2
	}
	d := &w.districts[p.district]
	p.window = -1
	if len(d.windows) > 0 && r.chance(0.06) {
		p.window = int32(d.windows[r.intn(len(d.windows))])
	}
	p.secondPart = 0.1 + 0.3*r.float()
	sum := 0.0
	for l := 0; l < nl; l++ {
		p.share[l], p.book[l], p.second[l] = 0, -1, -1
		if !p.anchor && l != p.mainLine && !r.chance(active) {
			continue
		}
		x := 0.15 + r.float()
		p.share[l] = x * x * lineWeights[l%len(lineWeights)]
		switch x := r.float(); {
		case x < 0.82:
			p.book[l] = int32(p.territory)
		case x < 0.94:
			p.book[l] = int32(w.prof[l])
		case len(d.windows) > 0:
			p.book[l] = int32(d.windows[r.intn(len(d.windows))])
		default:
			p.book[l] = int32(d.unit)
		}
		if r.chance(0.15) {
			if p.book[l] != int32(w.prof[l]) {
				p.second[l] = int32(w.prof[l])
			} else {
				p.second[l] = int32(p.territory)
			}
		}
	}
	if p.specialized {
		// The main line carries 60–85% of a specialised customer's revenue.
		rest := 0.0
		for l := 0; l < nl; l++ {
			if l != p.mainLine {
				rest += p.share[l]
			}
		}
		main := 0.6 + 0.25*r.float()
		if rest > 0 {
			for l := 0; l < nl; l++ {
				if l != p.mainLine {
					p.share[l] *= (1 - main) / rest
				}
			}
		} else {
			main = 1
		}
		p.share[p.mainLine] = main
	}
	for l := 0; l < nl; l++ {
		sum += p.share[l]
	}
	if sum == 0 {
		// A line-less customer still books something on its busiest line.
		p.share[0], p.book[0] = 1, int32(p.territory)
		sum = 1
	}
	for l := 0; l < nl; l++ {
		p.share[l] /= sum
	}
}

// lineWeights is each default line's typical weight in a customer's postage.
var lineWeights = []float64{1.0, 1.4, 1.8, 1.0, 0.5, 0.35, 0.8, 0.3}

// mainLineWeights is how often each default line is a specialised customer's main line.
var mainLineWeights = [maxLines]int{16, 22, 28, 14, 6, 3, 8, 3, 1, 1, 1, 1, 1, 1, 1, 1}

func mainLineTotal(n int) int {
	t := 0
	for _, x := range mainLineWeights[:n] {
		t += x
	}
	return t
}

// identity is what the customer list says about a customer beyond its revenue profile.
type identity struct {
	name       string
	creditCode string
	industry   string
	strategic  bool
	signing    int // unit index
	managerA   int // manager index
	managerB   int // -1: none
}

// identity derives customer i's name, credit code, managers and signing unit.
func (g *generator) identity(i int, p *profile, id *identity) {
	w := g.w
	r := newRNG(g.seed, streamIdentity, uint64(i), 0)
	id.industry = domain.Industries[r.pick(g.industryWeights, g.industryTotal)]
	t := w.districts[p.district].town
	townName := t.Name + t.Suffix

	// A bijective scramble of the index picks the trade name, so the first
	// len(brandChars)² customers all carry different ones.
	nb := len(brandChars)
	q := (uint64(i)*2654435761 + uint64(g.seed)) % uint64(nb*nb)
	brand := brandChar(int(q)%nb) + brandChar(int(q)/nb)
	soleTrader := id.industry == "批发和零售业" && r.chance(0.15)
	tmpls := nameTemplates[id.industry]
	tmpl := tmpls[r.intn(len(tmpls))]
	if soleTrader {
		tmpl = soleTraderTemplate
	}
	id.name = fillName(tmpl, townName, brand)
	id.creditCode = g.creditCode(i, &r, id.industry, soleTrader)

	id.strategic = p.annual >= 1e6 && r.chance(0.6) || r.chance(0.02)
	id.signing = p.territory
	switch x := r.float(); {
	case x < 0.06:
		id.signing = w.districts[r.pick(w.distWeight, w.distTotal)].unit
	case x < 0.09 && id.strategic:
		id.signing = w.center
	}

	d := &w.districts[p.district]
	id.managerA = d.all[r.intn(len(d.all))]
	if w.managers[id.managerA].Status == domain.Departed && r.chance(0.6) {
		id.managerA = d.active[r.intn(len(d.active))]
	}
	switch x := r.float(); {
	case x < 0.03:
		id.managerB = -1
	case x < 0.05:
		id.managerB = id.managerA
	case p.specialized && x < 0.4 && len(w.profMgrs[p.mainLine]) > 0:
		pm := w.profMgrs[p.mainLine]
		id.managerB = pm[r.intn(len(pm))]
	case p.annual >= 1e6 && x < 0.5:
		id.managerB = w.centerMgrs[r.intn(len(w.centerMgrs))]
	default:
		id.managerB = d.all[r.intn(len(d.all))]
		if id.managerB == id.managerA {
			id.managerB = d.active[r.intn(len(d.active))]
		}
		if id.managerB == id.managerA {
			id.managerB = d.all[(indexOf(d.all, id.managerA)+1)%len(d.all)]
		}
	}
}

func indexOf(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// otherRegions are where some customers were registered before moving their business to Dongguan.
var otherRegions = []string{"440300", "440100", "440600", "441300", "440500"}

// creditCode builds a valid, unique unified social credit code for customer i.
func (g *generator) creditCode(i int, r *rng, industry string, soleTrader bool) string {
	dept := "91" // 工商 · 企业
	switch {
	case soleTrader:
		dept = "92"
	case industry == "公共管理和社会组织":
		dept = [...]string{"11", "12", "51", "51"}[r.intn(4)]
	case industry == "教育业" || industry == "卫生、社保和福利业":
		dept = [...]string{"12", "52", "91", "91"}[r.intn(4)]
	case industry == "国际组织":
		dept = "Y1"
	}
	region := "441900"
	if r.chance(0.08) {
		region = otherRegions[r.intn(len(otherRegions))]
	}
	// Codes issued since 2015 start MA; older ones carry the old 8-digit
	// organisation code. A scramble coprime to the space keeps them unique.
	var org [9]byte
	if dept[0] == '9' && r.chance(0.7) {
		const space = 31 * 31 * 31 * 31 * 31 * 31
		v := (uint64(i)*7368787 + uint64(g.seed)*31) % space
		org[0], org[1] = 'M', 'A'
		for k := 7; k >= 2; k-- {
			org[k] = domain.CreditCodeAlphabet[v%31]
			v /= 31
		}
	} else {
		v := (uint64(i)*48271 + 7e7 + uint64(g.seed)%1e6) % 1e8
		for k := 7; k >= 0; k-- {
			org[k] = byte('0' + v%10)
			v /= 10
		}
	}
	org[8] = orgCheckChar(string(org[:8]))
	first := dept + region + string(org[:])
	c, _ := domain.CreditCodeCheckChar(first) // first is built from the code's alphabet only
	return first + string(c)
}
