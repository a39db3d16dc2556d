package loaders

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"kam/domain"
)

// Column is one column of an extract: its Chinese label (as staff write it),
// its English name, and whether a file may leave it out.
type Column struct {
	Label    string
	Name     string
	Optional bool
}

// Column positions inside each kind's list below; the loaders index by them.
const (
	uCode, uName, uKind, uParent, uLine, uEmail = 0, 1, 2, 3, 4, 5

	mStaff, mName, mUnit, mStatus = 0, 1, 2, 3

	cID, cName, cCredit, cIndustry, cCategory, cMainLine, cStatus, cStrategic, cTerritory, cSigning, cManagerA, cManagerB = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	// cArchive is the first of the customers' optional archive columns, in domain.ArchiveField order.
	cArchive = 12

	rCustomer, rMonth, rLine, rUnit, rAmount = 0, 1, 2, 3, 4

	clID, clCustomer, clUnit, clStaff, clRegistered, clConfirmed, clType, clPeriod, clDeveloped = 0, 1, 2, 3, 4, 5, 6, 7, 8

	sID, sCustomer, sFrom, sTo, sLine, sUnit, sRatio = 0, 1, 2, 3, 4, 5, 6

	tStaff, tMonth, tCustomer, tCustomerName, tProject = 0, 1, 2, 3, 4

	vID, vCustomer, vOn, vKind, vStaff, vContact, vNotes, vNext = 0, 1, 2, 3, 4, 5, 6, 7
)

var kindColumns = map[domain.Kind][]Column{
	domain.KindUnits: {
		{"单位编码", "unit_code", false}, {"单位名称", "unit_name", false}, {"单位类型", "unit_kind", false},
		{"上级单位编码", "parent_code", true}, {"专业", "business_line", true}, {"邮箱", "email", true},
	},
	domain.KindManagers: {
		{"工号", "staff_id", false}, {"姓名", "name", false}, {"所属单位编码", "unit_code", false}, {"状态", "status", false},
	},
	domain.KindCustomers: {
		{"客户编号", "customer_id", false}, {"客户名称", "customer_name", false}, {"统一社会信用代码", "credit_code", false},
		{"行业", "industry", false}, {"客户类别", "category", false}, {"主营业务", "main_line", true},
		{"合作状态", "status", false}, {"战略客户", "strategic", false}, {"属地单位编码", "territory_unit", false},
		{"签约单位编码", "signing_unit", false}, {"A角工号", "manager_a", false}, {"B角工号", "manager_b", true},
		// 信息档案 (档案管理): optional; a column a file leaves out keeps what is stored.
		{"通信地址", "address", true}, {"邮政编码", "postcode", true}, {"业务联系人", "contact_name", true},
		{"联系电话", "contact_phone", true}, {"联系邮箱", "contact_email", true},
	},
	domain.KindRevenue: {
		{"客户编号", "customer_id", false}, {"月份", "month", false}, {"业务种类", "business_line", false},
		{"收入单位编码", "unit_code", false}, {"收入金额", "amount", false},
	},
	domain.KindClaims: {
		{"申报编号", "claim_id", false}, {"客户编号", "customer_id", false}, {"申报单位编码", "unit_code", false},
		{"客户经理工号", "staff_id", false}, {"申报日期", "registered_on", false}, {"确认日期", "confirmed_on", true},
		{"项目类型", "project_type", false}, {"开发期限月数", "period_months", true}, {"开发成功日期", "developed_on", true},
	},
	domain.KindSplits: {
		{"协议编号", "agreement_id", false}, {"客户编号", "customer_id", false}, {"生效月份", "from_month", false},
		{"失效月份", "to_month", true}, {"业务种类", "business_line", true}, {"分成单位编码", "unit_code", false},
		{"分成比例", "ratio", false},
	},
	domain.KindTargets: {
		// 客户编号 and 客户名称 are each optional, but a file needs at least one of them.
		{"工号", "staff_id", false}, {"目标月份", "month", false}, {"客户编号", "customer_id", true},
		{"客户名称", "customer_name", true}, {"项目", "project", false},
	},
	domain.KindVisits: {
		{"走访编号", "visit_id", false}, {"客户编号", "customer_id", false}, {"走访日期", "visited_on", false},
		{"走访方式", "visit_kind", false}, {"客户经理工号", "staff_id", false}, {"联系人", "contact", true},
		{"内容", "notes", true}, {"下次联系日期", "next_contact_on", true},
	},
}

// Columns lists a kind's columns in canonical order.
func Columns(k domain.Kind) []Column {
	return append([]Column(nil), kindColumns[k]...)
}

// Header is a kind's canonical Chinese header row, as the generator writes it and staff see it documented.
func Header(k domain.Kind) []string {
	cols := kindColumns[k]
	h := make([]string, len(cols))
	for i, c := range cols {
		h[i] = c.Label
	}
	return h
}

// NormalizeHeader is how header cells compare: in Unicode NFKC (full-width
// letters and brackets read as ASCII), without spaces, full-width spaces or
// underscores (and a stray byte-order mark), lower case.
func NormalizeHeader(s string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if r == '_' || r == '\uFEFF' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, norm.NFKC.String(s)))
}

// columnUnits are the units a column's header may name in brackets
// (收入金额（元）, 分成比例(%)): the units kam reads the column in. A header
// naming another unit (收入金额（万元）) is not that column: kam does not convert.
var columnUnits = map[string][]string{
	"收入金额":   {"元", "人民币元", "人民币", "rmb", "cny", "yuan", "¥"},
	"分成比例":   {"%", "百分比", "百分数", "percent"},
	"开发期限月数": {"月", "个月", "month", "months"},
}

// headerNotes may follow any column's name in brackets: they say how to fill
// it in, not what it holds.
var headerNotes = []string{"必填", "选填", "可选", "非必填", "required", "optional"}

// cutHeaderUnit splits a normalised header into its name and what a trailing
// bracket holds: 收入金额(元) → 收入金额, 元. ok is false without such a bracket.
func cutHeaderUnit(h string) (name, unit string, ok bool) {
	for _, b := range [][2]string{{"(", ")"}, {"[", "]"}, {"【", "】"}} {
		if !strings.HasSuffix(h, b[1]) {
			continue
		}
		i := strings.LastIndex(h, b[0])
		if i <= 0 {
			return "", "", false
		}
		return h[:i], h[i+len(b[0]) : len(h)-len(b[1])], true
	}
	return "", "", false
}

// unitFits reports whether a bracketed unit may follow column label's name.
func unitFits(label, unit string) bool {
	return slices.Contains(headerNotes, unit) || slices.Contains(columnUnits[label], unit)
}

// unitHint says why a header with a bracketed unit does not name column label, in plain Chinese.
func unitHint(label, unit string) string {
	if units := columnUnits[label]; len(units) > 0 {
		return fmt.Sprintf("「%s」应以%s为单位，括号中写的是「%s」；kam 不换算单位，请换算后把表头写成「%s」或「%s（%s）」",
			label, units[0], unit, label, label, units[0])
	}
	return fmt.Sprintf("「%s」列的表头括号中只能写「必填」「选填」之类的说明，写的是「%s」；请把表头写成「%s」", label, unit, label)
}

type colRef struct {
	kind domain.Kind
	col  int
}

// headerNames maps each normalised Chinese and English column name to the kinds' columns it names.
var headerNames = func() map[string][]colRef {
	m := map[string][]colRef{}
	for _, k := range domain.LoadOrder {
		for i, c := range kindColumns[k] {
			for _, n := range []string{NormalizeHeader(c.Label), NormalizeHeader(c.Name)} {
				m[n] = append(m[n], colRef{k, i})
			}
		}
	}
	return m
}()

// headerScanRows is how far down a file its header may sit (title rows above it are normal).
const headerScanRows = 20

// headerMatch is how one row fits one kind's header.
type headerMatch struct {
	kind     domain.Kind
	pos      []int // file column of each of the kind's columns, -1 when absent
	found    int   // columns of the kind present
	required int   // required columns present
	missing  []string
	dup      string   // a column written twice, as a reason
	cells    []string // the row as written (kept for the closest incomplete match only)
	// misfit is, per column of the kind, the file column whose header names it
	// with a unit in brackets kam does not read it in (收入金额（万元）), -1 for none.
	misfit []int
	row    int    // the row's spreadsheet row number (kept with cells)
	sheet  string // the workbook sheet it is on, "" in a CSV
}

// unitProblem is the reason a column present only under a wrong unit rejects the file, "" when none is.
func (m headerMatch) unitProblem(cells []string) string {
	for j, fileCol := range m.misfit {
		if fileCol >= 0 && m.pos[j] < 0 {
			label := kindColumns[m.kind][j].Label
			_, unit, _ := cutHeaderUnit(NormalizeHeader(cells[fileCol]))
			return fmt.Sprintf("表头第 %d 列「%s」：%s", fileCol+1, visible(cells[fileCol]), unitHint(label, unit))
		}
	}
	return ""
}

func (m headerMatch) complete() bool { return len(m.missing) == 0 }

// matchHeader measures a row against every kind, in load order.
func matchHeader(cells []string) []headerMatch {
	ms := make([]headerMatch, len(domain.LoadOrder))
	idx := map[domain.Kind]int{}
	for i, k := range domain.LoadOrder {
		pos := make([]int, len(kindColumns[k]))
		for j := range pos {
			pos[j] = -1
		}
		ms[i] = headerMatch{kind: k, pos: pos}
		idx[k] = i
	}
	for fileCol, cell := range cells {
		h := NormalizeHeader(cell)
		refs, unit := headerNames[h], ""
		if name, u, ok := cutHeaderUnit(h); refs == nil && ok {
			refs, unit = headerNames[name], u
		}
		for _, ref := range refs {
			m := &ms[idx[ref.kind]]
			if label := kindColumns[ref.kind][ref.col].Label; unit != "" && !unitFits(label, unit) {
				if m.misfit == nil {
					m.misfit = make([]int, len(m.pos))
					for j := range m.misfit {
						m.misfit[j] = -1
					}
				}
				if m.misfit[ref.col] < 0 {
					m.misfit[ref.col] = fileCol
				}
				continue
			}
			if prev := m.pos[ref.col]; prev >= 0 {
				if m.dup == "" {
					m.dup = fmt.Sprintf("表头中「%s」列出现了两次（第 %d 列和第 %d 列），请删去一列", kindColumns[ref.kind][ref.col].Label, prev+1, fileCol+1)
				}
				continue
			}
			m.pos[ref.col] = fileCol
			m.found++
			if !kindColumns[ref.kind][ref.col].Optional {
				m.required++
			}
		}
	}
	for i := range ms {
		for j, c := range kindColumns[ms[i].kind] {
			if !c.Optional && ms[i].pos[j] < 0 {
				ms[i].missing = append(ms[i].missing, c.Label)
			}
		}
	}
	return ms
}

// recognizeHeader picks the kind a row is the header of: every required
// column present; between two such kinds the one with more of its columns
// present wins, and a tie is an error. ok is false when no kind is complete.
func recognizeHeader(cells []string) (best headerMatch, ok bool, err *headerError) {
	ms := matchHeader(cells)
	var tie *headerMatch
	for i := range ms {
		m := ms[i]
		if !m.complete() {
			continue
		}
		switch {
		case !ok || m.found > best.found:
			best, ok, tie = m, true, nil
		case m.found == best.found:
			tie = &ms[i]
		}
	}
	if !ok {
		return closest(ms), false, nil
	}
	if tie != nil {
		return best, true, &headerError{FileError: &FileError{Reason: fmt.Sprintf("表头同时符合「%s」和「%s」两种文件，无法判断文件类型；请删去多余的列",
			domain.KindLabels[best.kind], domain.KindLabels[tie.kind])}, ambiguous: true}
	}
	if best.dup != "" {
		return best, true, &headerError{FileError: &FileError{Reason: best.dup}}
	}
	if reason := best.unitProblem(cells); reason != "" { // an optional column kam cannot read as written
		return best, true, &headerError{FileError: &FileError{Reason: reason}}
	}
	if best.kind == domain.KindTargets && best.pos[tCustomer] < 0 && best.pos[tCustomerName] < 0 {
		return best, true, &headerError{FileError: &FileError{Reason: "目标文件需要「客户编号」或「客户名称」列（至少一列）"}}
	}
	return best, true, nil
}

// closest is the incomplete match with the most required columns present (the share of them breaks ties).
func closest(ms []headerMatch) headerMatch {
	best := ms[0]
	for _, m := range ms[1:] {
		if m.required > best.required || (m.required == best.required && len(m.missing) < len(best.missing)) {
			best = m
		}
	}
	return best
}

// unrecognizedHeader is the file-level reason when no row within the scan is a complete header.
func unrecognizedHeader(near headerMatch) *FileError {
	if near.required == 0 {
		return &FileError{Reason: fmt.Sprintf("无法识别文件类型：前 %d 行中没有找到表头（例如收入文件应有 %s 这几列）",
			headerScanRows, strings.Join(Header(domain.KindRevenue), "、"))}
	}
	missing := make([]string, len(near.missing))
	for i, label := range near.missing {
		missing[i] = label
		if col, ok := near.misfitOf(label); ok {
			_, unit, _ := cutHeaderUnit(NormalizeHeader(near.cells[col]))
			missing[i] += fmt.Sprintf("（表头第 %d 列是「%s」：%s）", col+1, visible(near.cells[col]), unitHint(label, unit))
		} else if col, cell, ok := near.lookalike(label); ok {
			missing[i] += fmt.Sprintf("（表头第 %d 列是「%s」，是否写错了？）", col+1, visible(cell))
		}
	}
	return &FileError{Reason: fmt.Sprintf("无法识别文件类型：前 %d 行中没有完整的表头；最接近「%s」文件，缺少列：%s",
		headerScanRows, domain.KindLabels[near.kind], strings.Join(missing, "、")), Header: near.fault()}
}

// misfitOf is the file column that names the kind's column label with a unit kam does not read it in.
func (m headerMatch) misfitOf(label string) (int, bool) {
	for j, c := range kindColumns[m.kind] {
		if c.Label == label && m.misfit != nil && m.misfit[j] >= 0 && m.misfit[j] < len(m.cells) {
			return m.misfit[j], true
		}
	}
	return 0, false
}

// lookalike finds the header cell, not taken by another of the kind's
// columns, that is closest to a missing column's name: a misspelling, a
// look-alike character, a stray invisible one.
func (m headerMatch) lookalike(label string) (col int, cell string, ok bool) {
	taken := map[int]bool{}
	for _, p := range m.pos {
		taken[p] = true
	}
	var names []string
	for _, c := range kindColumns[m.kind] {
		if c.Label == label {
			names = []string{NormalizeHeader(c.Label), NormalizeHeader(c.Name)}
		}
	}
	best := -1
	for i, cell := range m.cells {
		h := NormalizeHeader(cell)
		if taken[i] || h == "" {
			continue
		}
		for _, n := range names {
			d := editDistance([]rune(h), []rune(n))
			if d <= max(1, len([]rune(n))/2) && (best < 0 || d < best) {
				best, col = d, i
			}
		}
	}
	if best < 0 {
		return 0, "", false
	}
	return col, m.cells[col], true
}

// visible shows a header cell with its invisible characters written out (月\u200B份).
func visible(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsGraphic(r) || r == '\u00A0' || r == '\u3000' || r == '\uFEFF' {
			fmt.Fprintf(&b, "\\u%04X", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
