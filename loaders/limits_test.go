package loaders

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"kam/domain"
)

func TestLongValuesAreRowErrorsNamingTheLimit(t *testing.T) {
	p := csvFile(t, targetsHeader,
		"M001,2026-03,C001,,"+strings.Repeat("项", 500),       // at the limit: fine
		"M001,2026-03,C001,,"+strings.Repeat("目", 501),       // one over
		"M001,2026-03,"+strings.Repeat("C", 33)+",,续签",       // a code over 32
		"M001,2026-03,,"+strings.Repeat("名", 10<<20/3)+",续签") // a 10 MB name
	res, w := load(t, p, testEnv())
	if w.calls != 0 || res.ErrorCount != 3 {
		t.Fatalf("errors %d, writer calls %d: %s", res.ErrorCount, w.calls, fmtErrors(res.Errors))
	}
	want := []struct {
		row       int
		col, text string
	}{
		{3, "项目", "本列最多 500 个字符，这里有 501 个字符"},
		{4, "客户编号", "本列最多 32 个字符，这里有 33 个字符"},
		{5, "客户名称", "本列最多 200 个字符，这里有 3495253 个字符"},
	}
	for i, w := range want {
		e := res.Errors[i]
		if e.Row != w.row || e.Column != w.col || !strings.Contains(e.Reason, w.text) {
			t.Errorf("error %d = %+v, want row %d %s «%s»", i, e, w.row, w.col, w.text)
		}
		if n := len([]rune(e.Value)); n > maxValueShown+1 {
			t.Errorf("error %d copies %d characters of the value", i, n)
		}
	}
}

// Every column without its own limit still stops at what a cell can hold.
func TestNoValueLongerThanACell(t *testing.T) {
	p := csvFile(t, revenueHeader, "C001,2026-03,函件,D01,"+strings.Repeat("1", domain.MaxCellLen+1))
	res, _ := load(t, p, testEnv())
	if res.ErrorCount != 1 || !strings.Contains(res.Errors[0].Reason, "最多 32767 个字符") {
		t.Fatalf("errors: %s", fmtErrors(res.Errors))
	}
}

// writeZipBomb writes a workbook whose one sheet unpacks to size bytes of
// repeated text while the file stays small: one compressed megabyte of 'a',
// self-contained, repeated.
func writeZipBomb(t testing.TB, path string, size int64) {
	t.Helper()
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	var blk bytes.Buffer
	fw, _ := flate.NewWriter(&blk, flate.BestCompression)
	fw.Write(chunk)
	fw.Flush() // ends on a byte boundary with no final bit: the block can be repeated
	one := append([]byte(nil), blk.Bytes()...)
	blk.Reset()
	fw.Close()
	final := blk.Bytes()
	n := size / int64(len(chunk))
	crc := crc32.NewIEEE()
	var body bytes.Buffer
	for i := int64(0); i < n; i++ {
		crc.Write(chunk)
		body.Write(one)
	}
	body.Write(final)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, part := range []struct{ name, text string }{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
	} {
		w, err := zw.Create(part.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(part.text))
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(body.Len()), UncompressedSize64: uint64(n) * uint64(len(chunk))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(body.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

const envBombChild = "KAM_TEST_ZIP_BOMB"

// The child half of TestZipBombIsRejectedInBoundedMemoryAndTime: opens the bomb in a process of its own.
func TestZipBombChild(t *testing.T) {
	path := os.Getenv(envBombChild)
	if path == "" {
		t.Skip("run by TestZipBombIsRejectedInBoundedMemoryAndTime")
	}
	fe := openFileError(t, path)
	os.Stdout.WriteString("REASON " + fe.Reason + "\n")
}

func TestZipBombIsRejectedInBoundedMemoryAndTime(t *testing.T) {
	path := t.TempDir() + "/bomb.xlsx"
	writeZipBomb(t, path, 2<<30)
	info, _ := os.Stat(path)
	t.Logf("bomb: %d KB on disk, unpacks to 2048 MB", info.Size()>>10)
	if info.Size() > 8<<20 {
		t.Fatalf("the bomb is %d bytes: not a bomb", info.Size())
	}
	start := time.Now()
	cmd := exec.Command(os.Args[0], "-test.run=^TestZipBombChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envBombChild+"="+path)
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "REASON Excel 文件解压后超过 1024 MB 的上限") {
		t.Fatalf("child output:\n%s", out)
	}
	peakKB := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // kilobytes on Linux
	t.Logf("rejected in %v, peak RSS %d MB", took, peakKB>>10)
	if peakKB > 300<<10 {
		t.Errorf("peak RSS %d MB, want ≤ 300 MB", peakKB>>10)
	}
	if took > 10*time.Second {
		t.Errorf("took %v, want ≤ 10 s", took)
	}
}

// An encrypted workbook (an OLE2 container, as is a legacy .xls) is named as such, with the fix.
func TestOLE2WorkbookNamedWithTheFix(t *testing.T) {
	p := writeFile(t, "加密.xlsx", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...))
	fe := openFileError(t, p)
	if !strings.Contains(fe.Reason, "取消密码") || !strings.Contains(fe.Reason, "另存为 .xlsx") {
		t.Errorf("reason %q", fe.Reason)
	}
}

func TestMissingColumnNamesTheLookalikeHeader(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"客户编号,月份,业务种类,收入单位编码,收入金頟", "缺少列：收入金额（表头第 5 列是「收入金頟」，是否写错了？）"},
		{"客户编号,月\u200B份,业务种类,收入单位编码,收入金额", `缺少列：月份（表头第 2 列是「月\u200B份」，是否写错了？）`},
		{"客户编号,月份,业务种类,收入单位编码,备注", "缺少列：收入金额"},
	} {
		fe := openFileError(t, csvFile(t, tc.header, "C001,2026-03,函件,D01,1"))
		if !strings.Contains(fe.Reason, tc.want) {
			t.Errorf("%s: %q", tc.header, fe.Reason)
		}
	}
}

func TestEncodingsAndLineEndingsNamed(t *testing.T) {
	t.Run("lone CR line ends load", func(t *testing.T) {
		p := writeFile(t, "cr.csv", []byte(revenueHeader+"\rC001,2026-03,函件,D01,1\r\rC001,2026-03,包裹,D01,2\r"))
		res, w := load(t, p, testEnv())
		if res.ErrorCount != 0 || len(w.revenue) != 2 || res.Rows != 2 {
			t.Fatalf("rows %d, revenue %d: %s", res.Rows, len(w.revenue), fmtErrors(res.Errors))
		}
	})
	t.Run("BOM on a GB18030 body", func(t *testing.T) {
		gb, _ := simplifiedchinese.GB18030.NewEncoder().String(revenueHeader + "\r\nC001,2026-03,函件,D01,1\r\n")
		fe := openFileError(t, writeFile(t, "bomgb.csv", append([]byte{0xEF, 0xBB, 0xBF}, gb...)))
		if !strings.Contains(fe.Reason, "带 BOM") || !strings.Contains(fe.Reason, "GB18030") {
			t.Errorf("reason %q", fe.Reason)
		}
	})
	t.Run("CSV renamed .xlsx", func(t *testing.T) {
		fe := openFileError(t, writeFile(t, "renamed.xlsx", []byte(revenueHeader+"\r\nC001,2026-03,函件,D01,1\r\n")))
		if !strings.Contains(fe.Reason, "内容却是文本") {
			t.Errorf("reason %q", fe.Reason)
		}
	})
}
