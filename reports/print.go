package reports

import (
	"fmt"
	"math"
	"strings"

	"github.com/xuri/excelize/v2"

	"kam/domain"
)

// Printed on A4, no text is smaller than 8 pt (SPEC §5). A table that fits one
// page width at minPrintScale or more is fitted to it; a wider one prints at
// pagedScale over as many pages across as it takes, its key columns repeated
// on each, rather than shrinking until it cannot be read.
const (
	a4PortraitPt  = 595.3 // A4 paper, in points
	a4LandscapePt = 841.9
	sideMarginIn  = 0.4 // left and right margins, inches
	minPrintScale = 0.8 // 11 pt text prints at 8.8 pt at least
	pagedScale    = 80  // the scale a table too wide for one page prints at, percent
)

// printLayout is how a sheet is put on paper.
type printLayout struct {
	landscape bool
	fit       bool // one page wide (FitToWidth 1); else pagedScale across pages
	keyCols   int  // leading columns repeated on every page across, when !fit
}

// columnPoints is the printed width of a column width w (in Excel's character
// units for Calibri 11: 7 pixels a unit plus 5 of padding, at 96 pixels an inch).
func columnPoints(w float64) float64 { return (w*7 + 5) * 0.75 }

// printableWidth is the width inside the side margins.
func printableWidth(landscape bool) float64 {
	paper := a4PortraitPt
	if landscape {
		paper = a4LandscapePt
	}
	return paper - 2*sideMarginIn*72
}

// layoutFor picks portrait, landscape or paging across for columns of widths;
// keyCols is how many leading columns identify a row (repeated when paged).
func layoutFor(widths []float64, keyCols int) printLayout {
	total := 0.0
	for _, w := range widths {
		total += columnPoints(w)
	}
	switch {
	case total*minPrintScale <= printableWidth(false):
		return printLayout{fit: true}
	case total*minPrintScale <= printableWidth(true):
		return printLayout{landscape: true, fit: true}
	}
	return printLayout{landscape: true, keyCols: keyCols}
}

// keyColumns is how many leading columns name a row: the first, and the
// second too when it holds a name (客户编号 客户名称, 工号 姓名).
func keyColumns(cols []Column) int {
	switch {
	case len(cols) == 0:
		return 0
	case len(cols) >= 2 && (strings.HasSuffix(cols[1].Title, "名称") || strings.HasSuffix(cols[1].Title, "姓名") || cols[1].Title == "姓名"):
		return 2
	}
	return 1
}

// printSetup puts sheet on A4 as l says, with the report, period and
// generation time at the top of every page and its number at the foot. It
// runs before the sheet's stream starts: excelize writes sheetPr (fitToPage)
// with the sheet's head.
func (b *Book) printSetup(sheet string, l printLayout) error {
	fit := l.fit
	if err := b.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	orient := "portrait"
	if l.landscape {
		orient = "landscape"
	}
	size := 9 // A4
	opts := &excelize.PageLayoutOptions{Size: &size, Orientation: &orient}
	if l.fit {
		one, down := 1, 0 // one page wide, as many pages down as it takes
		opts.FitToWidth, opts.FitToHeight = &one, &down
	} else {
		scale, order := uint(pagedScale), "overThenDown" // a row's columns on consecutive pages
		opts.AdjustTo, opts.PageOrder = &scale, &order
	}
	if err := b.f.SetPageLayout(sheet, opts); err != nil {
		return err
	}
	side, top, bottom, hf := sideMarginIn, 0.75, 0.7, 0.3
	if err := b.f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &side, Right: &side, Top: &top, Bottom: &bottom, Header: &hf, Footer: &hf}); err != nil {
		return err
	}
	return b.f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddHeader: "&L" + hfText(strings.TrimSpace(b.meta.Report+" "+b.meta.unitLabel())) + "&C" + hfText(b.meta.Period) + "&R生成时间 " + hfText(b.generated()),
		OddFooter: "&C第 &P 页 / 共 &N 页",
	})
}

// printTitles repeats the header row on every page, and when the sheet is
// paged across, its key columns too.
func (b *Book) printTitles(sheet string, l printLayout) error {
	ref := fmt.Sprintf("'%s'!$1:$1", sheet)
	if !l.fit && l.keyCols > 0 {
		last, _ := excelize.ColumnNumberToName(l.keyCols)
		ref = fmt.Sprintf("'%s'!$A:$%s,%s", sheet, last, ref)
	}
	return b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: ref, Scope: sheet})
}

// fitWidth is the column width value v needs (0 when the column's own width
// will do): text up to maxTextWidth, and an amount's digits in full, so a
// number never runs into the next column or shows as ###.
func fitWidth(kind ColKind, text string, v any) float64 {
	if c, ok := v.(Cell); ok {
		v = c.V
	}
	switch kind {
	case Text:
		if text != "" {
			return min(float64(displayWidth(text))+2, maxTextWidth)
		}
	case Amount:
		if m, ok := v.(domain.Money); ok {
			return float64(len(m.Yuan())) + 3
		}
	}
	return 0
}

// cellBorder rules every table cell lightly, so on paper a right-aligned
// amount and the text beside it read as two columns.
var cellBorder = []excelize.Border{
	{Type: "left", Color: "BFBFBF", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1},
	{Type: "top", Color: "BFBFBF", Style: 1}, {Type: "bottom", Color: "BFBFBF", Style: 1},
}

// lineHeight is one line of 11 pt text, CJK included, in points.
const lineHeight = 15.5

// wrappedLines is how many lines text takes wrapped in a column of width w:
// a CJK character is drawn about 15 pixels wide at 11 pt, other characters
// about 8 (a little more than Excel's units, so a row is never too short).
func wrappedLines(text string, w float64) int {
	if text == "" {
		return 1
	}
	room := w*7 + 5 - 8 // the cell's padding
	lines := 0
	for _, part := range strings.Split(text, "\n") {
		px := 0.0
		for _, r := range part {
			if r >= 0x2E80 {
				px += 15
			} else {
				px += 8
			}
		}
		lines += max(1, int(math.Ceil(px/room)))
	}
	return lines
}

// titleWidth is the width a column title takes on one line (bold).
func titleWidth(title string) float64 { return float64(displayWidth(title)) + 3 }

// tableWidth is a column's width before its data is seen: what it was given,
// or the least its kind needs and its title on two lines at most; the data
// then widens it (fitWidth). A column sized by its title alone wastes the
// page: 负责单位编码 holds ZQ14.
func tableWidth(c Column) float64 {
	if c.Width > 0 {
		return c.Width
	}
	title := titleWidth(c.Title)
	if displayWidth(c.Title) > 8 {
		title = math.Ceil(float64(displayWidth(c.Title))/4)*2 + 3 // two lines, split between characters
	}
	least := map[ColKind]float64{Amount: 13, Day: 11, Text: 8, Count: 6, Percent: 9, Share: 8, WanYuan: 10}[c.Kind]
	return max(title, least)
}
