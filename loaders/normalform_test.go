package loaders

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"kam/domain"
)

// SPEC §3.3: codes and ids compare in one normal form; amounts and months
// read full-width; a unit in brackets after a header matches its column.

// kh0000001Env is the test world with customer KH0000001 stored as kam stores it.
func kh0000001Env() Env {
	env := testEnv()
	env.Refs.(*fakeRefs).customers["KH0000001"] = true
	return env
}

// The four spellings of one customer staff sent: each either is KH0000001 or is a row error naming why.
const lookalikeRevenue = revenueHeader + "\r\n" +
	"KH0000001\u200b,2026-03,函件,D01,100\r\n" + // a zero-width space after it
	"ＫＨ0000001,2026-03,函件,D01,200\r\n" + // full-width letters
	"kh0000001,2026-03,函件,d01,300\r\n" + // lower case, the unit too
	"КН0000001,2026-03,函件,D01,400\r\n" // Cyrillic К and Н

func checkLookalikes(t *testing.T, res Result, w *fakeWriter) {
	t.Helper()
	wantErrors(t, res, w, rowErr(5, "客户编号", "КН0000001", "含有西里尔（俄文）字母「К」（U+041A，形似英文字母 K）"))
}

func TestLookalikeCustomerIDsCSV(t *testing.T) {
	res, w := load(t, writeFile(t, "r.csv", []byte(lookalikeRevenue)), kh0000001Env())
	checkLookalikes(t, res, w)

	// Without the Cyrillic row the file loads, every row on the one customer and unit.
	clean := strings.Join(strings.Split(lookalikeRevenue, "\r\n")[:4], "\r\n") + "\r\n"
	res, w = load(t, writeFile(t, "r.csv", []byte(clean)), kh0000001Env())
	wantClean(t, res)
	want := []domain.Revenue{
		{Customer: "KH0000001", Month: domain.NewMonth(2026, 3), Line: "函件", Unit: "D01", Amount: 10000},
		{Customer: "KH0000001", Month: domain.NewMonth(2026, 3), Line: "函件", Unit: "D01", Amount: 20000},
		{Customer: "KH0000001", Month: domain.NewMonth(2026, 3), Line: "函件", Unit: "D01", Amount: 30000},
	}
	if fmt.Sprint(w.revenue) != fmt.Sprint(want) {
		t.Errorf("revenue %+v\nwant %+v", w.revenue, want)
	}
}

func TestLookalikeCustomerIDsGB18030(t *testing.T) {
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(lookalikeRevenue)
	if err != nil {
		t.Fatal(err)
	}
	x, err := Open(writeFile(t, "r.csv", []byte(gb)))
	if err != nil {
		t.Fatal(err)
	}
	enc := x.Encoding()
	x.Close()
	if enc != "GB18030" {
		t.Fatalf("encoding %s", enc)
	}
	res, w := load(t, writeFile(t, "r.csv", []byte(gb)), kh0000001Env())
	checkLookalikes(t, res, w)
}

func TestLookalikeCustomerIDsXLSX(t *testing.T) {
	p := xlsxFile(t, [][]any{
		{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额"},
		{"KH0000001\u200b", "2026-03", "函件", "D01", 100},
		{"ＫＨ0000001", "2026-03", "函件", "D01", 200},
		{"kh0000001", "2026-03", "函件", "d01", 300},
		{"КН0000001", "2026-03", "函件", "D01", 400},
	}, nil)
	res, w := load(t, p, kh0000001Env())
	checkLookalikes(t, res, w)
}

// Full-width amounts and months, and a header with its unit in brackets, as a CRM export on a Chinese system writes them.
func TestFullWidthValuesAndBracketedUnit(t *testing.T) {
	want := []domain.Revenue{
		{Customer: "C001", Month: domain.NewMonth(2026, 3), Line: "函件", Unit: "D01", Amount: 123450},
		{Customer: "C002", Month: domain.NewMonth(2026, 2), Line: "速递", Unit: "P01", Amount: -1200},
	}
	rows := []string{"Ｃ００１,２０２６－０３,函件,Ｄ０１,\"１，２３４．５０\"", "c002,２０２６年２月,速递,p01,（１２．００）"}
	for _, header := range []string{
		"客户编号,月份,业务种类,收入单位编码,收入金额（元）",
		"客户编号,月份,业务种类,收入单位编码,收入金额(元)",
		"客户编号,月份,业务种类,收入单位编码,收入金额 [元]",
		"customer_id,month,business_line,unit_code,Amount (CNY)",
		"ｃｕｓｔｏｍｅｒ＿ｉｄ,月份,业务种类,收入单位编码,收入金额（必填）",
	} {
		t.Run(header, func(t *testing.T) {
			text := header + "\r\n" + strings.Join(rows, "\r\n") + "\r\n"
			for name, data := range map[string][]byte{"utf8.csv": []byte(text), "gb.csv": gb18030(t, text)} {
				res, w := load(t, writeFile(t, name, data), testEnv())
				wantClean(t, res)
				if fmt.Sprint(w.revenue) != fmt.Sprint(want) {
					t.Errorf("%s: revenue %+v\nwant %+v", name, w.revenue, want)
				}
			}
		})
	}
	t.Run("xlsx", func(t *testing.T) {
		p := xlsxFile(t, [][]any{
			{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额（元）"},
			{"Ｃ００１", "２０２６－０３", "函件", "Ｄ０１", "１，２３４．５０"},
			{"c002", "２０２６年２月", "速递", "p01", "（１２．００）"},
		}, nil)
		res, w := load(t, p, testEnv())
		wantClean(t, res)
		if fmt.Sprint(w.revenue) != fmt.Sprint(want) {
			t.Errorf("revenue %+v\nwant %+v", w.revenue, want)
		}
	})
}

func gb18030(t *testing.T, s string) []byte {
	t.Helper()
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(gb)
}

func TestAmountOfSixteenSignificantDigitsIsARowError(t *testing.T) {
	p := csvFile(t, revenueHeader,
		"C001,2026-03,函件,D01,\"9,999,999,999,999.99\"",
		"C001,2026-03,函件,D01,\"99,999,999,999,999.99\"",
		"C001,2026-03,函件,D01,\"999,999,999,999,999.99\"",
		"C001,2026-03,函件,D01,１０００００００００００００００")
	res, w := load(t, p, testEnv())
	wantErrors(t, res, w,
		rowErr(3, "收入金额", "99,999,999,999,999.99", "金额过大：最多 15 位有效数字"),
		rowErr(4, "收入金额", "999,999,999,999,999.99", "金额过大"),
		rowErr(5, "收入金额", "１０００００００００００００００", "金额过大"))

	// An xlsx number cell of 16 significant digits too.
	p = xlsxFile(t, [][]any{{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额"},
		{"C001", "2026-03", "函件", "D01", 9999999999999.99},
		{"C001", "2026-03", "函件", "D01", 99999999999999.9}}, nil)
	res, w = load(t, p, testEnv())
	wantErrors(t, res, w, rowErr(3, "收入金额", "99999999999999.9", "金额过大"))
}

// Keys compare in normal form inside a file too: two spellings of one id are a duplicate.
func TestKeysInNormalForm(t *testing.T) {
	t.Run("customers", func(t *testing.T) {
		res, w := load(t, csvFile(t, customersHeader,
			"kh0000001,东莞甲公司,91350100M000100Y43,制造业,综合,,合作,是,ｄ０１,D01,M001,",
			"ＫＨ0000001\u200b,东莞乙公司,91110000600037341L,制造业,综合,,合作,是,D01,D01,M001,",
			"C1О0,东莞丙公司,91110000600037341L,制造业,综合,,合作,是,D01,D01,M00l,"), testEnv())
		wantErrors(t, res, w,
			rowErr(3, "客户编号", "KH0000001", "客户编号与第 2 行重复"),
			rowErr(4, "客户编号", "C1О0", "西里尔（俄文）字母「О」"),
			rowErr(4, "A角工号", "M00l", "系统中没有这个工号"))
	})
	t.Run("units and their parents", func(t *testing.T) {
		res, w := load(t, csvFile(t, unitsHeader,
			"zq14,虎门镇区局,镇区局,,",
			"ｚｑ14-t1,虎门营投班组,营投班组,zq14,",
			"ZQ15/1,长安镇区局,镇区局,,"), testEnv())
		wantErrors(t, res, w, rowErr(4, "单位编码", "ZQ15/1", "含有符号「/」"))
		res, w = load(t, csvFile(t, unitsHeader, "zq14,虎门镇区局,镇区局,,", "ｚｑ14-t1,虎门营投班组,营投班组,zq14\u200b,"), testEnv())
		wantClean(t, res)
		want := []domain.Unit{{Code: "ZQ14", Name: "虎门镇区局", Kind: domain.District}, {Code: "ZQ14-T1", Name: "虎门营投班组", Kind: domain.Team, Parent: "ZQ14"}}
		if fmt.Sprint(w.units) != fmt.Sprint(want) {
			t.Errorf("units %+v", w.units)
		}
	})
	t.Run("staff ids keep their case", func(t *testing.T) {
		res, w := load(t, csvFile(t, managersHeader, "ｍ010,张三,d01,在职", "M010,李四,D01,在职", "Ｍ 011,王五,D01,在职"), testEnv())
		wantErrors(t, res, w, rowErr(4, "工号", "Ｍ 011", "含有空格"))
		res, w = load(t, csvFile(t, managersHeader, "ｍ010,张三,d01,在职", "M010,李四,D01,在职"), testEnv())
		wantClean(t, res)
		if len(w.managers) != 2 || w.managers[0].StaffID != "m010" || w.managers[0].Unit != "D01" {
			t.Errorf("managers %+v", w.managers)
		}
	})
	t.Run("claims and agreements", func(t *testing.T) {
		res, w := load(t, csvFile(t, claimsHeader,
			"ＳＢ－００１,c001,d01,M001,２０２６－０３－０１,,常规,２,",
			"SB-001\u200b,C002,D01,M002,2026-03-01,,常规,,"), testEnv())
		wantErrors(t, res, w, rowErr(3, "申报编号", "SB-001", "申报编号与第 2 行重复"))
		res, w = load(t, csvFile(t, splitsHeader,
			"ＦＣ１,c001,２０２６－０２,,函件,d01,６０％",
			"FC1,C001,2026-02,,函件,P01,40"), testEnv())
		wantClean(t, res)
		if len(w.agreements) != 1 || w.agreements[0].ID != "FC1" || w.agreements[0].Customer != "C001" ||
			fmt.Sprint(w.agreements[0].Parties) != "[{D01 60.00} {P01 40.00}]" {
			t.Errorf("agreements %+v", w.agreements)
		}
	})
	t.Run("targets", func(t *testing.T) {
		res, w := load(t, csvFile(t, targetsHeader, "Ｍ001,２０２６－０４,c002,,续签"), testEnv())
		wantClean(t, res)
		if len(w.targets) != 1 || w.targets[0][0].StaffID != "M001" || w.targets[0][0].Customer != "C002" {
			t.Errorf("targets %+v", w.targets)
		}
	})
}

// An xlsx whose code cells hold full-width text and a GB18030 CSV of the same rows load alike.
func TestCustomersFullWidthXLSX(t *testing.T) {
	var header []any
	for _, h := range strings.Split(customersHeader, ",") {
		header = append(header, h)
	}
	p := xlsxFile(t, [][]any{
		header,
		{"ｋｈ０００００１", "东莞甲公司", "９１３５０１００Ｍ０００１００Ｙ４３", "制造业", "综合", "", "合作", "是", "Ｄ０１", "t01", "Ｍ００１", "M002\u200b"},
	}, nil)
	res, w := load(t, p, testEnv())
	wantClean(t, res)
	c := w.customers[0]
	if c.ID != "KH000001" || c.CreditCode != "91350100M000100Y43" || c.Territory != "D01" || c.Signing != "T01" || c.ManagerA != "M001" || c.ManagerB != "M002" {
		t.Errorf("customer %+v", c)
	}
}

// A spreadsheet's 合计 row left in is named as such, not as a code with Chinese characters.
func TestTotalRowIsNamed(t *testing.T) {
	res, w := load(t, csvFile(t, revenueHeader, "C001,2026-03,函件,D01,100.00", "合计,,,,100.00"), testEnv())
	if res.ErrorCount == 0 || w.calls != 0 {
		t.Fatalf("loaded: %d errors, %d writer calls", res.ErrorCount, w.calls)
	}
	if e := res.Errors[0]; e.Row != 3 || e.Column != "客户编号" || e.Reason != "系统中没有这个客户编号：这一行像是合计行（「合计」不是编号），请删去合计行后重新导入" {
		t.Errorf("first error %+v", e)
	}
	res, _ = load(t, csvFile(t, unitsHeader, "D02,虎门镇区局,镇区局,,", "小计,,,,"), testEnv())
	if e := res.Errors[0]; e.Row != 3 || e.Reason != "这一行像是合计行（「小计」不是编号），请删去合计行后重新导入" {
		t.Errorf("first error %+v", e)
	}
}
