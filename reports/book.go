// Package reports renders kam's workbooks. Every sheet goes through Book.Table
// so all reports share one look: bold frozen header, filter buttons, sensible
// widths, amounts as #,##0.00 yuan, real date cells, and text that is never
// read as a formula.
package reports

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/rules"
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
)

// Column is one column of a table.
type Column struct {
	Title string
	Kind  ColKind
	Width float64 // 0: chosen from the title and kind
}

// Tone colours a cell: 升级 green, 降级 red, warnings amber.
type Tone int

const (
	Plain Tone = iota
	Good
	Bad
	Warn
)

// Cell carries a value with a tone; plain values may be passed as they are.
type Cell struct {
	V    any
	Tone Tone
}

// Book is a workbook being written; sheets appear in the order Table is called.
type Book struct {
	f      *excelize.File
	sheets int
	styles map[[2]int]int
	header int
}

// NewBook starts an empty workbook.
func NewBook() *Book {
	f := excelize.NewFile()
	return &Book{f: f, styles: map[[2]int]int{}}
}

// File exposes the workbook for additions such as charts, after the tables.
func (b *Book) File() *excelize.File { return b.f }

var toneFill = map[Tone]string{Good: "C6EFCE", Bad: "FFC7CE", Warn: "FFEB9C"}
var toneFont = map[Tone]string{Good: "006100", Bad: "9C0006", Warn: "9C5700"}

func (b *Book) style(kind ColKind, tone Tone) (int, error) {
	key := [2]int{int(kind), int(tone)}
	if id, ok := b.styles[key]; ok {
		return id, nil
	}
	st := &excelize.Style{}
	switch kind {
	case Amount:
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

// Table writes one sheet: a header row of cols, then every row rows yields
// through add. Values per kind: Text string; Amount domain.Money; Day
// domain.Date (0 = empty); Count int/int64; Percent domain.Ratio, rules.Pct or
// nil (shown empty, e.g. no base to compare with); Share domain.Ratio. Any value may be
// wrapped in Cell to give it a tone.
func (b *Book) Table(sheet string, cols []Column, rows func(add func(values ...any) error) error) error {
	if b.sheets == 0 {
		if err := b.f.SetSheetName("Sheet1", sheet); err != nil {
			return err
		}
	} else if _, err := b.f.NewSheet(sheet); err != nil {
		return err
	}
	b.sheets++
	sw, err := b.f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if b.header == 0 {
		b.header, err = b.f.NewStyle(&excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		})
		if err != nil {
			return err
		}
	}
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, width(c)); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = excelize.Cell{StyleID: b.header, Value: c.Title}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	row := 1
	buf := make([]any, len(cols))
	add := func(values ...any) error {
		if len(values) != len(cols) {
			return fmt.Errorf("reports: sheet %s: %d values for %d columns", sheet, len(values), len(cols))
		}
		row++
		for i, v := range values {
			c, err := b.cell(cols[i].Kind, v)
			if err != nil {
				return fmt.Errorf("reports: sheet %s column %s: %w", sheet, cols[i].Title, err)
			}
			buf[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, buf)
	}
	if err := rows(add); err != nil {
		return err
	}
	if row > 1 && len(cols) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(cols), row)
		if err := sw.AddTable(&excelize.Table{Range: "A1:" + last, Name: fmt.Sprintf("表%d", b.sheets)}); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func (b *Book) cell(kind ColKind, v any) (excelize.Cell, error) {
	tone := Plain
	if c, ok := v.(Cell); ok {
		tone, v = c.Tone, c.V
	}
	style, err := b.style(kind, tone)
	if err != nil {
		return excelize.Cell{}, err
	}
	var out any
	switch x := v.(type) {
	case nil:
	case domain.Money:
		out = x.Float()
	case domain.Date:
		if x != 0 {
			out = x.Time()
		}
	case domain.Ratio:
		if kind == Share {
			out = float64(x) / 100
		} else {
			out = float64(x) / 10000
		}
	case *domain.Ratio:
		if x != nil {
			out = float64(*x) / 10000
		}
	case rules.Pct: // a growth rate, which can pass what a Ratio holds
		out = x.Fraction()
	case domain.Month:
		out = x.String()
	case string, int, int32, int64:
		out = x
	default:
		return excelize.Cell{}, fmt.Errorf("unsupported value %T", v)
	}
	return excelize.Cell{StyleID: style, Value: out}, nil
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
	defer b.f.Close()
	cw := &countingWriter{w: w}
	b.f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(cw)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return zw
	})
	// Everything goes to cw; the buffer excelize hands its zip writer stays empty.
	if _, err := b.f.WriteTo(io.Discard); err != nil {
		return cw.n, err
	}
	return cw.n, nil
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
