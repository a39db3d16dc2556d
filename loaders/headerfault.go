package loaders

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"

	"kam/domain"
)

// HeaderFault is a header row kam rejected, as the error workbook's fix sheet
// shows it: the row kam took for the header and the kind it comes closest to,
// what is wrong with each of its cells, and the columns it lacks.
type HeaderFault struct {
	Kind     domain.Kind
	Sheet    string         // the workbook sheet it is on; "" in a CSV
	Row      int            // its spreadsheet row number
	Cells    []string       // as written
	Problems map[int]string // a column of the row → what is wrong with its header cell
	Missing  []MissingColumn
}

// MissingColumn is a column the kind needs that no cell of the header stands for.
type MissingColumn struct{ Label, Reason string }

// headerError is recognizeHeader's rejection of a complete header; ambiguous
// when it fits two kinds (no one kind's fix sheet can be shown then).
type headerError struct {
	*FileError
	ambiguous bool
}

func (e *headerError) Unwrap() error { return e.FileError }

// fault is m's row as a HeaderFault; nil when m holds no required column of its kind (no header to fix).
func (m headerMatch) fault() *HeaderFault {
	if m.required == 0 && m.found == 0 {
		return nil
	}
	f := &HeaderFault{Kind: m.kind, Sheet: m.sheet, Row: m.row, Cells: m.cells, Problems: map[int]string{}}
	first := map[int]int{} // a column of the kind → the first cell naming it
	for col, cell := range m.cells {
		for _, ref := range headerNames[NormalizeHeader(cell)] {
			if ref.kind != m.kind {
				continue
			}
			if prev, ok := first[ref.col]; ok {
				f.Problems[col] = fmt.Sprintf("与第 %d 列「%s」重复：请删去一列", prev+1, visible(m.cells[prev]))
			} else {
				first[ref.col] = col
			}
		}
	}
	for j, col := range m.misfit {
		if col >= 0 && col < len(m.cells) {
			label := kindColumns[m.kind][j].Label
			_, unit, _ := cutHeaderUnit(NormalizeHeader(m.cells[col]))
			f.Problems[col] = unitHint(label, unit)
		}
	}
	for _, label := range m.missing {
		if _, ok := m.misfitOf(label); ok {
			continue // named above
		}
		if col, _, ok := m.lookalike(label); ok {
			f.Problems[col] = fmt.Sprintf("kam 不认识这个表头：是否应为「%s」？请把表头改成「%s」", label, label)
			continue
		}
		f.Missing = append(f.Missing, MissingColumn{Label: label, Reason: "文件缺少「" + label + "」列：已加在表后，请逐行填写"})
	}
	if m.kind == domain.KindTargets && m.complete() && m.pos[tCustomer] < 0 && m.pos[tCustomerName] < 0 {
		f.Missing = append(f.Missing, MissingColumn{Label: kindColumns[m.kind][tCustomer].Label,
			Reason: "目标文件需要「客户编号」或「客户名称」列（至少一列）：已加上「客户编号」列，请逐行填写"})
	}
	return f
}

// EachRowBelow calls fn for every row below the header row f names (on its
// sheet), with its spreadsheet row number and cells as written; it stops
// after max rows (0: no limit) and reports whether more were left. The error
// workbook of a file rejected for its header copies the rows through it.
func EachRowBelow(path string, f *HeaderFault, max int, fn func(row int, cells []string) error) (more bool, err error) {
	src, err := rawRows(path, f.Sheet)
	if err != nil {
		return false, err
	}
	defer src.close()
	n := 0
	for {
		cells, row, err := src.next()
		var bad *rowReadError
		switch {
		case err == io.EOF:
			return false, nil
		case errors.As(err, &bad):
			continue
		case err != nil:
			return false, err
		case row <= f.Row:
			continue
		case max > 0 && n == max:
			return true, nil
		}
		n++
		if err := fn(row, cells); err != nil {
			return false, err
		}
	}
}

// rawRows reads a file's rows from its first, without looking for a header: a CSV's in its encoding, a workbook's sheet's.
func rawRows(path, sheet string) (src rowSource, err error) {
	if strings.ToLower(filepath.Ext(path)) == ".csv" {
		s, _, err := csvRows(path)
		return s, err
	}
	var f *excelize.File
	defer func() {
		if r := recover(); r != nil {
			if f != nil {
				f.Close()
			}
			src, err = nil, &FileError{Reason: reasonBadXLSX}
		}
	}()
	if fe := checkParts(path); fe != nil {
		return nil, fe
	}
	if f, err = excelize.OpenFile(path, excelize.Options{RawCellValue: true, UnzipXMLSizeLimit: xmlInMemory, UnzipSizeLimit: MaxUnpackedBytes}); err != nil {
		return nil, &FileError{Reason: reasonBadXLSX}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &xlsxSource{f: f, sheet: sheet, rows: rows, own: true}, nil
}
