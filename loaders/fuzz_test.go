package loaders

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"1234.5", "¥1,234.50", "(1,234.50)", "-12", "12.345", "￥-0.01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoney(s)
		if err != nil {
			return
		}
		for _, form := range []string{m.Plain(), m.Yuan()} {
			if back, err := ParseMoney(form); err != nil || back != m {
				t.Fatalf("ParseMoney(%q) = %d, but its form %q reads back as %d, %v", s, m, form, back, err)
			}
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"46086.75", "2026年3月5日", "2026/3/5 10:00", "2026-03-05T00:00:00Z", "20260230"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if y := d.Time().Year(); y < minYear || y > maxYear {
			t.Fatalf("ParseDate(%q) = %v, outside %d–%d", s, d, minYear, maxYear)
		}
		if back, err := ParseDate(d.String()); err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %v, which reads back as %v, %v", s, d, back, err)
		}
	})
}

func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-03", "2026年3月", "202603", "46086", "2026/3/5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonth(s)
		if err != nil {
			return
		}
		if !m.Valid() || m.Year() < minYear || m.Year() > maxYear {
			t.Fatalf("ParseMonth(%q) = %d, not a valid month", s, m)
		}
		if back, err := ParseMonth(m.String()); err != nil || back != m {
			t.Fatalf("ParseMonth(%q) = %v, which reads back as %v, %v", s, m, back, err)
		}
	})
}

// fuzzLoad opens and loads bytes saved under name; it must never panic, and
// whatever it reports must be fit for the error workbook.
func fuzzLoad(t *testing.T, name string, data []byte) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	x, err := Open(p)
	if err != nil {
		var fe *FileError
		if !errors.As(err, &fe) || fe.Reason == "" {
			t.Fatalf("Open: %v is not a file-level rejection", err)
		}
		return
	}
	defer x.Close()
	w := &fakeWriter{}
	res, err := Load(x, testEnv(), w)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if res.ErrorCount != len(res.Errors) {
		t.Fatalf("ErrorCount %d, listed %d", res.ErrorCount, len(res.Errors))
	}
	for _, e := range res.Errors {
		if e.Row < 1 || e.Reason == "" || !utf8.ValidString(e.Value) || !utf8.ValidString(e.Column) {
			t.Fatalf("unfit error %+v", e)
		}
	}
	if res.ErrorCount > 0 && (w.finished || len(w.units)+len(w.managers)+len(w.customers)+len(w.claims)+len(w.agreements)+len(w.targets) > 0) {
		t.Fatalf("bad file written: %d errors, writer %+v", res.ErrorCount, w)
	}
}

func FuzzLoadCSV(f *testing.F) {
	f.Add([]byte(revenueHeader + "\nC001,2026-03,函件,D01,1234.5\n"))
	f.Add([]byte(splitsHeader + "\nAG1,C001,2026-02,,函件,D01,60\nAG1,C001,2026-02,,函件,P01,40\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzLoad(t, "extract.csv", data) })
}

func FuzzLoadXLSX(f *testing.F) {
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"C001", 46086, "函件", "D01", 1234.5})
	buf, err := x.WriteToBuffer()
	x.Close()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) { fuzzLoad(t, "extract.xlsx", data) })
}
