package rules

import (
	"fmt"
	"math/big"
	"sort"

	"kam/domain"
)

// GradeScheme is the configured grading table (domain.GradeTable, validated by
// config) with the rule's arithmetic on it.
type GradeScheme domain.GradeTable

// Bars are the quarter-end cumulative revenue each level needs in quarter q:
// ⌈Tk × Pq / 10000⌉ fen, so C ≥ bar exactly when C × 10000 ≥ Tk × Pq.
func (s GradeScheme) Bars(q int) [8]domain.Money {
	if q < 1 || q > 4 {
		panic(fmt.Sprintf("rules: quarter %d out of 1..4", q))
	}
	var bars [8]domain.Money
	p := big.NewInt(int64(s.Progress[q-1]))
	for k, t := range s.Thresholds {
		x := new(big.Int).Mul(big.NewInt(int64(t)), p)
		// ⌈x/10000⌉ = −⌊−x/10000⌋; big.Int.Div floors for a positive divisor.
		x.Neg(x).Div(x, bigTenThousand).Neg(x)
		bars[k] = domain.Money(saturate(x))
	}
	return bars
}

// Level is the smallest k with cum × 10000 ≥ Tk × Pq, or 8 when there is none
// (a negative total). The scheme must be valid and q in 1..4.
func (s GradeScheme) Level(cum domain.Money, q int) int {
	bars := s.Bars(q)
	return levelOf(cum, &bars)
}

func levelOf(cum domain.Money, bars *[8]domain.Money) int {
	for k, bar := range bars {
		if cum >= bar {
			return k + 1
		}
	}
	return 8
}

// domain.Tier is the tier of a level 1..8.
func (s GradeScheme) Tier(level int) domain.Tier { return s.Tiers[level-1] }

// Change compares this quarter's tier with last quarter's; hadPrev false means
// the customer was not graded then.
func Change(prev, cur domain.Tier, hadPrev bool) string {
	switch {
	case !hadPrev:
		return domain.ChangeNew
	case cur.Rank() > prev.Rank():
		return domain.ChangeUp
	case cur.Rank() < prev.Rank():
		return domain.ChangeDown
	default:
		return domain.ChangeSame
	}
}

// GradeInput is everything one quarter's grading needs.
type GradeInput struct {
	Quarter   domain.Quarter
	Customers []domain.Customer // every stored customer, one per id
	// Cumulative is each customer's revenue summed over Y-01 … Y-(3q), every line
	// and unit. A key is present exactly when the customer has a revenue row in
	// those months (its sum may be 0 or negative).
	Cumulative map[string]domain.Money
	// PrevCumulative is the same at the previous quarter-end (for Q1: last
	// year's January … December), as the data stored now gives it.
	PrevCumulative map[string]domain.Money
	Units          []domain.Unit
	Scheme         GradeScheme
}

// Warning is a data problem found while applying a rule, in plain Chinese.
type Warning struct {
	Customer string
	Message  string
}

// Grade grades every 合作 customer and every customer with revenue in the
// quarter's months (第八条), and names the responsible centre (第九条).
// Grades come sorted by level, then cumulative revenue descending, then id.
func Grade(in GradeInput) ([]domain.CustomerGrade, []Warning) {
	q, prevQ := in.Quarter, in.Quarter.Prev()
	bars, prevBars := in.Scheme.Bars(q.Q), in.Scheme.Bars(prevQ.Q)
	resp := newResponsibility(in.Units)
	var warnings []Warning
	matched := 0 // customers found in Cumulative; fewer than its size means revenue of unknown customers
	grades := make([]domain.CustomerGrade, 0, len(in.Customers))
	for _, c := range in.Customers {
		cum, hasRevenue := in.Cumulative[c.ID]
		if hasRevenue {
			matched++
		}
		if c.Status != domain.Cooperating && !hasRevenue {
			continue
		}
		if c.Status != domain.Cooperating {
			warnings = append(warnings, Warning{c.ID, fmt.Sprintf("客户合作状态为%s，但 %s 有收入 %s 元，已参与分级；请核实合作状态",
				domain.LabelOf(domain.CoopStatuses, c.Status), q, cum.Yuan())})
		}
		g := domain.CustomerGrade{Customer: c, Cumulative: cum, Level: levelOf(cum, &bars)}
		g.Tier = in.Scheme.Tier(g.Level)
		// We keep no status history, so "graded last quarter" is read from what we
		// have: revenue rows in last quarter's months, or 合作 now.
		prevCum, hadPrevRevenue := in.PrevCumulative[c.ID]
		if hadPrevRevenue || c.Status == domain.Cooperating {
			g.PrevCumulative = prevCum
			g.PrevLevel = levelOf(prevCum, &prevBars)
			g.PrevTier = in.Scheme.Tier(g.PrevLevel)
		}
		g.Change = Change(g.PrevTier, g.Tier, g.PrevLevel > 0)
		var w string
		g.Responsible, w = resp.of(c, g.Tier)
		if w != "" {
			warnings = append(warnings, Warning{c.ID, w})
		}
		if g.PrevLevel > 0 {
			// Its reason, if any, is the same data gap the current warning names.
			g.PrevResponsible, _ = resp.of(c, g.PrevTier)
		}
		grades = append(grades, g)
	}
	var unknown []string
	if matched < len(in.Cumulative) {
		known := make(map[string]bool, len(in.Customers))
		for _, c := range in.Customers {
			known[c.ID] = true
		}
		for id := range in.Cumulative {
			if !known[id] {
				unknown = append(unknown, id)
			}
		}
		sort.Strings(unknown)
	}
	for _, id := range unknown {
		warnings = append(warnings, Warning{id, fmt.Sprintf("收入数据中的客户编号在客户资料中不存在，%s 累计收入 %s 元未参与分级", q, in.Cumulative[id].Yuan())})
	}
	sort.Slice(grades, func(i, j int) bool {
		a, b := &grades[i], &grades[j]
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		if a.Cumulative != b.Cumulative {
			return a.Cumulative > b.Cumulative
		}
		return a.Customer.ID < b.Customer.ID
	})
	return grades, warnings
}

// responsibility finds the centre in charge of a customer (第九条).
type responsibility struct {
	units      map[string]domain.Unit
	cityCenter string
	bureau     map[string]string // business line → professional bureau code
}

func newResponsibility(units []domain.Unit) responsibility {
	r := responsibility{units: make(map[string]domain.Unit, len(units)), bureau: map[string]string{}}
	for _, u := range units {
		r.units[u.Code] = u
		switch u.Kind {
		case domain.CityCenter:
			if r.cityCenter == "" || u.Code < r.cityCenter {
				r.cityCenter = u.Code
			}
		case domain.Professional:
			// Two bureaus for one line is a data error; the smaller code keeps the result stable.
			if cur, ok := r.bureau[u.Line]; !ok || u.Code < cur {
				r.bureau[u.Line] = u.Code
			}
		}
	}
	return r
}

// of returns the responsible unit code, or "" and the reason in Chinese.
func (r responsibility) of(c domain.Customer, t domain.Tier) (string, string) {
	if t == domain.Diamond {
		if r.cityCenter == "" {
			return "", "钻石客户应由市局大客户中心负责，但单位资料中没有市局大客户中心"
		}
		return r.cityCenter, ""
	}
	if c.Category == domain.Specialized {
		if c.MainLine == "" {
			return "", "专业客户没有填写主营业务，无法确定负责的专业局"
		}
		if b, ok := r.bureau[c.MainLine]; ok {
			return b, ""
		}
		return "", fmt.Sprintf("专业客户的主营业务「%s」没有对应的专业局", c.MainLine)
	}
	u, ok := r.units[c.Territory]
	if !ok {
		return "", fmt.Sprintf("属地单位「%s」在单位资料中不存在，无法确定负责的镇区局", c.Territory)
	}
	switch u.Kind {
	case domain.District:
		return u.Code, ""
	case domain.Team, domain.Window:
		if p, ok := r.units[u.Parent]; ok && p.Kind == domain.District {
			return p.Code, ""
		}
		return "", fmt.Sprintf("属地单位「%s」（%s）没有所属镇区局", u.Code, domain.LabelOf(domain.UnitKinds, u.Kind))
	default:
		return "", fmt.Sprintf("属地单位「%s」是%s，不属于任何镇区局", u.Code, domain.LabelOf(domain.UnitKinds, u.Kind))
	}
}

// GradingSpans are the months quarter q's grading reads (第八条 累计): its year
// from January to q's last month, and the same for the quarter before (for Q1:
// all of last year), against which 上季等级 is computed.
func GradingSpans(q domain.Quarter) (cur, prev domain.MonthSpan) {
	p := q.Prev()
	return domain.MonthSpan{From: domain.NewMonth(q.Year, 1), To: q.LastMonth()},
		domain.MonthSpan{From: domain.NewMonth(p.Year, 1), To: p.LastMonth()}
}
