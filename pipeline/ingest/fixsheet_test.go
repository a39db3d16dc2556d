package ingest

import (
	"bytes"
	"kam/config"
	"kam/domain"
	"kam/pipeline/core"
	"kam/reports"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/xuri/excelize/v2"
)

// The fix sheet is left out, the rest of the error workbook kept, for a file
// past fixSheetRows, for one whose kind is unknown and when no error is of a row.
func TestErrorWorkbookWithoutFixSheet(t *testing.T) {
	now := time.Date(2026, 11, 15, 10, 0, 0, 0, time.UTC)
	a := &core.App{Cfg: config.Default(), Log: zerolog.New(zerolog.NewTestWriter(t)), Now: func() time.Time { return now }}
	var big strings.Builder
	big.WriteString("客户编号,月份,业务种类,收入单位编码,收入金额\n")
	for range fixSheetRows + 1 {
		big.WriteString("C001,2026-06,函件,DC,1.00\n")
	}
	small := "客户编号,月份,业务种类,收入单位编码,收入金额\nC001,2026-13,函件,DC,1.00\n"
	rowErr := []domain.RowError{{Row: 2, Column: "月份", Value: "2026-13", Reason: "月份不正确"}}
	cases := []struct {
		name, data string
		kind       domain.Kind
		errs       []domain.RowError
		fixSheet   bool
	}{
		{"a small file", small, domain.KindRevenue, rowErr, true},
		{"past the limit", big.String(), domain.KindRevenue, rowErr, false},
		{"unknown kind", small, "", rowErr, false},
		{"no row errors", small, domain.KindRevenue, []domain.RowError{wholeFile("收入.csv", "文件太大")}, false},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "收入.csv")
		if err := os.WriteFile(path, []byte(c.data), 0o644); err != nil {
			t.Fatal(err)
		}
		data, err := errorWorkbook(a, &candidate{path: path, kind: c.kind}, path, c.errs, len(c.errs))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		book, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		sheets := book.GetSheetList()
		book.Close()
		if slices.Contains(sheets, reports.FixSheet) != c.fixSheet || !slices.Contains(sheets, "错误明细") {
			t.Errorf("%s: sheets %v", c.name, sheets)
		}
	}
}
