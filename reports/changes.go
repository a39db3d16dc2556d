package reports

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"

	"kam/domain"
)

// ChangesSheet is the sheet a re-issued workbook lists its differences in (SPEC §5.2).
const ChangesSheet = "变更"

// changeKeys are the columns that name a row of a sheet, where the first
// column alone does not: a split line is its customer, line, units and agreement.
var changeKeys = map[string][]string{
	"分成明细": {"客户编号", "业务种类", "收入单位编码", "分成单位编码", "协议编号"},
}

// ChangeColumns are 变更's columns; 键 joins the row's key columns with " / " (an empty one as —).
var ChangeColumns = []Column{
	{Title: "工作表", Width: 12}, {Title: "变动", Width: 8}, {Title: "键", Width: 36}, {Title: "列", Width: 16},
	{Title: "原值", Width: 24}, {Title: "新值", Width: 24}, {Title: "差额", Kind: Amount},
}

// Change kinds, as 变更 says them.
const (
	ChangeAdded    = "新增"
	ChangeRemoved  = "删除"
	ChangeModified = "修改"
	wholeRow       = "（整行）"
)

// Revision makes a workbook a later version of one already issued (SPEC
// §5.2): 说明 says 第 N 版 and why, and, with a Baseline, a sheet 变更 lists
// every row that differs from it. Changes is set when the workbook is written.
type Revision struct {
	Version  int
	Why      []string
	Baseline *Baseline
	Changes  int // rows of the data sheets that differ from the baseline's
}

// Baseline is the data sheets of the version issued before, as stored: each
// cell's raw value (the number or text in the file).
type Baseline struct {
	sheets map[string]*sheetRows
}

// sheetRows is one logical table (a sheet and its continuations): its header and rows.
type sheetRows struct {
	head  []string
	kinds []ColKind // the new version's column kinds; unknown for a baseline
	rows  [][]string
}

// logical is the table a sheet belongs to: 分成明细2 continues 分成明细.
func logical(sheet string) string {
	base := strings.TrimRightFunc(sheet, unicode.IsDigit)
	if base == "" || base == sheet {
		return sheet
	}
	return base
}

// ReadBaseline reads an issued workbook's data sheets (all but 说明 and 变更) for comparison.
func ReadBaseline(r io.Reader) (*Baseline, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, fmt.Errorf("读取上一版报表: %w", err)
	}
	defer f.Close()
	b := &Baseline{sheets: map[string]*sheetRows{}}
	for _, sheet := range f.GetSheetList() {
		if sheet == "说明" || sheet == ChangesSheet {
			continue
		}
		rows, err := f.Rows(sheet)
		if err != nil {
			return nil, fmt.Errorf("读取上一版报表的 %s: %w", sheet, err)
		}
		name := logical(sheet)
		t := b.sheets[name]
		first := true
		for rows.Next() {
			cells, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("读取上一版报表的 %s: %w", sheet, err)
			}
			if first {
				first = false
				if t == nil {
					t = &sheetRows{head: cells}
					b.sheets[name] = t
				}
				continue
			}
			t.rows = append(t.rows, cells)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// capture keeps a table's rows as raw values while a Revision's workbook is written.
type capture struct {
	row  []string
	rows *sheetRows
}

// captureFor starts keeping sheet's rows, when the workbook is compared with a baseline.
func (b *Book) captureFor(sheet string, cols []Column) *capture {
	if b.rev == nil || b.rev.Baseline == nil || sheet == ChangesSheet {
		return nil
	}
	name := logical(sheet)
	t, ok := b.captured[name]
	if !ok {
		t = &sheetRows{}
		for _, c := range cols {
			t.head = append(t.head, c.Title)
			t.kinds = append(t.kinds, c.Kind)
		}
		b.captured[name] = t
		b.capturedOrder = append(b.capturedOrder, name)
	}
	return &capture{rows: t}
}

// Change is one row of 变更.
type Change struct {
	Sheet, Kind, Key, Column string
	Old, New                 string
	Diff                     domain.Money
	HasDiff                  bool
}

// diffTables compares one logical table's rows, keyed by its key columns
// (the first column by default; a repeated key is told apart by its occurrence).
func diffTables(sheet string, was, now *sheetRows) (changes []Change, rows int, err error) {
	keyCols := changeKeys[sheet]
	if len(keyCols) == 0 && len(now.head) > 0 {
		keyCols = now.head[:1]
	}
	var keyAt []int
	for _, k := range keyCols {
		if i := slices.Index(now.head, k); i >= 0 {
			keyAt = append(keyAt, i)
		}
	}
	// Columns compared: those both versions have, by title.
	type col struct {
		title     string
		kind      ColKind
		old, next int
	}
	var cols []col
	for i, t := range now.head {
		if j := slices.Index(was.head, t); j >= 0 {
			cols = append(cols, col{title: t, kind: now.kinds[i], old: j, next: i})
		}
	}
	oldKeyAt := make([]int, len(keyAt))
	for i, k := range keyAt {
		oldKeyAt[i] = slices.Index(was.head, now.head[k])
	}
	keyOf := func(row []string, at []int) string {
		parts := make([]string, len(at))
		for i, c := range at {
			if parts[i] = cellAt(row, c); parts[i] == "" {
				parts[i] = "—" // an empty key cell (a split row without an agreement) still shows its place
			}
		}
		return strings.Join(parts, " / ")
	}
	index := func(rows [][]string, at []int) (map[string][]string, []string) {
		m := make(map[string][]string, len(rows))
		order := make([]string, 0, len(rows))
		seen := map[string]int{}
		for _, r := range rows {
			k := keyOf(r, at)
			seen[k]++
			if seen[k] > 1 {
				k += fmt.Sprintf("（第 %d 行）", seen[k])
			}
			m[k] = r
			order = append(order, k)
		}
		return m, order
	}
	oldRows, oldOrder := index(was.rows, oldKeyAt)
	newRows, newOrder := index(now.rows, keyAt)
	amountRows := func(kind string, row []string, side int, key string) error {
		var whole []string
		for _, c := range cols {
			at := c.next
			if side < 0 {
				at = c.old
			}
			if v := cellAt(row, at); v != "" {
				whole = append(whole, c.title+"="+display(c.kind, v))
			}
		}
		ch := Change{Sheet: sheet, Kind: kind, Key: key, Column: wholeRow}
		if side > 0 {
			ch.New = strings.Join(whole, "；")
		} else {
			ch.Old = strings.Join(whole, "；")
		}
		changes = append(changes, ch)
		for _, c := range cols {
			if c.kind != Amount {
				continue
			}
			at := c.next
			if side < 0 {
				at = c.old
			}
			v := cellAt(row, at)
			m, err := rawFen(v)
			if err != nil {
				return fmt.Errorf("%s %s %s: %w", sheet, key, c.title, err)
			}
			if m == 0 {
				continue // an empty or zero amount added or removed changes no sum
			}
			ch := Change{Sheet: sheet, Kind: kind, Key: key, Column: c.title, HasDiff: true, Diff: m}
			if side > 0 {
				ch.New = display(c.kind, v)
			} else {
				ch.Old, ch.Diff = display(c.kind, v), -m
			}
			changes = append(changes, ch)
		}
		return nil
	}
	for _, k := range newOrder {
		n := newRows[k]
		o, ok := oldRows[k]
		if !ok {
			rows++
			if err := amountRows(ChangeAdded, n, 1, k); err != nil {
				return nil, 0, err
			}
			continue
		}
		differs := false
		for _, c := range cols {
			ov, nv := cellAt(o, c.old), cellAt(n, c.next)
			if ov == nv {
				continue
			}
			ch := Change{Sheet: sheet, Kind: ChangeModified, Key: k, Column: c.title, Old: display(c.kind, ov), New: display(c.kind, nv)}
			if c.kind == Amount {
				om, err1 := rawFen(ov)
				nm, err2 := rawFen(nv)
				if err1 != nil || err2 != nil {
					return nil, 0, fmt.Errorf("%s %s %s: 金额无法比较", sheet, k, c.title)
				}
				if om == nm {
					continue
				}
				d, ok := domain.Difference(nm, om)
				if !ok {
					return nil, 0, domain.Overflowf("%s %s %s 的差额", sheet, k, c.title)
				}
				ch.Diff, ch.HasDiff = d, true
			}
			differs = true
			changes = append(changes, ch)
		}
		if differs {
			rows++
		}
	}
	for _, k := range oldOrder {
		if _, ok := newRows[k]; ok {
			continue
		}
		rows++
		if err := amountRows(ChangeRemoved, oldRows[k], -1, k); err != nil {
			return nil, 0, err
		}
	}
	return changes, rows, nil
}

func cellAt(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return row[i]
}

// rawFen reads an amount cell's raw value (yuan, an exact decimal) as fen; empty is 0.
func rawFen(v string) (domain.Money, error) {
	if v == "" {
		return 0, nil
	}
	return domain.ParseMoney(v)
}

// display is a raw value as 变更 shows it: yuan with two decimals, a date, a percentage.
func display(kind ColKind, v string) string {
	if v == "" {
		return ""
	}
	switch kind {
	case Amount:
		if m, err := domain.ParseMoney(v); err == nil {
			return m.Yuan()
		}
	case Day:
		if n, err := strconv.Atoi(v); err == nil {
			return domain.Date(n).String()
		}
	case Percent:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return strconv.FormatFloat(f*100, 'f', 2, 64) + "%"
		}
	}
	return v
}

// Diff compares the workbook's captured tables with its baseline's.
func (r *Revision) diff(order []string, now map[string]*sheetRows) ([]Change, int, error) {
	var all []Change
	total := 0
	for _, name := range order {
		was, ok := r.Baseline.sheets[name]
		if !ok {
			was = &sheetRows{head: now[name].head}
		}
		ch, n, err := diffTables(name, was, now[name])
		if err != nil {
			return nil, 0, err
		}
		all, total = append(all, ch...), total+n
	}
	for name, was := range r.Baseline.sheets {
		if _, ok := now[name]; ok || len(was.rows) == 0 {
			continue
		}
		// A table the new version no longer has: its rows are gone.
		t := &sheetRows{head: was.head, kinds: make([]ColKind, len(was.head))}
		ch, n, err := diffTables(name, was, t)
		if err != nil {
			return nil, 0, err
		}
		all, total = append(all, ch...), total+n
	}
	return all, total, nil
}

// writeRevision adds the version to 说明 and, with a baseline, the sheet 变更.
func (b *Book) writeRevision() error {
	r := b.rev
	b.Note("版本", fmt.Sprintf("第 %d 版", r.Version))
	if len(r.Why) > 0 {
		b.Note("更正原因", strings.Join(r.Why, "；"))
	}
	if r.Baseline == nil {
		return nil
	}
	changes, n, err := r.diff(b.capturedOrder, b.captured)
	if err != nil {
		return err
	}
	r.Changes = n
	b.About(ChangesSheet, fmt.Sprintf("与第 %d 版相比不同的每一行（%d 行）：新增、删除的行先列整行，再列每个金额；修改的行每列一行。差额 = 新值 − 原值，到分。键：该行的编号（分成明细为 客户编号 / 业务种类 / 收入单位编码 / 分成单位编码 / 协议编号）",
		r.Version-1, n))
	return b.Table(ChangesSheet, ChangeColumns, func(add func(...any) error) error {
		for _, c := range changes {
			var diff any
			if c.HasDiff {
				diff = c.Diff
			}
			if err := add(c.Sheet, c.Kind, c.Key, c.Column, c.Old, c.New, diff); err != nil {
				return err
			}
		}
		return nil
	})
}
