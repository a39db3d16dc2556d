package loaders

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"kam/domain"
)

const (
	revenueHeader   = "客户编号,月份,业务种类,收入单位编码,收入金额"
	unitsHeader     = "单位编码,单位名称,单位类型,上级单位编码,专业"
	managersHeader  = "工号,姓名,所属单位编码,状态"
	customersHeader = "客户编号,客户名称,统一社会信用代码,行业,客户类别,主营业务,合作状态,战略客户,属地单位编码,签约单位编码,A角工号,B角工号"
	claimsHeader    = "申报编号,客户编号,申报单位编码,客户经理工号,申报日期,确认日期,项目类型,开发期限月数,开发成功日期"
	splitsHeader    = "协议编号,客户编号,生效月份,失效月份,业务种类,分成单位编码,分成比例"
	targetsHeader   = "工号,目标月份,客户编号,客户名称,项目"
)

func rowErr(row int, col, value, reason string) domain.RowError {
	return domain.RowError{Row: row, Column: col, Value: value, Reason: reason}
}

// openFileError opens a file that must be rejected as a whole.
func openFileError(t *testing.T, path string) *FileError {
	t.Helper()
	x, err := Open(path)
	if err == nil {
		x.Close()
		t.Fatalf("Open(%s) accepted the file", path)
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Open(%s) = %v, want a FileError", path, err)
	}
	return fe
}

// ---- one test per bad-input class ----

func TestBadMissingColumn(t *testing.T) {
	p := csvFile(t, "客户编号,月份,业务种类,收入单位编码", "C001,2026-03,函件,D01")
	fe := openFileError(t, p)
	if !strings.Contains(fe.Reason, "最接近「收入」文件，缺少列：收入金额") {
		t.Errorf("reason %q", fe.Reason)
	}
}

func TestBadUnknownEnum(t *testing.T) {
	p := csvFile(t, unitsHeader, "D02,虎门镇区局,镇区局,,", "X01,某单位,总局,,", "M01,某经理,在职,,")
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w,
		rowErr(3, "单位类型", "总局", "应为 市局大客户中心、专业局、镇区局、营投班组、营业窗口 之一"),
		rowErr(4, "单位类型", "在职", "应为 市局大客户中心"))
}

func TestBadDate(t *testing.T) {
	p := csvFile(t, claimsHeader,
		"CL1,C001,D01,M001,2026-02-30,,常规,,",
		"CL2,C001,D01,M001,2026/1/5,2026-13-01,常规,,",
		"CL3,C002,D01,M002,2026-04-01,,节日,,",
		"CL4,C002,D01,M002,2026-03-01,2026-02-01,节日,,",
	)
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w,
		rowErr(2, "申报日期", "2026-02-30", "日期不存在"),
		rowErr(3, "确认日期", "2026-13-01", "日期不存在"),
		rowErr(4, "申报日期", "2026-04-01", "日期不能晚于今天（2026-03-15）"),
		rowErr(5, "确认日期", "2026-02-01", "确认日期早于申报日期"))
}

func TestBadAmount(t *testing.T) {
	p := csvFile(t, revenueHeader,
		"C001,2026-03,函件,D01,1234.5",
		"C001,2026-03,函件,D01,12.345",
		"C002,2026-02,速递,P01,",
		"C002,2026-02,速递,P01,12元5角",
	)
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w,
		rowErr(3, "收入金额", "12.345", "金额最多两位小数"),
		rowErr(4, "收入金额", "", "不能为空"),
		rowErr(5, "收入金额", "12元5角", "金额格式不正确，应为 1234.50 或 ¥1,234.50"))
	if res.Rows != 4 {
		t.Errorf("Rows = %d, want 4", res.Rows)
	}
}

func TestBadCreditCode(t *testing.T) {
	p := csvFile(t, customersHeader,
		"C100,东莞甲公司,91350100M000100Y43,制造业,综合,,合作,是,D01,D01,M001,M002",
		"C101,东莞乙公司,91350100M000100Y44,制造业,综合,,合作,是,D01,D01,M001,",
		"C102,东莞丙公司,9135010,制造业,综合,,合作,是,D01,D01,M001,",
	)
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w,
		rowErr(3, "统一社会信用代码", "91350100M000100Y44", "校验位不正确"),
		rowErr(4, "统一社会信用代码", "9135010", "应为 18 位"))
}

func TestBadUnknownReferences(t *testing.T) {
	t.Run("revenue customer and unit", func(t *testing.T) {
		p := csvFile(t, revenueHeader, "C999,2026-03,函件,D01,1", "C001,2026-03,函件,Z99,1")
		res, w := load(t, p, testEnv())
		wantErrors(t, res, w,
			rowErr(2, "客户编号", "C999", "系统中没有这个客户编号"),
			rowErr(3, "收入单位编码", "Z99", "系统中没有这个单位编码"))
	})
	t.Run("customer managers and units", func(t *testing.T) {
		p := csvFile(t, customersHeader,
			"C100,东莞甲公司,91350100M000100Y43,制造业,综合,,合作,是,D01,Z99,M999,M888")
		res, w := load(t, p, testEnv())
		wantErrors(t, res, w,
			rowErr(2, "签约单位编码", "Z99", "系统中没有这个单位编码"),
			rowErr(2, "A角工号", "M999", "系统中没有这个工号"),
			rowErr(2, "B角工号", "M888", "系统中没有这个工号"))
	})
	t.Run("manager unit must be stored", func(t *testing.T) {
		p := csvFile(t, managersHeader, "M010,张三,D01,在职", "M011,李四,D77,离职")
		res, w := load(t, p, testEnv())
		wantErrors(t, res, w, rowErr(3, "所属单位编码", "D77", "系统中没有这个单位编码"))
	})
	t.Run("claim manager", func(t *testing.T) {
		p := csvFile(t, claimsHeader, "CL1,C001,D01,M404,2026-01-05,,常规,,")
		res, w := load(t, p, testEnv())
		wantErrors(t, res, w, rowErr(2, "客户经理工号", "M404", "系统中没有这个工号"))
	})
}

func TestBadDuplicateKey(t *testing.T) {
	p := csvFile(t, customersHeader,
		"C100,东莞甲公司,91350100M000100Y43,制造业,综合,,合作,是,D01,D01,M001,M002",
		"C101,东莞乙公司,91110000600037341L,金融业,综合,,潜在,否,D01,D01,M001,",
		"C100,东莞丙公司,91440300708461136T,制造业,专业,速递,合作,Y,D01,D01,M002,",
	)
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w, rowErr(4, "客户编号", "C100", "客户编号与第 2 行重复"))
}

func TestBadSplitRatios(t *testing.T) {
	p := csvFile(t, splitsHeader,
		"AG1,C001,2026-02,,函件,D01,60",
		"AG2,C002,2026-02,,,D01,50%",
		"AG1,C001,2026-02,,函件,P01,30",
		"AG2,C002,2026-02,,,P01,50.00%",
	)
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w, rowErr(2, "分成比例", "90.00", "协议 AG1 的分成比例合计为 90.00，应正好是 100.00"))
}

func TestBadSplitRowsDisagree(t *testing.T) {
	p := csvFile(t, splitsHeader,
		"AG1,C001,2026-02,,函件,D01,60",
		"AG1,C002,2026-01,,函件,P01,40",
		"AG1,C001,2026-02,,函件,D01,0.00",
	)
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w,
		rowErr(3, "客户编号", "C002", "与同一协议第 2 行的客户编号不一致"),
		rowErr(3, "生效月份", "2026-01", "与同一协议第 2 行的生效月份不一致"),
		rowErr(4, "分成单位编码", "D01", "同一协议中分成单位与第 2 行重复"),
		rowErr(4, "分成比例", "0.00", "应大于 0"))
}

func TestBadTwoAgreementsSameStart(t *testing.T) {
	t.Run("inside the file", func(t *testing.T) {
		p := csvFile(t, splitsHeader,
			"AG1,C002,2026-02,,函件,D01,100",
			"AG2,C002,2026/2,2026-12,函件,P01,100",
			"AG3,C002,2026-02,,速递,P01,100", // another line: allowed
		)
		res, w := load(t, p, testEnv())
		wantErrors(t, res, w, rowErr(3, "生效月份", "2026/2", "与协议 AG1（第 2 行）是同一客户、同一业务种类、同一生效月份"))
	})
	t.Run("against a stored agreement", func(t *testing.T) {
		p := csvFile(t, splitsHeader, "AG9,C001,2026-01,,,D01,100")
		res, w := load(t, p, testEnv())
		wantErrors(t, res, w, rowErr(2, "生效月份", "2026-01", "系统中已有协议 AG-OLD"))
	})
	t.Run("replacing the stored agreement itself", func(t *testing.T) {
		p := csvFile(t, splitsHeader, "AG-OLD,C001,2026-01,,,D01,70", "AG-OLD,C001,2026-01,,,P01,30")
		res, w := load(t, p, testEnv())
		wantClean(t, res)
		want := domain.SplitAgreement{ID: "AG-OLD", Customer: "C001", From: domain.NewMonth(2026, 1),
			Parties: []domain.SplitParty{{Unit: "D01", Ratio: 7000}, {Unit: "P01", Ratio: 3000}}}
		if len(w.agreements) != 1 || fmt.Sprint(w.agreements[0]) != fmt.Sprint(want) {
			t.Errorf("agreements %+v, want %+v", w.agreements, want)
		}
	})
}

func TestBadMonthAfterCurrent(t *testing.T) {
	t.Run("revenue", func(t *testing.T) {
		p := csvFile(t, revenueHeader, "C001,2026-03,函件,D01,1", "C001,2026-04,函件,D01,1")
		res, w := load(t, p, testEnv())
		wantErrors(t, res, w, rowErr(3, "月份", "2026-04", "收入月份不能晚于 2026-03"))
	})
	t.Run("split from month", func(t *testing.T) {
		p := csvFile(t, splitsHeader, "AG1,C001,2026年4月,,函件,D01,100")
		res, w := load(t, p, testEnv())
		wantErrors(t, res, w, rowErr(2, "生效月份", "2026年4月", "生效月份不能晚于 2026-03"))
	})
	t.Run("targets may be next month, not later", func(t *testing.T) {
		p := csvFile(t, targetsHeader, "M001,2026-04,C001,,续签", "M001,2026-05,C001,,续签")
		res, w := load(t, p, testEnv())
		wantErrors(t, res, w, rowErr(3, "目标月份", "2026-05", "目标月份不能晚于 2026-04"))
	})
}

func TestBadEncoding(t *testing.T) {
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range revenueHeader {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	noBOM := utf16[2:]
	badGB := []byte(revenueHeader + "\r\n")
	for range 50 {
		badGB = append(badGB, 0x81, 0x20, 0xFF, ',')
	}
	for name, data := range map[string][]byte{
		"UTF-16 with BOM":    utf16,
		"UTF-16 without BOM": noBOM,
		"binary":             {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D},
		"invalid GB18030":    badGB,
		"empty":              {},
	} {
		t.Run(name, func(t *testing.T) {
			fe := openFileError(t, writeFile(t, "revenue.csv", data))
			want := reasonEncoding
			if name == "empty" {
				want = reasonEmptyFile
			}
			if fe.Reason != want {
				t.Errorf("reason %q, want %q", fe.Reason, want)
			}
		})
	}
}

// A file that starts as clean UTF-8 but holds a stray byte past the sniffed
// sample reports that row only; inside the sample it rejects the file.
func TestBadCharactersLaterInFile(t *testing.T) {
	var b strings.Builder
	b.WriteString(revenueHeader + "\r\n")
	rows := 1
	for b.Len() < 2*sniffSize {
		b.WriteString("C001,2026-03,函件,D01,1\r\n")
		rows++
	}
	b.WriteString("C001,2026-03,函\xff件,D01,1\r\n")
	res, w := load(t, writeFile(t, "r.csv", []byte(b.String())), testEnv())
	if len(w.revenue) != batchSize*(rows/batchSize) || w.finished {
		t.Errorf("written %d rows, finished %v", len(w.revenue), w.finished)
	}
	w.calls = 0 // full batches before the bad row went out, as revenue streams
	wantErrors(t, res, w, rowErr(rows+1, "业务种类", "函\uFFFD件", "含有无法识别的字符"))

	small := []byte(revenueHeader + "\r\nC001,2026-03,函\xff件,D01,1\r\n")
	if fe := openFileError(t, writeFile(t, "r.csv", small)); fe.Reason != reasonEncoding {
		t.Errorf("reason %q", fe.Reason)
	}
}

func TestBadTruncatedXLSX(t *testing.T) {
	p := xlsxFile(t, [][]any{{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额"}, {"C001", "2026-03", "函件", "D01", 1}}, nil)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{len(data) / 2, len(data) - 10, 30} {
		fe := openFileError(t, writeFile(t, "r.xlsx", data[:n]))
		if fe.Reason != reasonBadXLSX {
			t.Errorf("truncated to %d: reason %q", n, fe.Reason)
		}
	}
}

func TestBadNonZipXLSX(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":         nil,
		"zip of no xml": {'P', 'K', 3, 4, 1, 2, 3},
	} {
		fe := openFileError(t, writeFile(t, "r.xlsx", data))
		if fe.Reason != reasonBadXLSX {
			t.Errorf("%s: reason %q", name, fe.Reason)
		}
	}
}

func TestBadExtension(t *testing.T) {
	fe := openFileError(t, writeFile(t, "r.xls", []byte("x")))
	if !strings.Contains(fe.Reason, "另存为 .xlsx") {
		t.Errorf("reason %q", fe.Reason)
	}
	fe = openFileError(t, writeFile(t, "r.txt", []byte(revenueHeader)))
	if !strings.Contains(fe.Reason, "不支持的文件类型「.txt」") {
		t.Errorf("reason %q", fe.Reason)
	}
}

// ---- files staff really send ----

var wantRevenue = []domain.Revenue{
	{Customer: "C001", Month: domain.NewMonth(2026, 3), Line: "函件", Unit: "D01", Amount: 123450},
	{Customer: "C002", Month: domain.NewMonth(2026, 2), Line: "速递", Unit: "P01", Amount: -1200},
}

func checkRevenue(t *testing.T, res Result, w *fakeWriter) {
	t.Helper()
	wantClean(t, res)
	if fmt.Sprint(w.revenue) != fmt.Sprint(wantRevenue) {
		t.Errorf("revenue %+v, want %+v", w.revenue, wantRevenue)
	}
	wantPairs := []domain.MonthLine{{Month: domain.NewMonth(2026, 2), Line: "速递"}, {Month: domain.NewMonth(2026, 3), Line: "函件"}}
	if !w.finished || fmt.Sprint(w.pairs) != fmt.Sprint(wantPairs) {
		t.Errorf("FinishRevenue(%v) called=%v, want %v", w.pairs, w.finished, wantPairs)
	}
}

func TestGB18030CSV(t *testing.T) {
	text := revenueHeader + "\r\nC001,2026年3月,函件,D01,\"¥1,234.50\"\r\nC002,2026/2,速递,P01,(12.00)\r\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, "revenue.csv", []byte(gb))
	x, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if x.Kind() != domain.KindRevenue || x.Encoding() != "GB18030" || x.Header()[4] != "收入金额" {
		t.Fatalf("kind %s encoding %s header %v", x.Kind(), x.Encoding(), x.Header())
	}
	w := &fakeWriter{}
	res, err := Load(x, testEnv(), w)
	if err != nil {
		t.Fatal(err)
	}
	checkRevenue(t, res, w)
}

// An English-headed GB18030 file whose first Chinese text sits far below the sample is still read as GB18030.
func TestGB18030CSVChineseLate(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer_id,month,business_line,unit_code,amount\r\n")
	for b.Len() < 3*sniffSize {
		b.WriteString("C001,2026-03,EMS,D01,1\r\n")
	}
	b.WriteString("C001,2026-03,函件,D01,1\r\n")
	gb, _ := simplifiedchinese.GB18030.NewEncoder().String(b.String())
	env := testEnv()
	env.Lines = []string{"EMS", "函件"}
	res, w := load(t, writeFile(t, "r.csv", []byte(gb)), env)
	wantClean(t, res)
	if last := w.revenue[len(w.revenue)-1]; last.Line != "函件" {
		t.Errorf("last row line %q", last.Line)
	}
}

func TestBOMCSV(t *testing.T) {
	data := "\uFEFF" + revenueHeader + "\nC001,2026-03,函件,D01,1234.5\nC002,2026-02,速递,P01,-12\n"
	x, err := Open(writeFile(t, "r.csv", []byte(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if x.Encoding() != "UTF-8" || x.Header()[0] != "客户编号" {
		t.Fatalf("encoding %s header %q", x.Encoding(), x.Header())
	}
	w := &fakeWriter{}
	res, err := Load(x, testEnv(), w)
	if err != nil {
		t.Fatal(err)
	}
	checkRevenue(t, res, w)
}

func TestEnglishHeadersOddOrder(t *testing.T) {
	p := csvFile(t, "Amount , Unit_Code,MONTH,remark,customer id,business_line",
		"¥1234.50,D01,2026-03,调整,C001,函件",
		"-12,P01,202602,,C002,速递")
	res, w := load(t, p, testEnv())
	checkRevenue(t, res, w)
}

func TestXLSXTitleRowAboveHeader(t *testing.T) {
	p := xlsxFile(t, [][]any{
		{"2026年3月收入明细"},
		nil,
		{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额", "备注"},
		{"C001", "2026-03", "函件", "D01", 1234.5},
		nil, // an empty row inside the data is skipped
		{"C002", "2026-02", "速递", "P01", -12, "退款"},
	}, nil)
	x, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if x.HeaderRow() != 3 || x.Kind() != domain.KindRevenue {
		t.Fatalf("header row %d kind %s", x.HeaderRow(), x.Kind())
	}
	w := &fakeWriter{}
	res, err := Load(x, testEnv(), w)
	if err != nil {
		t.Fatal(err)
	}
	checkRevenue(t, res, w)
}

// Errors in a workbook name the rows staff see, title rows and gaps included.
func TestXLSXRowNumbers(t *testing.T) {
	p := xlsxFile(t, [][]any{
		{"收入明细"},
		{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额"},
		{"C001", "2026-03", "函件", "D01", 1},
		nil, nil,
		{"C001", "2026-03", "函件", "D01", "壹元"},
	}, nil)
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w, rowErr(6, "收入金额", "壹元", "金额格式不正确"))
}

func TestXLSXFloatNoise(t *testing.T) {
	p := xlsxFile(t, [][]any{
		{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额"},
		{"C001", "2026-03", "函件", "D01", 0.1 + 0.2},
	}, nil)
	res, w := load(t, p, testEnv())
	wantClean(t, res)
	if len(w.revenue) != 1 || w.revenue[0].Amount != 30 {
		t.Errorf("revenue %+v, want 0.30", w.revenue)
	}
}

func TestXLSXHiddenSheetSkipped(t *testing.T) {
	p := xlsxFile(t, [][]any{
		{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额"},
		{"C404", "2026-03", "函件", "D01", 1},
	}, func(f *excelize.File) {
		idx, _ := f.NewSheet("收入")
		f.SetSheetRow("收入", "A1", &[]any{"说明：以下为本月收入"})
		f.SetSheetRow("收入", "A2", &[]any{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额"})
		f.SetSheetRow("收入", "A3", &[]any{"C001", "2026-03", "函件", "D01", 1234.5})
		f.SetSheetRow("收入", "A4", &[]any{"C002", "2026-02", "速递", "P01", -12})
		f.SetActiveSheet(idx)
		if err := f.SetSheetVisible("Sheet1", false); err != nil {
			panic(err)
		}
	})
	res, w := load(t, p, testEnv())
	checkRevenue(t, res, w)
}

func TestDateSerials(t *testing.T) {
	want := []domain.Claim{{ID: "CL1", Customer: "C001", Unit: "D01", Manager: "M001",
		Registered: domain.DateOf(2026, 3, 5), Confirmed: domain.DateOf(2026, 3, 6), Type: domain.Regular,
		PeriodMonths: 3, Developed: domain.DateOf(2026, 3, 10)}}
	t.Run("xlsx numbers", func(t *testing.T) {
		p := xlsxFile(t, [][]any{
			cellsOf(claimsHeader),
			{"CL1", "C001", "D01", "M001", 46086, 46087.5, "常规", 3, 46091},
		}, nil)
		res, w := load(t, p, testEnv())
		wantClean(t, res)
		if fmt.Sprint(w.claims) != fmt.Sprint(want) {
			t.Errorf("claims %+v, want %+v", w.claims, want)
		}
	})
	t.Run("xlsx date cells", func(t *testing.T) {
		p := xlsxFile(t, [][]any{
			cellsOf(claimsHeader),
			{"CL1", "C001", "D01", "M001", domain.DateOf(2026, 3, 5).Time(), domain.DateOf(2026, 3, 6).Time().Add(12 * 3600e9), "regular", "3", "2026年3月10日"},
		}, nil)
		res, w := load(t, p, testEnv())
		wantClean(t, res)
		if fmt.Sprint(w.claims) != fmt.Sprint(want) {
			t.Errorf("claims %+v, want %+v", w.claims, want)
		}
	})
	t.Run("csv serial text", func(t *testing.T) {
		p := csvFile(t, claimsHeader, "CL1,C001,D01,M001,46086,2026/3/6 12:00,常规,3,20260310")
		res, w := load(t, p, testEnv())
		wantClean(t, res)
		if fmt.Sprint(w.claims) != fmt.Sprint(want) {
			t.Errorf("claims %+v, want %+v", w.claims, want)
		}
	})
}

func TestXLSXPercentRatios(t *testing.T) {
	p := xlsxFile(t, [][]any{
		cellsOf(splitsHeader),
		{"AG1", "C002", "2026-02", "", "函件", "D01", 0.6},
		{"AG1", "C002", "2026-02", "", "函件", "P01", 0.4},
		{"AG2", "C002", "2026-02", "", "速递", "D01", 0.3333},
		{"AG2", "C002", "2026-02", "", "速递", "P01", "66.67%"},
		{"AG3", "C001", "2026-03", "2026-12", "", "D01", 100},
	}, func(f *excelize.File) {
		pct, _ := f.NewStyle(&excelize.Style{NumFmt: 9})
		custom := "0.00%"
		pct2, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
		f.SetCellStyle("Sheet1", "G2", "G3", pct)
		f.SetCellStyle("Sheet1", "G4", "G5", pct2)
	})
	res, w := load(t, p, testEnv())
	wantClean(t, res)
	var got []string
	for _, a := range w.agreements {
		got = append(got, fmt.Sprint(a.ID, a.Line, a.Parties))
	}
	want := []string{"AG1函件[{D01 60.00} {P01 40.00}]", "AG2速递[{D01 33.33} {P01 66.67}]", "AG3[{D01 100.00}]"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("agreements %v, want %v", got, want)
	}
}

// A percentage cell holding a ratio with more than two decimals is an error, not a rounding.
func TestXLSXPercentTooPrecise(t *testing.T) {
	p := xlsxFile(t, [][]any{
		cellsOf(splitsHeader),
		{"AG1", "C002", "2026-02", "", "", "D01", 0.12345},
		{"AG1", "C002", "2026-02", "", "", "P01", 0.87655},
	}, func(f *excelize.File) {
		pct, _ := f.NewStyle(&excelize.Style{NumFmt: 10})
		f.SetCellStyle("Sheet1", "G2", "G3", pct)
	})
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w,
		rowErr(2, "分成比例", "12.345", "最多两位小数"),
		rowErr(3, "分成比例", "87.655", "最多两位小数"))
}

// ---- revenue streaming ----

func revenueRows(n int, bad map[int]string) string {
	var b strings.Builder
	b.WriteString(revenueHeader + "\n")
	lines := []string{"函件", "速递", "包裹"}
	for i := range n {
		row := i + 2
		if v, ok := bad[row]; ok {
			fmt.Fprintf(&b, "C001,2026-03,函件,D01,%s\n", v)
			continue
		}
		fmt.Fprintf(&b, "C00%d,2026-%02d,%s,D01,%d.%02d\n", 1+i%2, 1+i%3, lines[i%3], i, i%100)
	}
	return b.String()
}

func TestRevenueBatchesAndPairs(t *testing.T) {
	var progress []int
	env := testEnv()
	env.Progress = func(n int) { progress = append(progress, n) }
	res, w := load(t, writeFile(t, "r.csv", []byte(revenueRows(24500, nil))), env)
	wantClean(t, res)
	if res.Rows != 24500 || len(w.revenue) != 24500 {
		t.Fatalf("rows %d written %d", res.Rows, len(w.revenue))
	}
	for i, n := range w.batches {
		if n > batchSize || (i < len(w.batches)-1 && n != batchSize) {
			t.Fatalf("batches %v", w.batches)
		}
	}
	if w.revenue[24499].Amount != 2449999 {
		t.Errorf("last amount %d", w.revenue[24499].Amount)
	}
	want := fmt.Sprint([]domain.MonthLine{{Month: domain.NewMonth(2026, 1), Line: "函件"}, {Month: domain.NewMonth(2026, 2), Line: "速递"}, {Month: domain.NewMonth(2026, 3), Line: "包裹"}})
	if fmt.Sprint(w.pairs) != want {
		t.Errorf("pairs %v, want %v", w.pairs, want)
	}
	if fmt.Sprint(progress) != "[10000 20000 24500]" {
		t.Errorf("progress %v", progress)
	}
}

// After the first bad row nothing more is written, FinishRevenue is never
// called, and every later bad row is still listed.
func TestRevenueStopsWritingAfterError(t *testing.T) {
	bad := map[int]string{2503: "x", 9000: "1.001", 12001: ""}
	res, w := load(t, writeFile(t, "r.csv", []byte(revenueRows(12000, bad))), testEnv())
	if w.finished || len(w.revenue) != batchSize {
		t.Errorf("written %d rows, finished=%v; want one batch and no finish", len(w.revenue), w.finished)
	}
	want := []domain.RowError{
		rowErr(2503, "收入金额", "x", "金额格式不正确"),
		rowErr(9000, "收入金额", "1.001", "最多两位小数"),
		rowErr(12001, "收入金额", "", "不能为空"),
	}
	if len(res.Errors) != len(want) {
		t.Fatalf("errors:\n%s", fmtErrors(res.Errors))
	}
	for i, e := range want {
		if g := res.Errors[i]; g.Row != e.Row || g.Column != e.Column || g.Value != e.Value || !strings.Contains(g.Reason, e.Reason) {
			t.Errorf("error %d = %+v, want %+v", i, g, e)
		}
	}
}

func TestMaxErrorsCountsBeyondList(t *testing.T) {
	bad := map[int]string{}
	for r := 2; r < 52; r++ {
		bad[r] = "?"
	}
	env := testEnv()
	env.MaxErrors = 10
	res, w := load(t, writeFile(t, "r.csv", []byte(revenueRows(60, bad))), env)
	if res.ErrorCount != 50 || len(res.Errors) != 10 || w.calls != 0 {
		t.Errorf("count %d listed %d calls %d", res.ErrorCount, len(res.Errors), w.calls)
	}
}

// CSV rows are numbered as Excel shows them: blank lines count, a line break inside quotes does not.
func TestCSVRowNumbers(t *testing.T) {
	data := "收入明细\r\n\r\n" + revenueHeader + "\r\n" +
		"C001,2026-03,函件,D01,1\r\n" +
		"\r\n" +
		"C001,2026-03,\"函\r\n件\",D01,1\r\n" +
		"C001,2026-03,函件,D01,bad\r\n"
	res, w := load(t, writeFile(t, "r.csv", []byte(data)), testEnv())
	wantErrors(t, res, w,
		rowErr(6, "业务种类", "函\n件", "业务种类应为"),
		rowErr(7, "收入金额", "bad", "金额格式不正确"))
}

// ---- small kinds, positive and cross-row ----

func TestUnitsParentInSameFile(t *testing.T) {
	p := csvFile(t, unitsHeader,
		"W02,虎门营业窗口,window,D02,",
		"D02,虎门镇区局,district,,",
		"P02,函件专业局,专业局,,函件",
		"T02,长安班组,营投班组,D01,", // stored district
	)
	res, w := load(t, p, testEnv())
	wantClean(t, res)
	if len(w.units) != 4 || w.units[0].Parent != "D02" || w.units[2].Line != "函件" {
		t.Errorf("units %+v", w.units)
	}
}

func TestUnitsKindRules(t *testing.T) {
	p := csvFile(t, unitsHeader,
		"T05,无上级班组,营投班组,,",
		"T06,挂错班组,营投班组,P01,",
		"W07,孤儿窗口,营业窗口,D99,",
		"P05,无专业专业局,专业局,,",
		"C02,新中心,市局大客户中心,,",
	)
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w,
		rowErr(2, "上级单位编码", "", "营投班组和营业窗口必须填写上级单位编码"),
		rowErr(3, "上级单位编码", "P01", "上级单位必须是镇区局，P01 是专业局"),
		rowErr(4, "上级单位编码", "D99", "在本文件和系统中都不存在"),
		rowErr(5, "专业", "", "专业局必须填写专业"),
		rowErr(6, "单位类型", "市局大客户中心", "系统中已有市局大客户中心 U00"))
}

func TestUnitsCityCenter(t *testing.T) {
	empty := &fakeRefs{units: map[string]domain.Unit{}}
	env := Env{Refs: empty, Today: testToday}
	t.Run("none anywhere", func(t *testing.T) {
		res, w := load(t, csvFile(t, unitsHeader, "D01,莞城镇区局,镇区局,,"), env)
		wantErrors(t, res, w, rowErr(1, "单位类型", "", "必须有一个市局大客户中心"))
	})
	t.Run("two in the file", func(t *testing.T) {
		res, w := load(t, csvFile(t, unitsHeader, "U1,中心一,city_center,,", "U2,中心二,市局大客户中心,,"), env)
		wantErrors(t, res, w, rowErr(3, "单位类型", "市局大客户中心", "只能有一个（第 2 行已是 U1）"))
	})
	t.Run("moving the centre to a new code", func(t *testing.T) {
		res, w := load(t, csvFile(t, unitsHeader, "U00,原中心,镇区局,,", "U01,新中心,市局大客户中心,,"), testEnv())
		wantClean(t, res)
		if len(w.units) != 2 {
			t.Errorf("units %+v", w.units)
		}
	})
}

func TestManagersAndCustomersLoad(t *testing.T) {
	res, w := load(t, csvFile(t, managersHeader, "M010,张三,D01,在职", "M011,李四,T01,departed"), testEnv())
	wantClean(t, res)
	want := []domain.Manager{{StaffID: "M010", Name: "张三", Unit: "D01", Status: domain.Active}, {StaffID: "M011", Name: "李四", Unit: "T01", Status: domain.Departed}}
	if fmt.Sprint(w.managers) != fmt.Sprint(want) {
		t.Errorf("managers %+v", w.managers)
	}
	res, w = load(t, csvFile(t, customersHeader,
		"C100,\"东莞甲公司\",91350100m000100y43,IT行业,专业,速递,潜在,战略,D01,T01,M001,",
		"C101,东莞乙公司,91110000600037341L,金融业,comprehensive,,cooperating,N,D01,D01,M001,M002"), testEnv())
	wantClean(t, res)
	wantC := []domain.Customer{
		{ID: "C100", Name: "东莞甲公司", CreditCode: "91350100M000100Y43", Industry: "IT行业", Category: domain.Specialized, MainLine: "速递",
			Status: domain.Potential, Strategic: true, Territory: "D01", Signing: "T01", ManagerA: "M001"},
		{ID: "C101", Name: "东莞乙公司", CreditCode: "91110000600037341L", Industry: "金融业", Category: domain.Comprehensive,
			Status: domain.Cooperating, Territory: "D01", Signing: "D01", ManagerA: "M001", ManagerB: "M002"},
	}
	if fmt.Sprint(w.customers) != fmt.Sprint(wantC) {
		t.Errorf("customers %+v\nwant %+v", w.customers, wantC)
	}
}

func TestSpecializedCustomerNeedsMainLine(t *testing.T) {
	res, w := load(t, csvFile(t, customersHeader,
		"C100,东莞甲公司,91350100M000100Y43,制造业,专业,,合作,是,D01,D01,M001,"), testEnv())
	wantErrors(t, res, w, rowErr(2, "主营业务", "", "专业客户必须填写主营业务"))
}

func TestTargets(t *testing.T) {
	t.Run("grouped by manager month", func(t *testing.T) {
		p := csvFile(t, "项目,工号,目标月份,客户名称",
			"新开发,M001,2026-04,某新公司",
			"续签,M002,2026-04,某老公司",
			"扩容,M001,2026-04,另一公司")
		res, w := load(t, p, testEnv())
		wantClean(t, res)
		if len(w.targets) != 1 || len(w.targets[0]) != 3 || w.targets[0][1].Project != "扩容" {
			t.Errorf("targets %+v", w.targets)
		}
	})
	t.Run("customer needed and duplicates", func(t *testing.T) {
		p := csvFile(t, targetsHeader,
			"M001,2026-03,,,续签",
			"M001,2026-03,C001,,续签",
			"M001,2026-03,C001,,续签",
			"M404,2026-03,C001,,续签")
		res, w := load(t, p, testEnv())
		wantErrors(t, res, w,
			rowErr(2, "客户编号", "", "客户编号和客户名称至少填一个"),
			rowErr(4, "项目", "续签", "与第 3 行完全相同"),
			rowErr(5, "工号", "M404", "系统中没有这个工号"))
	})
}

// Load never writes a word when Refs know nothing, and every row says why.
func TestEveryBadRowListed(t *testing.T) {
	p := csvFile(t, claimsHeader,
		"CL1,,,,,,,,",
		"CL1,C001,D01,M001,2026-01-02,,假日,0,2025-12-31")
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w,
		rowErr(2, "客户编号", "", "不能为空"),
		rowErr(2, "申报单位编码", "", "不能为空"),
		rowErr(2, "客户经理工号", "", "不能为空"),
		rowErr(2, "申报日期", "", "不能为空"),
		rowErr(2, "项目类型", "", "不能为空"),
		rowErr(3, "申报编号", "CL1", "申报编号与第 2 行重复"),
		rowErr(3, "项目类型", "假日", "应为 常规、节日 之一"),
		rowErr(3, "开发期限月数", "0", "应为 1 到 120 的整数"),
		rowErr(3, "开发成功日期", "2025-12-31", "开发成功日期早于申报日期"))
}

// A failing Writer is an internal error, not a bad row.
func TestWriterFailure(t *testing.T) {
	x, err := Open(csvFile(t, revenueHeader, "C001,2026-03,函件,D01,1"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	_, err = Load(x, testEnv(), failingWriter{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Load = %v, want the writer's error", err)
	}
}

type failingWriter struct{ discardWriter }

func (failingWriter) PutRevenue([]domain.Revenue) error { return errors.New("disk full") }

// cellsOf splits a CSV header into workbook cells.
func cellsOf(header string) []any {
	var cells []any
	for _, h := range strings.Split(header, ",") {
		cells = append(cells, h)
	}
	return cells
}

// Customers stream like revenue: whole batches while the file is clean, nothing after its first bad row.
func TestCustomersStreamAndStopWritingAfterError(t *testing.T) {
	rows := []string{customersHeader}
	for i := range 5000 {
		strategic := "否"
		if i == 2600 {
			strategic = "也许"
		}
		rows = append(rows, fmt.Sprintf("C%05d,东莞客户%d,91350100M000100Y43,制造业,综合,,合作,%s,D01,D01,M001,", i, i, strategic))
	}
	res, w := load(t, csvFile(t, rows...), testEnv())
	if len(w.customers) != batchSize || w.calls != 1 {
		t.Errorf("written %d customers in %d calls; want exactly the batch before the bad row", len(w.customers), w.calls)
	}
	if res.ErrorCount != 1 || res.Errors[0].Row != 2602 || res.Errors[0].Column != "战略客户" {
		t.Errorf("errors:\n%s", fmtErrors(res.Errors))
	}
	res, w = load(t, csvFile(t, append(rows[:2601:2601], rows[2602:]...)...), testEnv())
	wantClean(t, res)
	if len(w.customers) != 4999 || w.calls != 3 {
		t.Errorf("clean file: %d customers in %d calls, want 4999 in 3", len(w.customers), w.calls)
	}
}

// Ratios written as fractions (as Excel stores a percentage-formatted cell, or
// copied out of one into a CSV) are read as such when only that makes 100.00.
func TestSplitRatiosAsFractions(t *testing.T) {
	p := csvFile(t, splitsHeader,
		"AG1,C001,2026-02,,函件,D01,0.5",
		"AG1,C001,2026-02,,函件,P01,0.5",
		"AG2,C002,2026-02,,,D01,1",
		"AG3,C002,2026-03,,,D01,0.25",
		"AG3,C002,2026-03,,,P01,75%",
	)
	res, w := load(t, p, testEnv())
	wantClean(t, res)
	var got []string
	for _, a := range w.agreements {
		got = append(got, fmt.Sprint(a.ID, a.Parties))
	}
	if want := "[AG1[{D01 50.00} {P01 50.00}] AG2[{D01 100.00}] AG3[{D01 25.00} {P01 75.00}]]"; fmt.Sprint(got) != want {
		t.Errorf("agreements %v, want %v", got, want)
	}
	// 60 + 0.4 totals 100.00 in neither reading.
	res, w = load(t, csvFile(t, splitsHeader, "AG1,C001,2026-02,,函件,D01,60", "AG1,C001,2026-02,,函件,P01,0.4"), testEnv())
	wantErrors(t, res, w, rowErr(2, "分成比例", "60.40", "协议 AG1 的分成比例合计为 60.40，应正好是 100.00"))
}

func TestUnitMailboxes(t *testing.T) {
	good := csvFile(t, unitsHeader+",邮箱", `D02,虎门镇区局,镇区局,,,"hm@dg.cn；hm2@dg.cn"`, "D03,长安镇区局,镇区局,,,")
	res, w := load(t, good, testEnv())
	if res.ErrorCount != 0 || len(w.units) != 2 || w.units[0].Email != "hm@dg.cn;hm2@dg.cn" || w.units[1].Email != "" {
		t.Fatalf("mailboxes: %+v %+v", res.Errors, w.units)
	}
	bad := csvFile(t, unitsHeader+",邮箱", "D02,虎门镇区局,镇区局,,,虎门中心")
	res, w = load(t, bad, testEnv())
	wantErrors(t, res, w, rowErr(2, "邮箱", "虎门中心", "不是有效的电子邮件地址"))
}
