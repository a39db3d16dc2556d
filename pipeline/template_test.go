package pipeline

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/gen"
	"kam/loaders"
	"kam/pipeline/ingest"
	"kam/store"
	"kam/store/storetest"
)

// genRows reads the header and data rows of the generated extract of kind k.
func genRows(t *testing.T, dir string, k domain.Kind) (header []string, rows [][]string) {
	t.Helper()
	want := loaders.Header(k)[0]
	if k == domain.KindRevenue {
		files, _ := filepath.Glob(filepath.Join(dir, "revenue_*.csv"))
		data, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		all, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return all[0], all[1:]
	}
	f, err := excelize.OpenFile(filepath.Join(dir, string(k)+".xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := f.GetRows(f.GetSheetList()[0], excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range all {
		if len(r) > 0 && r[0] == want {
			return r, all[i+1:]
		}
	}
	t.Fatalf("%s: no header row", k)
	return nil, nil
}

// fillTemplate writes rows (under header) into the template at path, column by column label.
func fillTemplate(t *testing.T, path string, header []string, rows [][]string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	labels, err := f.GetRows(loaders.TemplateDataSheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		for j, v := range r {
			col := slices.Index(labels[0], header[j])
			if col < 0 || v == "" {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(col+1, i+2)
			if err := f.SetCellStr(loaders.TemplateDataSheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
}

// Every kind's template, filled with generated rows and dropped into the inbox, loads;
// a value outside a drop-down is rejected with the loader's usual message.
func TestTemplatesFilledInLoad(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		now := time.Date(2026, 11, 15, 10, 0, 0, 0, time.UTC)
		a := newTestApp(t, s, now)
		genDir := t.TempDir()
		if _, err := gen.Run(t.Context(), gen.Options{Out: genDir, Customers: 40, Months: 1, Seed: 3, End: 202610, Now: now}); err != nil {
			t.Fatal(err)
		}
		for _, k := range domain.LoadOrder {
			header, rows := genRows(t, genDir, k)
			dir := t.TempDir()
			paths, err := a.WriteTemplates(t.Context(), dir, []domain.Kind{k})
			if err != nil {
				t.Fatal(err)
			}
			fillTemplate(t, paths[0], header, rows)
			if err := os.MkdirAll(a.Cfg.Paths.Inbox, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(paths[0], filepath.Join(a.Cfg.Paths.Inbox, filepath.Base(paths[0]))); err != nil {
				t.Fatal(err)
			}
			res, err := a.Ingest(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeLoaded || res.Files[0].Kind != k || res.Files[0].Rows != len(rows) {
				t.Fatalf("%s template with %d generated rows: %+v", k, len(rows), res.Files)
			}
		}

		// 单位类型 outside its drop-down.
		dir := t.TempDir()
		paths, err := a.WriteTemplates(t.Context(), dir, []domain.Kind{domain.KindUnits})
		if err != nil {
			t.Fatal(err)
		}
		fillTemplate(t, paths[0], loaders.Header(domain.KindUnits), [][]string{{"Z99", "某单位", "总部"}})
		bad := filepath.Join(a.Cfg.Paths.Inbox, "单位（有误）.xlsx")
		if err := os.Rename(paths[0], bad); err != nil {
			t.Fatal(err)
		}
		res, err := a.Ingest(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeRejected || res.Files[0].Errors != 1 {
			t.Fatalf("a 单位类型 outside the list: %+v", res.Files)
		}
		errs, err := excelize.OpenFile(filepath.Join(a.Cfg.Paths.Rejected, "单位（有误）.xlsx.errors.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		defer errs.Close()
		rows, _ := errs.GetRows(errs.GetSheetList()[0])
		if !strings.Contains(strings.Join(slices.Concat(rows...), " "), "总部") {
			t.Errorf("error workbook does not name the bad value: %v", rows)
		}
	})
}
