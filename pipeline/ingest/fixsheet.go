package ingest

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/loaders"
	"kam/pipeline/core"
	"kam/reports"
)

// FixSheet is the error workbook's copy of the file's rows, bad cells marked:
// corrected and dropped back into the inbox, the workbook loads from it.
const FixSheet = "改正后重新导入"

// fixSheetRows bounds the rows copied; a larger file is corrected in its own copy.
const fixSheetRows = 20000

// errorWorkbook is a rejected file's error workbook: every bad row, and the
// file's rows as they came with the bad cells filled red, the reason as each
// cell's comment and an 错误 column at the end.
func errorWorkbook(a *core.App, c *candidate, path string, errs []domain.RowError, total int) ([]byte, error) {
	name := filepath.Base(c.path)
	book, err := reports.ErrorWorkbook(reports.Meta{GeneratedAt: a.Clock()}, name, c.kind, errs, total)
	if err != nil || c.kind == "" || !slices.ContainsFunc(errs, func(e domain.RowError) bool { return e.Row > 0 }) {
		return book, err
	}
	fixed, err := withFixSheet(book, path, errs)
	if err != nil {
		a.Log.Warn().Err(err).Str("file", name).Msg("错误明细中无法附上原始数据表")
		return book, nil
	}
	return fixed, nil
}

func withFixSheet(book []byte, path string, errs []domain.RowError) ([]byte, error) {
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.NewSheet(FixSheet); err != nil {
		return nil, err
	}
	red, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}},
		Font: &excelize.Font{Color: "9C0006"}})
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	byRow := map[int][]domain.RowError{}
	for _, e := range errs {
		if e.Row > 0 {
			byRow[e.Row] = append(byRow[e.Row], e)
		}
	}
	out := 1
	write := func(cells []string) error {
		vals := make([]any, len(cells), len(cells)+1)
		for i, c := range cells {
			vals[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, out)
		return f.SetSheetRow(FixSheet, cell, &vals)
	}
	x, err := loaders.Open(path)
	if err != nil {
		return nil, err
	}
	header := x.Header()
	x.Close()
	errCol := len(header) + 1
	hdr := append(append([]string(nil), header...), "")
	if err := write(hdr); err != nil {
		return nil, err
	}
	errHead, _ := excelize.CoordinatesToCellName(errCol, 1)
	if err := f.SetCellStr(FixSheet, errHead, "错误"); err != nil {
		return nil, err
	}
	last, _ := excelize.CoordinatesToCellName(errCol, 1)
	if err := f.SetCellStyle(FixSheet, "A1", last, bold); err != nil {
		return nil, err
	}
	_, _, more, err := loaders.EachRow(path, fixSheetRows, func(row int, cells []string) error {
		out++
		if err := write(cells); err != nil {
			return err
		}
		var reasons []string
		for _, e := range byRow[row] {
			reasons = append(reasons, fmt.Sprintf("%s：%s", e.Column, e.Reason))
			col := slices.Index(header, e.Column)
			if col < 0 {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(col+1, out)
			if err := f.SetCellStyle(FixSheet, cell, cell, red); err != nil {
				return err
			}
			if err := f.AddComment(FixSheet, excelize.Comment{Cell: cell, Author: "kam", Text: e.Reason}); err != nil {
				return err
			}
		}
		if len(reasons) > 0 {
			cell, _ := excelize.CoordinatesToCellName(errCol, out)
			if err := f.SetCellStr(FixSheet, cell, strings.Join(reasons, "；")); err != nil {
				return err
			}
			if err := f.SetCellStyle(FixSheet, cell, cell, red); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		return nil, fmt.Errorf("文件超过 %d 行，请在原文件中改正", fixSheetRows)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
