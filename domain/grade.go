package domain

import "fmt"

// Tier is one of the four grades staff see (第八条). Stored by its English code.
type Tier string

const (
	Diamond  Tier = "diamond"  // 钻石
	Gold     Tier = "gold"     // 黄金
	Silver   Tier = "silver"   // 白银
	Ordinary Tier = "ordinary" // 普通
)

// Tiers from the highest down, with Chinese labels.
var Tiers = []Enum[Tier]{
	{Code: Diamond, Label: "钻石"}, {Code: Gold, Label: "黄金"}, {Code: Silver, Label: "白银"}, {Code: Ordinary, Label: "普通"},
}

// Label is the Chinese name: 钻石/黄金/白银/普通.
func (t Tier) Label() string { return LabelOf(Tiers, t) }

// Rank orders tiers: Diamond 4 … Ordinary 1, 0 for anything else.
func (t Tier) Rank() int {
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

// GradeTable is the configured grading table (第八条): annual thresholds per
// level, the share of a year each quarter-end must reach, and each level's tier.
type GradeTable struct {
	Thresholds [8]Money // annual, fen; T1 > … > T8 = 0 (config grading.thresholds)
	Progress   [4]Ratio // quarter-end share of the year, basis points (config grading.progress)
	Tiers      [8]Tier  // tier of each level (config grading.tiers)
}

// What 变动 says.
const (
	ChangeUp   = "升级"
	ChangeDown = "降级"
	ChangeSame = "持平"
	ChangeNew  = "新进"
)

// CustomerGrade is one line of 分级结果.
type CustomerGrade struct {
	Customer       Customer
	Cumulative     Money
	Level          int // 1..8
	Tier           Tier
	PrevCumulative Money
	PrevLevel      int    // 0 when not graded last quarter
	PrevTier       Tier   // "" when not graded last quarter
	Change         string // 升级/降级/持平/新进
	Responsible    string // 负责单位编码; "" when it cannot be found (a Warning says why)
	// PrevResponsible is the unit in charge at PrevTier, from today's customer
	// data (no history is kept); "" when not graded last quarter or not found.
	PrevResponsible string
}

// MonthLine is one (month, business line) pair: the unit a revenue file replaces.
type MonthLine struct {
	Month Month
	Line  string
}

// MonthSpan is the months From … To, both included.
type MonthSpan struct{ From, To Month }
