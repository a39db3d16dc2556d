// Package reportstest holds what tests check the workbooks of package reports
// with: CheckLayout reads one back as its readers do.
package reportstest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"
)

// MinPrintScale is the least scale, in percent, a sheet printed across pages may use.
const MinPrintScale = 80

// CheckLayout reads a workbook kam wrote back as its readers do and returns
// every way it breaks SPEC §5's promises to people and programs: each sheet's
// declared dimension is its true used range (read from the sheet XML, as
// openpyxl and ExcelDataReader trust it); each table sheet has a filter, a
// frozen header, print titles and a page header and footer, and prints on
// A4 one page wide or across pages at MinPrintScale or more with its key
// columns repeated; there is a 说明 sheet; the document properties name kam
// and the generation time. nil means all hold.
func CheckLayout(xlsx []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		return err
	}
	paths, err := sheetPaths(zr)
	if err != nil {
		return err
	}
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		return err
	}
	defer f.Close()
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	titles := map[string]bool{}  // the header row repeats on every page
	keyCols := map[string]bool{} // and the key columns on every page across
	for _, d := range f.GetDefinedName() {
		if d.Name != "_xlnm.Print_Titles" {
			continue
		}
		rows := fmt.Sprintf("'%s'!$1:$1", d.Scope)
		switch {
		case d.RefersTo == rows:
			titles[d.Scope] = true
		case strings.HasPrefix(d.RefersTo, fmt.Sprintf("'%s'!$A:$", d.Scope)) && strings.HasSuffix(d.RefersTo, ","+rows):
			titles[d.Scope], keyCols[d.Scope] = true, true
		}
	}
	sheets := f.GetSheetList()
	hasExplain := false
	for _, sheet := range sheets {
		hasExplain = hasExplain || sheet == "说明"
		p, ok := paths[sheet]
		if !ok {
			bad("%s: no worksheet part", sheet)
			continue
		}
		facts, err := scanSheet(zr, p)
		if err != nil {
			return fmt.Errorf("%s: %w", sheet, err)
		}
		if d := strings.Split(facts.dimension, ":"); len(d) == 2 && d[0] == d[1] {
			facts.dimension = d[0]
		}
		if facts.dimension != facts.used {
			bad("%s: dimension %q, cells span %q", sheet, facts.dimension, facts.used)
		}
		if facts.drawing && facts.used == "A1" {
			continue // a chart sheet: a picture, no table
		}
		if !facts.filter {
			bad("%s: no autofilter", sheet)
		}
		if facts.table {
			// A table's own filter spans the table: it must be the whole used range, header included.
			tables, err := f.GetTables(sheet)
			if err != nil || len(tables) != 1 || tables[0].Range != facts.used {
				bad("%s: tables %+v do not cover %s (%v)", sheet, tables, facts.used, err)
			}
		}
		if panes, _ := f.GetPanes(sheet); !panes.Freeze || panes.YSplit != 1 {
			bad("%s: header row not frozen", sheet)
		}
		if !titles[sheet] {
			bad("%s: header row not repeated on printed pages (no print titles)", sheet)
		}
		// One page wide, or — too wide for that at 8 pt — across pages at a readable scale, key columns repeated.
		props, _ := f.GetSheetProps(sheet)
		pl, _ := f.GetPageLayout(sheet)
		switch fit := props.FitToPage != nil && *props.FitToPage; {
		case fit && (pl.FitToWidth == nil || *pl.FitToWidth != 1 || pl.FitToHeight == nil || *pl.FitToHeight != 0):
			bad("%s: fit to page, but not one page wide", sheet)
		case !fit && (pl.AdjustTo == nil || *pl.AdjustTo < MinPrintScale || !keyCols[sheet]):
			bad("%s: neither one page wide nor printed across pages at %d%% or more with its key columns repeated", sheet, MinPrintScale)
		}
		if pl.Size == nil || *pl.Size != 9 {
			bad("%s: not printed on A4", sheet)
		}
		hf, _ := f.GetHeaderFooter(sheet)
		if hf == nil || !strings.Contains(hf.OddHeader, "生成时间") || !strings.Contains(hf.OddFooter, "&P") || !strings.Contains(hf.OddFooter, "&N") {
			bad("%s: page header or footer missing", sheet)
		}
	}
	if !hasExplain {
		bad("no 说明 sheet")
	}
	props, err := f.GetDocProps()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(props.Creator, "kam ") || props.Title == "" || props.Subject == "" || props.Created == "" || strings.HasPrefix(props.Created, "2006-09-16") {
		bad("document properties: creator %q, title %q, subject %q, created %q", props.Creator, props.Title, props.Subject, props.Created)
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// sheetPaths maps sheet names to their parts through workbook.xml and its relationships.
func sheetPaths(zr *zip.Reader) (map[string]string, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readXML(zr, "xl/workbook.xml", &wb); err != nil {
		return nil, err
	}
	if err := readXML(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	target := map[string]string{}
	for _, r := range rels.Rel {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		target[r.ID] = t
	}
	out := map[string]string{}
	for _, s := range wb.Sheets {
		out[s.Name] = target[s.RID]
	}
	return out, nil
}

func readXML(zr *zip.Reader, name string, v any) error {
	r, err := zr.Open(name)
	if err != nil {
		return err
	}
	defer r.Close()
	return xml.NewDecoder(r).Decode(v)
}

type sheetFacts struct {
	dimension, used string
	filter, drawing bool
	table           bool // an Excel table, whose own filter covers it
}

// scanSheet reads one worksheet's declared dimension and the range its cells
// really span, streaming: a split detail sheet has a million rows.
func scanSheet(zr *zip.Reader, name string) (sheetFacts, error) {
	var facts sheetFacts
	r, err := zr.Open(name)
	if err != nil {
		return facts, err
	}
	defer r.Close()
	maxCol, maxRow := 0, 0
	dec := xml.NewDecoder(r)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return facts, err
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch el.Name.Local {
		case "dimension":
			facts.dimension = attr(el, "ref")
		case "autoFilter":
			facts.filter = true
		case "tablePart":
			facts.filter, facts.table = true, true
		case "drawing":
			facts.drawing = true
		case "c":
			col, row, err := excelize.CellNameToCoordinates(attr(el, "r"))
			if err != nil {
				return facts, err
			}
			maxCol, maxRow = max(maxCol, col), max(maxRow, row)
		}
	}
	facts.used = "A1"
	if maxRow > 1 || maxCol > 1 {
		last, _ := excelize.CoordinatesToCellName(maxCol, maxRow)
		facts.used = "A1:" + last
	}
	return facts, nil
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
