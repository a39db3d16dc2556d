package rules

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"kam/domain"
)

const yuan domain.Money = 100

func TestLevelBoundaries(t *testing.T) {
	s := defaultScheme()
	cases := []struct {
		cum  domain.Money
		q    int
		want int
	}{
		{0, 1, 8}, {-1, 1, 8}, {math.MinInt64, 4, 8}, {1, 1, 8},
		// Q1 bar of L7 is 30,000 × 25% = 7,500 yuan.
		{7_500*yuan - 1, 1, 8}, {7_500 * yuan, 1, 7},
		// Q2 bar of L2 is 1,000,000 × 50% = 500,000 yuan: diamond begins there.
		{500_000*yuan - 1, 2, 3}, {500_000 * yuan, 2, 2},
		{2_500_000*yuan - 1, 2, 2}, {2_500_000 * yuan, 2, 1},
		// Q3: 75%.
		{22_500*yuan - 1, 3, 8}, {22_500 * yuan, 3, 7}, {60_000*yuan - 1, 3, 7}, {60_000 * yuan, 3, 6}, {112_500 * yuan, 3, 5},
		// Q4: the annual thresholds themselves.
		{80_000*yuan - 1, 4, 7}, {80_000 * yuan, 4, 6}, {300_000 * yuan, 4, 4}, {600_000 * yuan, 4, 3},
		{1_000_000 * yuan, 4, 2}, {5_000_000 * yuan, 4, 1}, {math.MaxInt64, 4, 1},
	}
	for _, c := range cases {
		if got := s.Level(c.cum, c.q); got != c.want {
			t.Errorf("Level(%s, Q%d) = %d; want %d", c.cum.Yuan(), c.q, got, c.want)
		}
	}
}

func TestLevelExactWithUnevenProgress(t *testing.T) {
	s := GradeScheme{
		Thresholds: [8]domain.Money{700, 600, 500, 400, 300, 200, 100, 0},
		Progress:   [4]domain.Ratio{3333, 6667, 9999, 10000},
		Tiers:      defaultScheme().Tiers,
	}
	// 100 fen × 33.33% = 33.33 fen: 33 is short, 34 reaches it.
	if got := s.Level(33, 1); got != 8 {
		t.Errorf("Level(33 fen, Q1) = %d; want 8", got)
	}
	if got := s.Level(34, 1); got != 7 {
		t.Errorf("Level(34 fen, Q1) = %d; want 7", got)
	}
	// 300 × 66.67% = 200.01 fen for L5; 200 × 66.67% = 133.34 for L6.
	if got := s.Level(200, 2); got != 6 {
		t.Errorf("Level(200 fen, Q2) = %d; want 6", got)
	}
	if got := s.Level(201, 2); got != 5 {
		t.Errorf("Level(201 fen, Q2) = %d; want 5", got)
	}
	if got, want := s.Bars(3), [8]domain.Money{700, 600, 500, 400, 300, 200, 100, 0}; got != want {
		t.Errorf("Bars(3) = %v; want %v (x × 99.99%% rounds up to x)", got, want)
	}
}

func TestLevelDoesNotOverflow(t *testing.T) {
	s := defaultScheme()
	s.Thresholds[0] = math.MaxInt64
	// MaxInt64 × 3/4 = 6917529027641081855.25, so the bar is …856.
	if got := s.Level(6917529027641081855, 3); got != 2 {
		t.Errorf("just below the huge bar: level %d; want 2", got)
	}
	if got := s.Level(6917529027641081856, 3); got != 1 {
		t.Errorf("at the huge bar: level %d; want 1", got)
	}
}

func TestChange(t *testing.T) {
	cases := []struct {
		prev, cur domain.Tier
		had       bool
		want      string
	}{
		{domain.Gold, domain.Diamond, true, "升级"}, {domain.Ordinary, domain.Silver, true, "升级"},
		{domain.Diamond, domain.Gold, true, "降级"}, {domain.Silver, domain.Ordinary, true, "降级"},
		{domain.Gold, domain.Gold, true, "持平"}, {domain.Ordinary, domain.Ordinary, true, "持平"},
		{"", domain.Diamond, false, "新进"}, {domain.Ordinary, domain.Ordinary, false, "新进"},
	}
	for _, c := range cases {
		if got := Change(c.prev, c.cur, c.had); got != c.want {
			t.Errorf("Change(%s, %s, %v) = %s; want %s", c.prev, c.cur, c.had, got, c.want)
		}
	}
}

var gradeUnits = []domain.Unit{
	{Code: "C0", Kind: domain.CityCenter},
	{Code: "PB", Kind: domain.Professional, Line: "包裹"},
	{Code: "PS", Kind: domain.Professional, Line: "速递"},
	{Code: "D1", Kind: domain.District},
	{Code: "T1", Kind: domain.Team, Parent: "D1"},
	{Code: "W1", Kind: domain.Window, Parent: "D1"},
	{Code: "W2", Kind: domain.Window},
	{Code: "T9", Kind: domain.Team, Parent: "PB"},
}

func coop(id string, cat domain.Category, line, territory string) domain.Customer {
	return domain.Customer{ID: id, Name: "客户" + id, Category: cat, MainLine: line, Status: domain.Cooperating, Territory: territory}
}

func TestGrade(t *testing.T) {
	c1 := coop("c1", domain.Comprehensive, "", "D1")
	c2 := coop("c2", domain.Specialized, "包裹", "D1")
	c3 := coop("c3", domain.Comprehensive, "", "T1")
	c4 := coop("c4", domain.Comprehensive, "", "W2")
	c5 := coop("c5", domain.Comprehensive, "", "W1")
	c5.Status = domain.Potential
	c6 := coop("c6", domain.Comprehensive, "", "D1")
	c6.Status = domain.Potential
	c7 := coop("c7", domain.Specialized, "集邮", "D1")
	c8 := coop("c8", domain.Comprehensive, "", "D1")
	c9 := coop("c9", domain.Comprehensive, "", "ZZ")
	c10 := coop("c10", domain.Comprehensive, "", "T9")
	c11 := coop("c11", domain.Specialized, "", "D1")
	c12 := coop("c12", domain.Specialized, "速递", "D1")
	c13 := coop("c13", domain.Comprehensive, "", "PB")
	in := GradeInput{
		Quarter:   domain.Quarter{Year: 2026, Q: 2},
		Customers: []domain.Customer{c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13},
		Cumulative: map[string]domain.Money{
			"c1": 500_000 * yuan, "c2": 40_000 * yuan, "c3": 15_000 * yuan, "c4": 15_000 * yuan, "c5": 75_000 * yuan,
			"c7": 3 * yuan, "c8": -20 * yuan, "c10": 0, "c12": 499_999_99, "X": 1 * yuan,
		},
		PrevCumulative: map[string]domain.Money{
			"c1": 200_000 * yuan, "c2": 40_000 * yuan, "c3": 20_000 * yuan, "c8": 5 * yuan, "c12": 300_000 * yuan,
		},
		Units:  gradeUnits,
		Scheme: defaultScheme(),
	}
	got, warnings := Grade(in)
	want := []domain.CustomerGrade{
		{Customer: c1, Cumulative: 500_000 * yuan, Level: 2, Tier: domain.Diamond, PrevCumulative: 200_000 * yuan, PrevLevel: 3, PrevTier: domain.Gold, Change: "升级", Responsible: "C0", PrevResponsible: "D1"},
		{Customer: c12, Cumulative: 499_999_99, Level: 3, Tier: domain.Gold, PrevCumulative: 300_000 * yuan, PrevLevel: 2, PrevTier: domain.Diamond, Change: "降级", Responsible: "PS", PrevResponsible: "C0"},
		{Customer: c5, Cumulative: 75_000 * yuan, Level: 5, Tier: domain.Silver, Change: "新进", Responsible: "D1"},
		{Customer: c2, Cumulative: 40_000 * yuan, Level: 6, Tier: domain.Silver, PrevCumulative: 40_000 * yuan, PrevLevel: 5, PrevTier: domain.Silver, Change: "持平", Responsible: "PB", PrevResponsible: "PB"},
		{Customer: c3, Cumulative: 15_000 * yuan, Level: 7, Tier: domain.Ordinary, PrevCumulative: 20_000 * yuan, PrevLevel: 6, PrevTier: domain.Silver, Change: "降级", Responsible: "D1", PrevResponsible: "D1"},
		{Customer: c4, Cumulative: 15_000 * yuan, Level: 7, Tier: domain.Ordinary, PrevLevel: 8, PrevTier: domain.Ordinary, Change: "持平"},
		{Customer: c7, Cumulative: 3 * yuan, Level: 8, Tier: domain.Ordinary, PrevLevel: 8, PrevTier: domain.Ordinary, Change: "持平"},
		{Customer: c10, Cumulative: 0, Level: 8, Tier: domain.Ordinary, PrevLevel: 8, PrevTier: domain.Ordinary, Change: "持平"},
		{Customer: c11, Cumulative: 0, Level: 8, Tier: domain.Ordinary, PrevLevel: 8, PrevTier: domain.Ordinary, Change: "持平"},
		{Customer: c13, Cumulative: 0, Level: 8, Tier: domain.Ordinary, PrevLevel: 8, PrevTier: domain.Ordinary, Change: "持平"},
		{Customer: c9, Cumulative: 0, Level: 8, Tier: domain.Ordinary, PrevLevel: 8, PrevTier: domain.Ordinary, Change: "持平"},
		{Customer: c8, Cumulative: -20 * yuan, Level: 8, Tier: domain.Ordinary, PrevCumulative: 5 * yuan, PrevLevel: 8, PrevTier: domain.Ordinary, Change: "持平", Responsible: "D1", PrevResponsible: "D1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Grade:\n got  %s\n want %s", dumpGrades(got), dumpGrades(want))
	}
	wantWarn := map[string]string{
		"c4": "没有所属镇区局", "c5": "潜在", "c7": "集邮", "c9": "不存在", "c10": "没有所属镇区局", "c11": "没有填写主营业务", "c13": "不属于任何镇区局", "X": "不存在",
	}
	if len(warnings) != len(wantWarn) {
		t.Errorf("warnings = %v; want one each for %v", warnings, wantWarn)
	}
	for _, w := range warnings {
		if frag, ok := wantWarn[w.Customer]; !ok || !strings.Contains(w.Message, frag) {
			t.Errorf("warning %+v; want one for %s containing %q", w, w.Customer, frag)
		}
	}
}

func dumpGrades(gs []domain.CustomerGrade) string {
	var b strings.Builder
	for _, g := range gs {
		fmt.Fprintf(&b, "\n  %s L%d %s %s | prev L%d %s %s | %s %s (was %s)", g.Customer.ID, g.Level, g.Tier, g.Cumulative.Yuan(),
			g.PrevLevel, g.PrevTier, g.PrevCumulative.Yuan(), g.Change, g.Responsible, g.PrevResponsible)
	}
	return b.String()
}

func TestGradeQ1ComparesWithLastYearQ4(t *testing.T) {
	c := coop("c", domain.Comprehensive, "", "D1")
	got, _ := Grade(GradeInput{
		Quarter:        domain.Quarter{Year: 2026, Q: 1},
		Customers:      []domain.Customer{c},
		Cumulative:     map[string]domain.Money{"c": 250_000 * yuan},
		PrevCumulative: map[string]domain.Money{"c": 600_000 * yuan},
		Units:          gradeUnits,
		Scheme:         defaultScheme(),
	})
	// Last year's 600,000 against the full-year thresholds is L3 gold (against Q1's 25% it would be diamond).
	if len(got) != 1 || got[0].Level != 2 || got[0].PrevLevel != 3 || got[0].Change != "升级" {
		t.Errorf("Q1 grade = %s; want L2 from L3, 升级", dumpGrades(got))
	}
}

func TestGradeWithoutCityCenter(t *testing.T) {
	c := coop("c", domain.Comprehensive, "", "D1")
	got, warnings := Grade(GradeInput{
		Quarter: domain.Quarter{Year: 2026, Q: 4}, Customers: []domain.Customer{c},
		Cumulative: map[string]domain.Money{"c": 2_000_000 * yuan},
		Units:      gradeUnits[1:], Scheme: defaultScheme(),
	})
	if len(got) != 1 || got[0].Tier != domain.Diamond || got[0].Responsible != "" || len(warnings) != 1 || !strings.Contains(warnings[0].Message, "市局大客户中心") {
		t.Errorf("grade %s, warnings %v; want diamond with no responsible unit and a warning", dumpGrades(got), warnings)
	}
}

func BenchmarkGrade(b *testing.B) {
	const n = 200_000
	in := GradeInput{
		Quarter:        domain.Quarter{Year: 2026, Q: 3},
		Customers:      make([]domain.Customer, n),
		Cumulative:     make(map[string]domain.Money, n),
		PrevCumulative: make(map[string]domain.Money, n),
		Units:          gradeUnits,
		Scheme:         defaultScheme(),
	}
	territories := []string{"D1", "T1", "W1"}
	for i := range n {
		id := fmt.Sprintf("C%07d", i)
		c := coop(id, domain.Comprehensive, "", territories[i%3])
		if i%4 == 0 {
			c.Category, c.MainLine = domain.Specialized, "包裹"
		}
		in.Customers[i] = c
		amount := domain.Money((i*7919)%1_000_000) * yuan
		in.Cumulative[id] = amount
		if i%5 != 0 {
			in.PrevCumulative[id] = amount / 2
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if got, _ := Grade(in); len(got) != n {
			b.Fatalf("graded %d", len(got))
		}
	}
}

func TestGradeDiamondFallingToGoldIsHandedOver(t *testing.T) {
	team := coop("team", domain.Comprehensive, "", "T1")
	parcel := coop("parcel", domain.Specialized, "包裹", "D1")
	got, warnings := Grade(GradeInput{
		Quarter:   domain.Quarter{Year: 2026, Q: 3},
		Customers: []domain.Customer{team, parcel},
		// Q3 diamond bar is 750,000 yuan; Q2's was 500,000.
		Cumulative:     map[string]domain.Money{"team": 750_000*yuan - 1, "parcel": 700_000 * yuan},
		PrevCumulative: map[string]domain.Money{"team": 500_000 * yuan, "parcel": 600_000 * yuan},
		Units:          gradeUnits,
		Scheme:         defaultScheme(),
	})
	if len(warnings) != 0 {
		t.Errorf("warnings %v; want none", warnings)
	}
	want := map[string][2]string{"team": {"C0", "D1"}, "parcel": {"C0", "PB"}}
	for _, g := range got {
		w := want[g.Customer.ID]
		if g.PrevTier != domain.Diamond || g.Tier != domain.Gold || g.Change != domain.ChangeDown || g.PrevResponsible != w[0] || g.Responsible != w[1] {
			t.Errorf("%s: %s; want diamond → gold, 降级, %s → %s", g.Customer.ID, dumpGrades([]domain.CustomerGrade{g}), w[0], w[1])
		}
	}
	if len(got) != 2 {
		t.Errorf("graded %d customers; want 2", len(got))
	}
}

// defaultScheme is the bureau's default table (config's defaults), for tests.
func defaultScheme() GradeScheme {
	const yuan = 100
	return GradeScheme{
		Thresholds: [8]domain.Money{5_000_000 * yuan, 1_000_000 * yuan, 600_000 * yuan, 300_000 * yuan, 150_000 * yuan, 80_000 * yuan, 30_000 * yuan, 0},
		Progress:   [4]domain.Ratio{2500, 5000, 7500, 10000},
		Tiers:      [8]domain.Tier{domain.Diamond, domain.Diamond, domain.Gold, domain.Gold, domain.Silver, domain.Silver, domain.Ordinary, domain.Ordinary},
	}
}
