package rules

import (
	"fmt"
	"math/big"
	"sort"

	"kam/domain"
)

// Tier is one of the four grades staff see (第八条). Stored by its English code.
type Tier string

const (
	Diamond  Tier = "diamond"  // 钻石
	Gold     Tier = "gold"     // 黄金
	Silver   Tier = "silver"   // 白银
	Ordinary Tier = "ordinary" // 普通
)

// Tiers from the highest down, with Chinese labels.
var Tiers = []domain.Enum[Tier]{
	{Code: Diamond, Label: "钻石"}, {Code: Gold, Label: "黄金"}, {Code: Silver, Label: "白银"}, {Code: Ordinary, Label: "普通"},
}

// Label is the Chinese name: 钻石/黄金/白银/普通.
func (t Tier) Label() string { return domain.LabelOf(Tiers, t) }

// rank orders tiers: Diamond 4 … Ordinary 1, 0 for anything else.
func (t Tier) rank() int {
	for i, e := range Tiers {
		if e.Code == t {
			return len(Tiers) - i
		}
	}
	return 0
}

// ParseTier reads a tier by code or Chinese label (diamond / 钻石), as config holds it.
func ParseTier(s string) (Tier, error) {
	for _, e := range Tiers {
		if s == string(e.Code) || s == e.Label {
			return e.Code, nil
		}
	}
	return "", fmt.Errorf("等级 %q 不是 钻石/黄金/白银/普通 之一", s)
}

// GradeScheme is the configurable grading table (第八条): annual thresholds per
// level, the share of a year each quarter-end must reach, and each level's tier.
type GradeScheme struct {
	Thresholds [8]domain.Money // annual, fen; T1 > … > T8 = 0 (config grading.thresholds)
	Progress   [4]domain.Ratio // quarter-end share of the year, basis points (config grading.progress)
	Tiers      [8]Tier         // tier of each level (config grading.tiers)
}

// DefaultGradeScheme is the bureau's default table; the rulebook's own table is missing.
func DefaultGradeScheme() GradeScheme {
	const yuan = 100
	return GradeScheme{
		Thresholds: [8]domain.Money{5_000_000 * yuan, 1_000_000 * yuan, 600_000 * yuan, 300_000 * yuan, 150_000 * yuan, 80_000 * yuan, 30_000 * yuan, 0},
		Progress:   [4]domain.Ratio{2500, 5000, 7500, 10000},
		Tiers:      [8]Tier{Diamond, Diamond, Gold, Gold, Silver, Silver, Ordinary, Ordinary},
	}
}

// Validate checks the scheme; the error names the config key and is fit to show (exit status 2).
func (s GradeScheme) Validate() error {
	for k := 1; k < 8; k++ {
		if s.Thresholds[k] >= s.Thresholds[k-1] {
			return domain.Usagef("配置 grading.thresholds：第 %d 级门槛 %s 元必须小于第 %d 级门槛 %s 元",
				k+1, s.Thresholds[k].Yuan(), k, s.Thresholds[k-1].Yuan())
		}
	}
	if s.Thresholds[7] != 0 {
		return domain.Usagef("配置 grading.thresholds：第 8 级门槛必须为 0，现为 %s 元", s.Thresholds[7].Yuan())
	}
	for q, p := range s.Progress {
		if p <= 0 {
			return domain.Usagef("配置 grading.progress：第 %d 季度进度 %s%% 必须大于 0", q+1, p)
		}
		if q > 0 && p <= s.Progress[q-1] {
			return domain.Usagef("配置 grading.progress：第 %d 季度进度 %s%% 必须大于第 %d 季度的 %s%%", q+1, p, q, s.Progress[q-1])
		}
	}
	if s.Progress[3] != domain.FullRatio {
		return domain.Usagef("配置 grading.progress：第 4 季度进度必须为 100.00%%，现为 %s%%", s.Progress[3])
	}
	for k, t := range s.Tiers {
		if t.rank() == 0 {
			return domain.Usagef("配置 grading.tiers：第 %d 级的等级 %q 不是 钻石/黄金/白银/普通 之一", k+1, string(t))
		}
		// Levels are split into tiers in order (第八条 "依次划分"), which 升级/降级 relies on.
		if k > 0 && t.rank() > s.Tiers[k-1].rank() {
			return domain.Usagef("配置 grading.tiers：第 %d 级（%s）不能高于第 %d 级（%s）", k+1, t.Label(), k, s.Tiers[k-1].Label())
		}
	}
	return nil
}

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

// Tier is the tier of a level 1..8.
func (s GradeScheme) Tier(level int) Tier { return s.Tiers[level-1] }

// What 变动 says.
const (
	ChangeUp   = "升级"
	ChangeDown = "降级"
	ChangeSame = "持平"
	ChangeNew  = "新进"
)

// Change compares this quarter's tier with last quarter's; hadPrev false means
// the customer was not graded then.
func Change(prev, cur Tier, hadPrev bool) string {
	switch {
	case !hadPrev:
		return ChangeNew
	case cur.rank() > prev.rank():
		return ChangeUp
	case cur.rank() < prev.rank():
		return ChangeDown
	default:
		return ChangeSame
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

// CustomerGrade is one line of 分级结果.
type CustomerGrade struct {
	Customer       domain.Customer
	Cumulative     domain.Money
	Level          int // 1..8
	Tier           Tier
	PrevCumulative domain.Money
	PrevLevel      int    // 0 when not graded last quarter
	PrevTier       Tier   // "" when not graded last quarter
	Change         string // 升级/降级/持平/新进
	Responsible    string // 负责单位编码; "" when it cannot be found (a Warning says why)
	// PrevResponsible is the unit in charge at PrevTier, from today's customer
	// data (no history is kept); "" when not graded last quarter or not found.
	PrevResponsible string
}

// Warning is a data problem found while applying a rule, in plain Chinese.
type Warning struct {
	Customer string
	Message  string
}

// Grade grades every 合作 customer and every customer with revenue in the
// quarter's months (第八条), and names the responsible centre (第九条).
// Grades come sorted by level, then cumulative revenue descending, then id.
func Grade(in GradeInput) ([]CustomerGrade, []Warning) {
	q, prevQ := in.Quarter, in.Quarter.Prev()
	bars, prevBars := in.Scheme.Bars(q.Q), in.Scheme.Bars(prevQ.Q)
	resp := newResponsibility(in.Units)
	var warnings []Warning
	matched := 0 // customers found in Cumulative; fewer than its size means revenue of unknown customers
	grades := make([]CustomerGrade, 0, len(in.Customers))
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
		g := CustomerGrade{Customer: c, Cumulative: cum, Level: levelOf(cum, &bars)}
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
func (r responsibility) of(c domain.Customer, t Tier) (string, string) {
	if t == Diamond {
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
