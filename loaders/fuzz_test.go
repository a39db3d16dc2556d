package loaders

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

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
	f.Add([]byte("客户编号,月份,业务种类,收入单位编码,收入金额（元）\nｃ００１\u200b,２０２６－０３,函件,D01,\"１，２３４．５０\"\n"))
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
