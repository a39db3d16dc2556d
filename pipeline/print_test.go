package pipeline

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/gen"
	"kam/pipeline/ingest"
	"kam/reports/reportstest"
	"kam/store/storetest"
)

// Every kind of workbook kam writes, printed by LibreOffice on A4 with its
// default settings, carries no text smaller than 8 pt on any page (SPEC §5):
// each job's city workbook and a centre's own, the public tender notice, the
// error workbook of a bad file (with its fix sheet), of a file whose header
// is not recognised and of a revenue file rejected as 疑似不完整, and every
// import template. Sizes are read back from the PDF (pdftotext -bbox).
func TestEveryWorkbookPrintsReadable(t *testing.T) {
	soffice := reportstest.Office(t)
	s := storetest.OpenSQLite(t)
	now := time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC)
	a := newTestApp(t, s, now)
	ctx := t.Context()
	if _, err := gen.Run(ctx, gen.Options{Out: a.Cfg.Paths.Inbox, Customers: 60, Months: 14, Seed: 5, End: 202606, Now: now}); err != nil {
		t.Fatal(err)
	}
	_, err := a.Ingest(ctx)
	mustDo(t, err)
	// Three files rejected three ways: bad rows, no header kam knows, and a partial month.
	inbox := a.Cfg.Paths.Inbox
	mustDo(t, os.WriteFile(filepath.Join(inbox, "收入_有错.csv"), []byte("客户编号,月份,业务种类,收入单位编码,收入金额\n"+
		"KH9999999,2026-06,函件,ZQ01,12.00\nKH0000001,2026-13,函件,ZQ01,abc\n"), 0o644))
	mustDo(t, os.WriteFile(filepath.Join(inbox, "不明.csv"), []byte("客户编号,月份,业务种类\nK1,2026-01,函件\n"), 0o644))
	mustDo(t, os.WriteFile(filepath.Join(inbox, "收入_局部.csv"), []byte("客户编号,月份,业务种类,收入单位编码,收入金额\nKH0000001,2026-06,函件,ZQ01,12.00\n"), 0o644))
	time.Sleep(a.Cfg.Ingest.QuietPeriod.Duration + 10*time.Millisecond)
	scan, err := a.Ingest(ctx)
	mustDo(t, err)
	if n := scan.Count(ingest.OutcomeRejected); n != 3 {
		t.Fatalf("%d files rejected, want 3: %+v", n, scan.Files)
	}
	books, _ := filepath.Glob(filepath.Join(a.Cfg.Paths.Rejected, "*.errors.xlsx"))
	for job, out := range runEveryJob(t, a) {
		for _, p := range out.Paths {
			if strings.HasSuffix(p, ".xlsx") {
				books = append(books, p)
			}
		}
		// A centre's own workbook: the largest of the job's parts.
		var largest string
		var size int64
		for _, p := range out.UnitPaths {
			if fi, err := os.Stat(p); err == nil && strings.HasSuffix(p, ".xlsx") && fi.Size() > size {
				largest, size = p, fi.Size()
			}
		}
		if largest == "" && job != "review-diamond" {
			t.Errorf("%s: no centre's own workbook", job)
		}
		if largest != "" {
			books = append(books, largest)
		}
	}
	templates, err := a.WriteTemplates(ctx, t.TempDir(), domain.LoadOrder)
	mustDo(t, err)
	books = append(books, templates...)
	sort.Strings(books)

	pdfs := reportstest.RenderPDFs(t, soffice, t.TempDir(), books...)
	for _, book := range books {
		pages, err := reportstest.Pages(pdfs[book])
		mustDo(t, err)
		smallest, height := 99.0, 99.0
		for i, p := range pages {
			if p.Word != "" && p.Points < reportstest.MinPrintPoints {
				t.Errorf("%s page %d: 「%s」 prints at %.1f pt, under %.0f pt", filepath.Base(book), i+1, p.Word, p.Points, reportstest.MinPrintPoints)
			}
			if p.HeightWord != "" && p.Height < reportstest.MinPrintPoints {
				t.Errorf("%s page %d: 「%s」 is %.1f pt high, under %.0f pt", filepath.Base(book), i+1, p.HeightWord, p.Height, reportstest.MinPrintPoints)
			}
			if p.Word != "" {
				smallest = min(smallest, p.Points)
			}
			if p.HeightWord != "" {
				height = min(height, p.Height)
			}
		}
		if len(pages) == 0 {
			t.Errorf("%s printed no page", filepath.Base(book))
		}
		t.Logf("%-40s %3d pages, smallest text %.1f pt (glyph height %.1f pt)", filepath.Base(book), len(pages), smallest, height)
	}
}
