// Package reports renders kam's workbooks. Every sheet goes through Book.Table
// so all reports share one look: bold frozen header, filter buttons, sensible
// widths, amounts as #,##0.00 yuan, real date cells, and text that is never
// read as a formula.
package reports

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"kam/domain"
)

// ColKind says how a column's values are written.
type ColKind int

const (
	Text    ColKind = iota // strings, written as text whatever they start with
	Amount                 // domain.Money, shown in yuan #,##0.00
	Day                    // domain.Date, a real date cell
	Count                  // integers
	Percent                // domain.Ratio or a basis-point change, shown 0.00%
	Share                  // domain.Ratio shown as a plain percentage number 33.33 (finance imports it)
	WanYuan                // domain.Money shown in 万元 #,##0.00, for charts; the column title says 万元
)

// Column is one column of a table.
type Column struct {
	Title string
	Kind  ColKind
	Width float64 // 0: chosen from the title and kind
	Wrap  bool    // long text wraps within Width instead of widening the column
	// Problem, when not "", marks the header cell red with it as its comment
	// (a fix sheet's header cell that kam could not read).
	Problem string
}

// Tone colours a cell: 升级 green, 降级 red, warnings amber.
type Tone int

const (
	Plain Tone = iota
	Good
	Bad
	Warn
)

// Cell carries a value with a tone or a comment; plain values may be passed as they are.
type Cell struct {
	V       any
	Tone    Tone
	Comment string // shown when the pointer rests on the cell (an Excel note); "" for none
}

// commentAuthor signs the comments kam puts on cells.
const commentAuthor = "kam"

// sampleRows is how many rows size a table's text columns; maxTextWidth caps them.
const (
	sampleRows   = 200
	maxTextWidth = 60
)

// Meta says what a workbook is. The caller fills it; it becomes the document
// properties, every printed page's header and the 说明 sheet.
type Meta struct {
	Report      string    // what the workbook is, e.g. 客户分级结果; the report function sets it when empty
	Period      string    // e.g. 2026Q2, 2026-06, 2026-07-15
	GeneratedAt time.Time // in the configured zone; the document's created time
	Run         int64     // the run that wrote it; 0 when no run did (an error workbook)
	DataAsOf    string    // the latest file loaded, as staff know it; "" when unknown
	Settings    []Setting // the configuration that shaped the report
	// Unit is set on a centre's own workbook (SPEC §5): its code and name, and
	// Scope says which rows it holds; the city-wide workbook leaves them empty.
	Unit, UnitName, Scope string
	// Revisions make the workbook of a unit ("" the city's) a later version of
	// one issued before (SPEC §5.2): 第 N 版, why, and its 变更 sheet.
	Revisions map[string]*Revision
}

// unitLabel is "D01 东城镇区局", or "" for the city-wide workbook.
func (m Meta) unitLabel() string { return strings.TrimSpace(m.Unit + " " + m.UnitName) }

// Book is a workbook being written; sheets appear in the order Table is called.
type Book struct {
	f         *excelize.File
	meta      Meta
	sheets    []*sheetInfo
	styles    map[[3]int]int // kind, tone, wrapped
	header    int
	badHeader int       // badHeaderStyle's
	notes     []Setting // extra 说明 rows the report adds (thresholds, alert rules)
	extra     []extraTable
	dims      map[string]string     // placeholder dimension → the sheet's true used range
	rows      map[string]*tableRows // placeholder dimension → the table's data rows
	closed    bool
	rev       *Revision // set when the workbook re-issues an earlier version
	// captured are the data tables' raw rows, kept to compare with rev's baseline.
	captured      map[string]*sheetRows
	capturedOrder []string
}

type sheetInfo struct {
	name  string
	about string
	rows  int // data rows below the header
	chart bool
}

type extraTable struct {
	title string
	cols  []Column
	rows  [][]any
}

// placeholderDim marks a streamed sheet's dimension element so WriteTo can
// write the true range there: excelize's StreamWriter writes the worksheet's
// head, dimension included, before the first row, so it always says A1.
func placeholderDim(n int) string { return fmt.Sprintf("XFD%d", 1048576-n) }

// NewBook starts an empty workbook described by m.
func NewBook(m Meta) *Book {
	if m.Report == "" {
		m.Report = "kam 报表"
	}
	f := excelize.NewFile()
	return &Book{f: f, meta: m, styles: map[[3]int]int{}, dims: map[string]string{}, rows: map[string]*tableRows{},
		rev: m.Revisions[m.Unit], captured: map[string]*sheetRows{}}
}

// About says what a sheet holds, for the 说明 sheet.
func (b *Book) About(sheet, text string) {
	for _, s := range b.sheets {
		if s.name == sheet {
			s.about = text
			return
		}
	}
	b.sheets = append(b.sheets, &sheetInfo{name: sheet, about: text, rows: -1})
}

// Note adds a row to the 说明 sheet's first table (a setting, a rule).
func (b *Book) Note(item, text string) { b.notes = append(b.notes, Setting{Item: item, Text: text}) }

// Setting is one row of 说明 in its readers' words: 项目 and 内容 in Chinese,
// and the configuration key behind it, if any, in a column of its own.
type Setting struct{ Item, Text, Key string }

// ExplainTable adds a small table below the 说明 sheet's first one (e.g. the quarter's thresholds).
func (b *Book) ExplainTable(title string, cols []Column, rows [][]any) {
	b.extra = append(b.extra, extraTable{title: title, cols: cols, rows: rows})
}

func (b *Book) info(sheet string) *sheetInfo {
	for _, s := range b.sheets {
		if s.name == sheet {
			return s
		}
	}
	s := &sheetInfo{name: sheet, rows: -1}
	b.sheets = append(b.sheets, s)
	return s
}

// newSheet adds a sheet after the others (the first one renames Sheet1).
func (b *Book) newSheet(sheet string) error {
	created := 0
	for _, s := range b.sheets {
		if s.rows >= 0 || s.chart {
			created++
		}
	}
	if created == 0 {
		return b.f.SetSheetName("Sheet1", sheet)
	}
	_, err := b.f.NewSheet(sheet)
	return err
}

// ChartSheet adds a sheet that holds a picture rather than a table.
func (b *Book) ChartSheet(sheet string) error {
	if err := b.newSheet(sheet); err != nil {
		return err
	}
	b.info(sheet).chart = true
	return b.printSetup(sheet, printLayout{landscape: true, fit: true})
}

// File exposes the workbook for additions such as charts, after the tables.
func (b *Book) File() *excelize.File { return b.f }

var toneFill = map[Tone]string{Good: "C6EFCE", Bad: "FFC7CE", Warn: "FFEB9C"}
var toneFont = map[Tone]string{Good: "006100", Bad: "9C0006", Warn: "9C5700"}

func (b *Book) style(kind ColKind, tone Tone) (int, error) {
	return b.styleOf(Column{Kind: kind}, tone)
}

// styleOf is the style of a cell of column c in tone: its kind's format, and
// wrapped at the column's width, top-aligned, when c.Wrap.
func (b *Book) styleOf(c Column, tone Tone) (int, error) {
	kind := c.Kind
	wrap := 0
	if c.Wrap {
		wrap = 1
	}
	key := [3]int{int(kind), int(tone), wrap}
	if id, ok := b.styles[key]; ok {
		return id, nil
	}
	st := &excelize.Style{Border: cellBorder}
	if c.Wrap {
		st.Alignment = &excelize.Alignment{WrapText: true, Vertical: "top"}
	}
	switch kind {
	case Amount, WanYuan:
		st.NumFmt = 4 // #,##0.00
	case Day:
		fmtStr := "yyyy-mm-dd"
		st.CustomNumFmt = &fmtStr
	case Percent:
		st.NumFmt = 10 // 0.00%
	case Share:
		st.NumFmt = 2 // 0.00
	case Text:
		st.NumFmt = 49 // @: typed-in edits stay text too
	}
	if tone != Plain {
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{toneFill[tone]}}
		st.Font = &excelize.Font{Color: toneFont[tone]}
	}
	id, err := b.f.NewStyle(st)
	if err != nil {
		return 0, err
	}
	b.styles[key] = id
	return id, nil
}

// putCell writes v as column i of row r in t: in plain, the column's style,
// unless v is a Cell with a tone. A Cell's comment waits in t for the sheet
// (addComments). It returns the text written, if any.
func (b *Book) putCell(t *tableRows, i, r int, col Column, plain int, v any) (string, error) {
	kind := col.Kind
	style := plain
	if c, ok := v.(Cell); ok {
		v = c.V
		if c.Tone != Plain {
			var err error
			if style, err = b.styleOf(col, c.Tone); err != nil {
				return "", err
			}
		}
		if c.Comment != "" {
			t.comments = append(t.comments, excelize.Comment{Cell: t.cols[i] + strconv.Itoa(r), Author: commentAuthor, Text: c.Comment})
		}
	}
	return t.cell(i, r, style, kind, v)
}

// addComments puts the comments of t's cells on sheet; before the sheet's
// stream is flushed, which writes the worksheet's reference to them.
func (b *Book) addComments(sheet string, t *tableRows) error {
	for _, c := range t.comments {
		if err := b.f.AddComment(sheet, c); err != nil {
			return fmt.Errorf("reports: sheet %s: comment on %s: %w", sheet, c.Cell, err)
		}
	}
	t.comments = nil
	return nil
}

// Table writes one sheet: a header row of cols, then every row rows yields
// through add. Values per kind: Text string; Amount domain.Money; Day
// domain.Date (0 = empty); Count int/int64; Percent domain.Ratio, rules.Pct or
// nil (shown empty, e.g. no base to compare with); Share domain.Ratio. Any value may be
// wrapped in Cell to give it a tone.
func (b *Book) Table(sheet string, cols []Column, rows func(add func(values ...any) error) error) error {
	if err := b.newSheet(sheet); err != nil {
		return err
	}
	info := b.info(sheet)
	info.rows = 0
	seq := len(b.dims) + 1
	// Before the stream starts: excelize writes sheetPr and dimension with the sheet's head.
	if err := b.f.SetSheetDimension(sheet, placeholderDim(seq)); err != nil {
		return err
	}
	if _, err := b.headerStyle(); err != nil {
		return err
	}
	// The rows are encoded as they come (tableRows) and put below the header
	// when the workbook is written; the first rows' text sizes the columns,
	// whose widths must reach the stream before its first row, the header.
	widths := make([]float64, len(cols))
	for i, c := range cols {
		widths[i] = tableWidth(c)
	}
	started := false
	var sw *excelize.StreamWriter
	var layout printLayout
	// The stream starts once the widths are known: excelize writes the sheet's
	// head (fitToPage, which the widths decide) when it is created.
	start := func() error {
		started = true
		layout = layoutFor(widths, keyColumns(cols))
		if err := b.printSetup(sheet, layout); err != nil {
			return err
		}
		var err error
		if sw, err = b.f.NewStreamWriter(sheet); err != nil {
			return err
		}
		for i, w := range widths {
			if err := sw.SetColWidth(i+1, i+1, w); err != nil {
				return err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		head := make([]any, len(cols))
		wrapped := false // a title wider than its column wraps onto a second line
		for i, c := range cols {
			head[i] = excelize.Cell{StyleID: b.header, Value: c.Title}
			wrapped = wrapped || titleWidth(c.Title) > widths[i]
			if c.Problem != "" {
				bad, err := b.badHeaderStyle()
				if err != nil {
					return err
				}
				head[i] = excelize.Cell{StyleID: bad, Value: c.Title}
			}
		}
		if wrapped {
			return sw.SetRow("A1", head, excelize.RowOpts{Height: 2 * lineHeight})
		}
		return sw.SetRow("A1", head)
	}
	data := newTableRows(len(cols))
	data.capture = b.captureFor(sheet, cols)
	b.rows[placeholderDim(seq)] = data
	plain := make([]int, len(cols)) // each column's style for an untoned value
	var err error
	for i, c := range cols {
		if plain[i], err = b.styleOf(c, Plain); err != nil {
			return err
		}
	}
	row := 1
	add := func(values ...any) error {
		if len(values) != len(cols) {
			return fmt.Errorf("reports: sheet %s: %d values for %d columns", sheet, len(values), len(cols))
		}
		if row++; row > excelize.TotalRows {
			return fmt.Errorf("reports: sheet %s: more than %d rows, Excel's limit", sheet, excelize.TotalRows)
		}
		data.startRow(row, 0)
		for i, v := range values {
			text, err := b.putCell(data, i, row, cols[i], plain[i], v)
			if err != nil {
				return fmt.Errorf("reports: sheet %s column %s: %w", sheet, cols[i].Title, err)
			}
			if !started && !cols[i].Wrap {
				widths[i] = max(widths[i], fitWidth(cols[i].Kind, text, values[i]))
			}
		}
		if err := data.endRow(); err != nil {
			return err
		}
		if !started && row-1 == sampleRows {
			return start()
		}
		return nil
	}
	if err := rows(add); err != nil {
		return err
	}
	if !started {
		if err := start(); err != nil {
			return err
		}
	}
	info.rows = row - 1
	last, _ := excelize.CoordinatesToCellName(max(len(cols), 1), row)
	b.dims[placeholderDim(seq)] = "A1:" + last
	if len(cols) > 0 {
		// A sheet's filter and print titles are set before Flush: the stream writes them from the same worksheet.
		// A plain autofilter, not an Excel table: the same filter buttons, lighter for Excel on a
		// million-row sheet, and a third cheaper to write for the small books each unit gets (SPEC §5).
		if err := b.f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
			return err
		}
		lastCol, _ := excelize.ColumnNumberToName(len(cols))
		if err := b.printTitles(sheet, layout); err != nil {
			return err
		}
		if err := b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", RefersTo: fmt.Sprintf("'%s'!$A$1:$%s$%d", sheet, lastCol, row), Scope: sheet}); err != nil {
			return err
		}
	}
	var heads []excelize.Comment // the header's comments come first, as the sheet's rows
	for i, c := range cols {
		if c.Problem != "" {
			heads = append(heads, excelize.Comment{Cell: data.cols[i] + "1", Author: commentAuthor, Text: c.Problem})
		}
	}
	data.comments = append(heads, data.comments...)
	if err := b.addComments(sheet, data); err != nil {
		return err
	}
	return sw.Flush()
}

// hfText escapes & in a page header's text.
func hfText(s string) string { return strings.ReplaceAll(s, "&", "&&") }

func (b *Book) generated() string {
	if b.meta.GeneratedAt.IsZero() {
		return ""
	}
	return b.meta.GeneratedAt.Format("2006-01-02 15:04")
}

func (b *Book) headerStyle() (int, error) {
	if b.header == 0 {
		id, err := b.f.NewStyle(&excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Border:    cellBorder,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		})
		if err != nil {
			return 0, err
		}
		b.header = id
	}
	return b.header, nil
}

// badHeaderStyle is the header style of a column whose header kam could not read: red, as a bad cell.
func (b *Book) badHeaderStyle() (int, error) {
	if b.badHeader == 0 {
		id, err := b.f.NewStyle(&excelize.Style{
			Font:      &excelize.Font{Bold: true, Color: toneFont[Bad]},
			Border:    cellBorder,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{toneFill[Bad]}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		})
		if err != nil {
			return 0, err
		}
		b.badHeader = id
	}
	return b.badHeader, nil
}

func width(c Column) float64 {
	if c.Width > 0 {
		return c.Width
	}
	w := float64(displayWidth(c.Title)) + 4
	switch c.Kind {
	case Amount:
		w = max(w, 16)
	case Day:
		w = max(w, 12)
	case Text:
		w = max(w, 12)
	}
	return w
}

// displayWidth counts a CJK character as two columns, as Excel draws it.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x2E80 || utf8.RuneLen(r) > 2 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// finish writes the 说明 sheet and the document properties.
func (b *Book) finish() error {
	m := b.meta
	if m.GeneratedAt.IsZero() {
		return errors.New("reports: workbook has no generation time (Meta.GeneratedAt)")
	}
	if b.rev != nil {
		if err := b.writeRevision(); err != nil {
			return err
		}
	}
	items := []Setting{{Item: "报表", Text: m.Report}, {Item: "期间", Text: m.Period}}
	if m.Unit != "" {
		items = append(items, Setting{Item: "单位", Text: m.unitLabel()}, Setting{Item: "本单位部分", Text: m.Scope})
	}
	asOf := m.DataAsOf
	if asOf == "" {
		asOf = "未记录"
	}
	items = append(items, Setting{Item: "数据截至", Text: asOf}, Setting{Item: "生成时间", Text: m.GeneratedAt.Format("2006-01-02 15:04:05 -07:00")})
	run := "无（不是作业生成的）"
	if m.Run > 0 {
		run = fmt.Sprint(m.Run)
	}
	items = append(items, Setting{Item: "运行编号", Text: run}, Setting{Item: "生成程序", Text: "kam " + domain.Version()})
	items = append(items, m.Settings...)
	items = append(items, b.notes...)
	for _, s := range b.sheets {
		if s.rows < 0 && !s.chart {
			continue
		}
		text := s.about
		if s.rows == 0 {
			text = "本期无。" + text
		}
		items = append(items, Setting{Item: "工作表 " + s.name, Text: text})
	}
	const explain = "说明"
	return b.explainSheet(explain, items)
}

// 说明's columns: 项目, 内容 (wrapped in a fixed width, so no line sets the
// page's width), and 配置项, the key behind a setting, in small print.
var explainWidths = []float64{20, 62, 26}

// explainSheet writes 说明: 项目/内容/配置项 rows, then each extra table below a blank row.
func (b *Book) explainSheet(sheet string, items []Setting) error {
	// 说明 is written by hand, not through Table: it holds more than one table.
	if err := b.newSheet(sheet); err != nil {
		return err
	}
	info := b.info(sheet)
	seq := len(b.dims) + 1
	if err := b.f.SetSheetDimension(sheet, placeholderDim(seq)); err != nil {
		return err
	}
	ncols := len(explainWidths)
	for _, t := range b.extra {
		ncols = max(ncols, len(t.cols))
	}
	widths := slices.Clone(explainWidths)
	for _, t := range b.extra {
		for i, c := range t.cols {
			if i >= len(widths) {
				widths = append(widths, max(width(c), 14))
			}
		}
	}
	layout := layoutFor(widths, 1)
	if err := b.printSetup(sheet, layout); err != nil {
		return err
	}
	sw, err := b.f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	hs, err := b.headerStyle()
	if err != nil {
		return err
	}
	top := &excelize.Alignment{Vertical: "top", WrapText: true}
	itemStyle, err := b.f.NewStyle(&excelize.Style{NumFmt: 49, Alignment: top, Border: cellBorder})
	if err != nil {
		return err
	}
	keyStyle, err := b.f.NewStyle(&excelize.Style{NumFmt: 49, Alignment: top, Border: cellBorder, Font: &excelize.Font{Size: 10, Color: "595959"}})
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	// Its rows go through the same encoder as a table's (tableRows), below no header of excelize's.
	data := newTableRows(ncols)
	b.rows[placeholderDim(seq)] = data
	row := 0
	put := func(style int, texts ...string) error {
		row++
		data.startRow(row, 0)
		for i, s := range texts {
			if _, err := data.cell(i, row, style, Text, s); err != nil {
				return err
			}
		}
		return data.endRow()
	}
	if err := put(hs, "项目", "内容", "配置项"); err != nil {
		return err
	}
	for _, it := range items {
		row++
		// A wrapped row is as tall as its longest cell: set, not left for the reader to find.
		lines := max(wrappedLines(it.Item, widths[0]), wrappedLines(it.Text, widths[1]), wrappedLines(it.Key, widths[2]))
		data.startRow(row, lineHeight*float64(lines))
		for i, c := range []struct {
			text  string
			style int
		}{{it.Item, itemStyle}, {it.Text, itemStyle}, {it.Key, keyStyle}} {
			var v any
			if c.text != "" {
				v = c.text
			}
			if _, err := data.cell(i, row, c.style, Text, v); err != nil {
				return err
			}
		}
		if err := data.endRow(); err != nil {
			return err
		}
	}
	for _, t := range b.extra {
		row++ // a blank row between tables
		if err := put(hs, t.title); err != nil {
			return err
		}
		head := make([]string, len(t.cols))
		for i, c := range t.cols {
			head[i] = c.Title
		}
		if err := put(hs, head...); err != nil {
			return err
		}
		for _, r := range t.rows {
			row++
			data.startRow(row, 0)
			for i, v := range r {
				plain, err := b.style(t.cols[i].Kind, Plain)
				if err != nil {
					return err
				}
				if _, err := b.putCell(data, i, row, t.cols[i], plain, v); err != nil {
					return fmt.Errorf("reports: %s table %s: %w", sheet, t.title, err)
				}
			}
			if err := data.endRow(); err != nil {
				return err
			}
		}
	}
	info.rows = row - 1
	last, _ := excelize.CoordinatesToCellName(ncols, row)
	b.dims[placeholderDim(seq)] = "A1:" + last
	if err := b.printTitles(sheet, layout); err != nil {
		return err
	}
	lastCol, _ := excelize.ColumnNumberToName(ncols)
	if err := b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", RefersTo: fmt.Sprintf("'%s'!$A$1:$%s$%d", sheet, lastCol, row), Scope: sheet}); err != nil {
		return err
	}
	lastItem, _ := excelize.CoordinatesToCellName(len(explainWidths), len(items)+1)
	if err := b.f.AutoFilter(sheet, "A1:"+lastItem, nil); err != nil {
		return err
	}
	if err := b.addComments(sheet, data); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return b.f.SetDocProps(&excelize.DocProperties{
		Title:          strings.TrimSpace(b.meta.Report + " " + b.meta.Period + " " + b.meta.unitLabel()),
		Subject:        b.meta.Report,
		Creator:        "kam " + domain.Version(),
		LastModifiedBy: "kam " + domain.Version(),
		Created:        b.meta.GeneratedAt.UTC().Format(time.RFC3339),
		Modified:       b.meta.GeneratedAt.UTC().Format(time.RFC3339),
		Description:    fmt.Sprintf("运行编号 %d", b.meta.Run),
		Language:       "zh-CN",
	})
}

// Close releases the workbook's temporary files; WriteTo does so itself, so
// Close is for a workbook that will not be written.
func (b *Book) Close() error {
	for _, t := range b.rows {
		t.close()
	}
	return b.f.Close()
}

// Bytes renders the workbook.
func (b *Book) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteTo writes the workbook to w as excelize zips it, instead of first
// assembling the whole file in memory (excelize's own WriteTo): a month of
// split detail is larger than the memory a job may use. Sheets are deflated at
// best speed, which keeps multi-million-row sheets within a job's time. It
// releases the workbook's temporary files.
func (b *Book) WriteTo(w io.Writer) (int64, error) {
	defer b.Close()
	if b.closed {
		return 0, errors.New("reports: workbook already written")
	}
	b.closed = true
	if err := b.finish(); err != nil {
		return 0, err
	}
	cw := &countingWriter{w: w}
	b.f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(cw)
		zw.RegisterCompressor(zip.Deflate, newFlate)
		return &dimZip{zw: zw, dims: b.dims, rows: b.rows}
	})
	// Everything goes to cw; the buffer excelize hands its zip writer stays empty.
	if _, err := b.f.WriteTo(io.Discard); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

// flateWriters are reused across a workbook's parts and across workbooks: a
// new compressor allocates about 1 MB, which dominated the cost of the small
// workbooks each unit gets (SPEC §5).
var flateWriters sync.Pool

type pooledFlate struct{ *flate.Writer }

func (p pooledFlate) Close() error {
	err := p.Writer.Close()
	flateWriters.Put(p.Writer)
	return err
}

func newFlate(out io.Writer) (io.WriteCloser, error) {
	if fw, ok := flateWriters.Get().(*flate.Writer); ok {
		fw.Reset(out)
		return pooledFlate{fw}, nil
	}
	fw, err := flate.NewWriter(out, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	return pooledFlate{fw}, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// dimZip is the zip writer excelize saves through. In each worksheet it
// replaces the placeholder dimension Table wrote with the sheet's true range.
type dimZip struct {
	zw   *zip.Writer
	dims map[string]string
	rows map[string]*tableRows
	cur  *dimFixer
}

func (d *dimZip) Create(name string) (io.Writer, error) {
	if err := d.flush(); err != nil {
		return nil, err
	}
	w, err := d.zw.Create(name)
	if err != nil || !strings.HasPrefix(name, "xl/worksheets/sheet") {
		return w, err
	}
	d.cur = &dimFixer{w: w, dims: d.dims, rows: d.rows}
	return d.cur, nil
}

func (d *dimZip) AddFS(fsys fs.FS) error {
	if err := d.flush(); err != nil {
		return err
	}
	return d.zw.AddFS(fsys)
}

func (d *dimZip) Close() error {
	if err := d.flush(); err != nil {
		return err
	}
	return d.zw.Close()
}

func (d *dimZip) flush() error {
	if d.cur == nil {
		return nil
	}
	err := d.cur.release()
	d.cur = nil
	return err
}

// dimFixer holds a worksheet's first bytes until its dimension element has
// passed, and for a table, until the end of its header row: there it puts the
// table's data rows.
type dimFixer struct {
	w    io.Writer
	dims map[string]string
	rows map[string]*tableRows
	head []byte
	data *tableRows // the rows still to put before </sheetData>
	done bool
}

var (
	dimOpen      = []byte(`<dimension ref="`)
	sheetDataEnd = []byte(`</sheetData>`)
)

func (f *dimFixer) Write(p []byte) (int, error) {
	if f.done {
		return f.w.Write(p)
	}
	f.head = append(f.head, p...)
	if f.data != nil {
		return len(p), f.putRows()
	}
	if i := bytes.Index(f.head, dimOpen); i >= 0 {
		start := i + len(dimOpen)
		if end := bytes.IndexByte(f.head[start:], '"'); end >= 0 {
			key := string(f.head[start : start+end])
			if ref, ok := f.dims[key]; ok {
				f.head = append(f.head[:start:start], append([]byte(ref), f.head[start+end:]...)...)
			}
			if data := f.rows[key]; data != nil {
				f.data = data
				return len(p), f.putRows()
			}
			return len(p), f.release()
		}
	}
	if len(f.head) > 1<<16 || bytes.Contains(f.head, []byte("<sheetData")) {
		return len(p), f.release() // no dimension to fix
	}
	return len(p), nil
}

// putRows writes what is held up to </sheetData>, the table's rows, then the rest.
func (f *dimFixer) putRows() error {
	i := bytes.Index(f.head, sheetDataEnd)
	if i < 0 {
		return nil
	}
	if _, err := f.w.Write(f.head[:i]); err != nil {
		return err
	}
	if err := f.data.writeTo(f.w); err != nil {
		return err
	}
	f.data = nil
	f.head = f.head[i:]
	return f.release()
}

func (f *dimFixer) release() error {
	if f.done {
		return nil
	}
	if f.data != nil {
		return errors.New("reports: a table's sheet ended before its rows could be written")
	}
	f.done = true
	_, err := f.w.Write(f.head)
	f.head = nil
	return err
}
