package ingest

import (
	"fmt"
	"path/filepath"
	"slices"

	"kam/domain"
	"kam/loaders"
	"kam/pipeline/core"
	"kam/reports"
)

// fixSheetRows bounds the rows copied; a larger file is corrected in its own copy.
const fixSheetRows = 20000

// errorWorkbook is a rejected file's error workbook: every bad row and, for a
// file of a known kind with bad rows, or one rejected for a header row kam
// could read part of, the file's rows as they came on reports.FixSheet. When
// they cannot be copied, the workbook goes without them.
func errorWorkbook(a *core.App, c *candidate, path string, errs []domain.RowError, total int) ([]byte, error) {
	name := filepath.Base(c.path)
	meta := reports.Meta{GeneratedAt: a.Clock()}
	var rows *reports.FileRows
	var err error
	switch {
	case c.openErr != nil && c.openErr.Header != nil:
		rows, err = faultRows(path, c.openErr.Header)
	case c.kind == "" || !slices.ContainsFunc(errs, func(e domain.RowError) bool { return e.Row > 0 }):
		return reports.ErrorWorkbook(meta, name, c.kind, errs, total, nil)
	default:
		rows, err = fileRows(path)
	}
	if err == nil {
		var book []byte
		if book, err = reports.ErrorWorkbook(meta, name, c.kind, errs, total, rows); err == nil {
			return book, nil
		}
	}
	a.Log.Warn().Err(err).Str("file", name).Msg("错误明细中无法附上原始数据表")
	return reports.ErrorWorkbook(meta, name, c.kind, errs, total, nil)
}

// fileRows reads the file at path as its loader does: its header and up to fixSheetRows data rows.
func fileRows(path string) (*reports.FileRows, error) {
	var rows []reports.FileRow
	header, _, more, err := loaders.EachRow(path, fixSheetRows, func(row int, cells []string) error {
		rows = append(rows, reports.FileRow{Row: row, Cells: slices.Clone(cells)}) // the reader reuses cells
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		return nil, fmt.Errorf("文件超过 %d 行，请在原文件中改正", fixSheetRows)
	}
	return &reports.FileRows{Header: header, Rows: rows}, nil
}

// faultRows reads a file rejected for its header row f: that row as written,
// its cells kam could not read and the columns it lacks marked, and up to
// fixSheetRows rows below it.
func faultRows(path string, f *loaders.HeaderFault) (*reports.FileRows, error) {
	var rows []reports.FileRow
	more, err := loaders.EachRowBelow(path, f, fixSheetRows, func(row int, cells []string) error {
		rows = append(rows, reports.FileRow{Row: row, Cells: slices.Clone(cells)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		return nil, fmt.Errorf("文件超过 %d 行，请在原文件中改正", fixSheetRows)
	}
	header := slices.Clone(f.Cells)
	for _, r := range rows { // a column with data but no header still shows
		for len(header) < len(r.Cells) {
			header = append(header, "")
		}
	}
	fr := &reports.FileRows{Header: header, Rows: rows, HeaderProblems: f.Problems}
	for _, m := range f.Missing {
		fr.Added = append(fr.Added, reports.AddedColumn{Title: m.Label, Reason: m.Reason})
	}
	return fr, nil
}
