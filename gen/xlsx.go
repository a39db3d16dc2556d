package gen

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xuri/excelize/v2"

	"kam/domain"
)

// sheetFile streams one small extract as a single-sheet workbook, the way a
// CRM export looks: optional merged title row, bold header, typed cells.
type sheetFile struct {
	path       string
	f          *excelize.File
	sw         *excelize.StreamWriter
	row        int
	rows       int64
	dateStyle  int
	monthStyle int
	ratioStyle int
	cells      []any
}

func newSheetFile(path, sheet, title string, headers []string, widths []float64) (*sheetFile, error) {
	f := excelize.NewFile()
	s := &sheetFile{path: path, f: f, cells: make([]any, len(headers))}
	fail := func(err error) (*sheetFile, error) {
		_ = f.Close()
		return nil, fmt.Errorf("写入 %s：%w", filepath.Base(path), err)
	}
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fail(err)
	}
	dateFmt, monthFmt, ratioFmt := "yyyy-mm-dd", `yyyy"年"m"月"`, "0.00"
	styles := []struct {
		id *int
		st *excelize.Style
	}{
		{&s.dateStyle, &excelize.Style{CustomNumFmt: &dateFmt}},
		{&s.monthStyle, &excelize.Style{CustomNumFmt: &monthFmt}},
		{&s.ratioStyle, &excelize.Style{CustomNumFmt: &ratioFmt}},
	}
	for _, x := range styles {
		id, err := f.NewStyle(x.st)
		if err != nil {
			return fail(err)
		}
		*x.id = id
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fail(err)
	}
	titleStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return fail(err)
	}
	if s.sw, err = f.NewStreamWriter(sheet); err != nil {
		return fail(err)
	}
	for i, wd := range widths {
		if err := s.sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fail(err)
		}
	}
	if title != "" {
		s.row++
		if err := s.sw.SetRow("A1", []any{excelize.Cell{StyleID: titleStyle, Value: title}}, excelize.RowOpts{Height: 24}); err != nil {
			return fail(err)
		}
		last, _ := excelize.CoordinatesToCellName(len(headers), 1)
		if err := s.sw.MergeCell("A1", last); err != nil {
			return fail(err)
		}
	}
	hdr := make([]any, len(headers))
	for i, h := range headers {
		hdr[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := s.add(hdr); err != nil {
		return fail(err)
	}
	s.rows = 0
	return s, nil
}

// date is a date cell: the serial (domain.Date is one) with a date format; empty when zero.
func (s *sheetFile) date(serial int32) any {
	if serial == 0 {
		return nil
	}
	return excelize.Cell{StyleID: s.dateStyle, Value: int(serial)}
}

// month is a month cell: its first day, shown as 2026年3月.
func (s *sheetFile) month(m domain.Month) any {
	return excelize.Cell{StyleID: s.monthStyle, Value: int(m.First())}
}

// ratio is a percentage cell with two decimals: 3333 basis points → 33.33.
func (s *sheetFile) ratio(r domain.Ratio) any {
	return excelize.Cell{StyleID: s.ratioStyle, Value: float64(r) / 100}
}

func (s *sheetFile) add(values []any) error {
	s.row++
	s.rows++
	cell, _ := excelize.CoordinatesToCellName(1, s.row)
	return s.sw.SetRow(cell, values)
}

// close writes the workbook beside its final name and renames it, so a
// watcher never sees half a file under the real name.
func (s *sheetFile) close() (err error) {
	defer func() {
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := s.sw.Flush(); err != nil {
		return err
	}
	return writeAtomically(s.path, func(w *bufio.Writer) error {
		_, err := s.f.WriteTo(w)
		return err
	})
}

// abort drops the workbook without writing it.
func (s *sheetFile) abort() { _ = s.f.Close() }

func writeAtomically(path string, write func(*bufio.Writer) error) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".partial")
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("写入 %s：%w", filepath.Base(path), err)
	}
	return nil
}
