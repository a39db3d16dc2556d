package loaders

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kam/domain"
)

// BenchmarkLoadRevenueCSV measures parse+check speed of a 200,000-row revenue
// CSV written to a discarding Writer, as rows/s.
func BenchmarkLoadRevenueCSV(b *testing.B) {
	const rows = 200000
	refs := newFakeRefs()
	for i := range 5000 {
		refs.customers[fmt.Sprintf("KH%06d", i)] = true
	}
	p := filepath.Join(b.TempDir(), "revenue.csv")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, revenueHeader)
	lines := []string{"函件", "包裹", "速递", "物流", "报刊发行", "集邮", "代理金融", "其他"}
	units := []string{"D01", "T01", "P01", "U00"}
	for i := range rows {
		fmt.Fprintf(w, "KH%06d,2025-%02d,%s,%s,\"%d,%03d.%02d\"\n", i%5000, 1+i%12, lines[i%8], units[i%4], 1+i%97, i%1000, i%100)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	benchLoad(b, p, refs, rows)
}

// BenchmarkLoadRevenueCSVGen is BenchmarkLoadRevenueCSV in kam gen's shape:
// amounts plain (12345.67) but for one row in fifty written "¥1,234.50".
func BenchmarkLoadRevenueCSVGen(b *testing.B) {
	const rows = 200000
	refs := newFakeRefs()
	for i := range 5000 {
		refs.customers[fmt.Sprintf("KH%06d", i)] = true
	}
	p := filepath.Join(b.TempDir(), "revenue.csv")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, revenueHeader)
	lines := []string{"函件", "包裹", "速递", "物流", "报刊发行", "集邮", "代理金融", "其他"}
	units := []string{"D01", "T01", "P01", "U00"}
	for i := range rows {
		if i%50 == 0 {
			fmt.Fprintf(w, "KH%06d,2025-%02d,%s,%s,\"¥%d,%03d.%02d\"\n", i/40, 1+i%12, lines[i%8], units[i%4], 1+i%97, i%1000, i%100)
			continue
		}
		fmt.Fprintf(w, "KH%06d,2025-%02d,%s,%s,%d.%02d\n", i/40, 1+i%12, lines[i%8], units[i%4], 1+i%99991, i%100)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	benchLoad(b, p, refs, rows)
}

// BenchmarkLoadRevenueXLSX loads a 200,000-row revenue workbook as kam gen
// --revenue-xlsx writes it (date-cell months, numeric amounts).
func BenchmarkLoadRevenueXLSX(b *testing.B) {
	const rows = 200000
	refs := newFakeRefs()
	for i := range 5000 {
		refs.customers[fmt.Sprintf("KH%06d", i)] = true
	}
	p := filepath.Join(b.TempDir(), "revenue.xlsx")
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额"}); err != nil {
		b.Fatal(err)
	}
	lines := []string{"函件", "包裹", "速递", "物流", "报刊发行", "集邮", "代理金融", "其他"}
	units := []string{"D01", "T01", "P01", "U00"}
	for i := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		month := int(domain.NewMonth(2025, time.Month(1+i%12)).First())
		if err := sw.SetRow(cell, []any{fmt.Sprintf("KH%06d", i%5000), month, lines[i%8], units[i%4], float64(1+i%9973) + 0.25}); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.SaveAs(p); err != nil {
		b.Fatal(err)
	}
	f.Close()
	benchLoad(b, p, refs, rows)
}

// benchLoad opens and loads path into a discarding Writer b.N times and reports rows/s.
func benchLoad(b *testing.B, path string, refs *fakeRefs, rows int) {
	env := Env{Refs: refs, Today: testToday}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		x, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Load(x, env, discardWriter{})
		x.Close()
		if err != nil || res.ErrorCount != 0 || res.Rows != rows {
			b.Fatalf("rows %d errors %d err %v: %v", res.Rows, res.ErrorCount, err, res.Errors[:min(3, len(res.Errors))])
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
}
