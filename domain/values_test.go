package domain

import (
	"strings"
	"testing"
)

func TestParseMoney(t *testing.T) {
	cases := []struct {
		in   string
		want Money
		err  string // part of the reason; "" means valid
	}{
		{"1234.5", 123450, ""},
		{"1234.50", 123450, ""},
		{"1,234.50", 123450, ""},
		{"¥1,234.50", 123450, ""},
		{"￥1,234.50", 123450, ""},
		{"¥ 1234", 123400, ""},
		{"(1,234.50)", -123450, ""},
		{"（1,234.50）", -123450, ""},
		{"-12", -1200, ""},
		{"-¥12.01", -1201, ""},
		{"¥-12.01", -1201, ""},
		{"+5", 500, ""},
		{"  7.05  ", 705, ""},
		{"\u30007.05\u3000", 705, ""},
		{"0", 0, ""},
		{"0.01", 1, ""},
		{"-0.01", -1, ""},
		{"1,234,567.89", 123456789, ""},
		{"100元", 10000, ""},
		// 15 significant digits is the most a spreadsheet cell holds exactly (SPEC §3.3).
		{"9,999,999,999,999.99", 999999999999999, ""},
		{"-9999999999999.99", -999999999999999, ""},
		{"(9,999,999,999,999.99)", -999999999999999, ""},
		{"0009999999999999.99", 999999999999999, ""}, // leading zeros are not significant
		{"9999999999999", 999999999999900, ""},
		{"99,999,999,999,999.99", 0, "最多 15 位有效数字"}, // 16
		{"10000000000000", 0, "金额过大"},               // a 14th digit of yuan is a 16th of fen
		{"999,999,999,999,999.99", 0, "金额过大"},
		// Full-width digits, separators and signs read as their ASCII selves (NFKC).
		{"１，２３４．５０", 123450, ""},
		{"￥１２３４", 123400, ""},
		{"－１２．０１", -1201, ""},
		{"（１，２３４．５０）", -123450, ""},
		{"1234.50\u200b", 123450, ""},
		{"\ufeff12", 1200, ""},
		{"", 0, "不能为空"},
		{"   ", 0, "不能为空"},
		{"12.345", 0, "最多两位小数"},
		{"0.001", 0, "最多两位小数"},
		{"1,23.00", 0, "金额格式不正确"},
		{"12,34", 0, "金额格式不正确"},
		{"1234,567", 0, "金额格式不正确"},
		{",123", 0, "金额格式不正确"},
		{"12.", 0, "金额格式不正确"},
		{".5", 0, "金额格式不正确"},
		{"1.2.3", 0, "金额格式不正确"},
		{"abc", 0, "金额格式不正确"},
		{"1e5", 0, "金额格式不正确"},
		{"--12", 0, "金额格式不正确"},
		{"(-12)", 0, "金额格式不正确"},
		{"-", 0, "金额格式不正确"},
		{"¥", 0, "金额格式不正确"},
		{"12 34", 0, "金额格式不正确"},
		{"1234567890123456", 0, "金额过大"},
	}
	for _, c := range cases {
		got, err := ParseMoney(c.in)
		checkParse(t, "ParseMoney", c.in, got, c.want, err, c.err)
	}
}

// checkParse compares a parser's result with the wanted value or reason.
func checkParse[T comparable](t *testing.T, fn, in string, got, want T, err error, wantErr string) {
	t.Helper()
	if wantErr == "" {
		if err != nil || got != want {
			t.Errorf("%s(%q) = %v, %v; want %v", fn, in, got, err, want)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Errorf("%s(%q) = %v, %v; want error containing %q", fn, in, got, err, wantErr)
	}
}

func TestParseDate(t *testing.T) {
	d := DateOf
	cases := []struct {
		in   string
		want Date
		err  string
	}{
		{"2026-03-05", d(2026, 3, 5), ""},
		{"2026/3/5", d(2026, 3, 5), ""},
		{"2026/03/05", d(2026, 3, 5), ""},
		{"2026.3.5", d(2026, 3, 5), ""},
		{"2026年3月5日", d(2026, 3, 5), ""},
		{"2026年03月05日", d(2026, 3, 5), ""},
		{"2026年3月5号", d(2026, 3, 5), ""},
		{"20260305", d(2026, 3, 5), ""},
		{"46086", d(2026, 3, 5), ""},
		{"46086.75", d(2026, 3, 5), ""},
		{"2026-03-05 10:30", d(2026, 3, 5), ""},
		{"2026-03-05 10:30:59", d(2026, 3, 5), ""},
		{"2026/3/5 8:05:00", d(2026, 3, 5), ""},
		{"2026-03-05T00:00:00Z", d(2026, 3, 5), ""},
		{"2026-03-05T08:00:00.123+08:00", d(2026, 3, 5), ""},
		{"2026年3月5日 10:00", d(2026, 3, 5), ""},
		{" 2024-02-29 ", d(2024, 2, 29), ""},
		{"", 0, "不能为空"},
		{"2026-02-30", 0, "日期不存在"},
		{"2025-02-29", 0, "日期不存在"},
		{"2026-13-01", 0, "日期不存在"},
		{"2026-00-10", 0, "日期不存在"},
		{"20261301", 0, "日期不存在"},
		{"2026-03", 0, "日期格式不正确"},
		{"2026", 0, "日期格式不正确"},
		{"2026.3", 0, "日期格式不正确"},
		{"9999", 0, "日期格式不正确"},
		{"12345678901", 0, "日期格式不正确"},
		{"2026-03-05 25:00", 0, "日期格式不正确"},
		{"2026-03-05 10:3", 0, "日期格式不正确"},
		{"2026-03-05x", 0, "日期格式不正确"},
		{"2026-3/5", 0, "日期格式不正确"},
		{"26-3-5", 0, "日期格式不正确"},
		{"2026-003-05", 0, "日期格式不正确"},
		{"March 5", 0, "日期格式不正确"},
		{"-46086", 0, "日期格式不正确"},
		{"2100-01-01", 0, "年份应在 1900 到 2099 之间"},
		{"1899-12-31", 0, "年份应在"},
		{"73051", 0, "年份应在"},
		{"73050", d(2099, 12, 31), ""},
		{"10000", d(1927, 5, 18), ""},
		// Full-width and invisible characters read as NormalForm has them.
		{"２０２６－０３－０５", d(2026, 3, 5), ""},
		{"２０２６年３月５日", d(2026, 3, 5), ""},
		{"２０２６／３／５　１０：３０", d(2026, 3, 5), ""},
		{"2026-03-05\u200b", d(2026, 3, 5), ""},
		{"４６０８６", d(2026, 3, 5), ""},
	}
	for _, c := range cases {
		got, err := ParseDate(c.in)
		checkParse(t, "ParseDate", c.in, got, c.want, err, c.err)
	}
}

func TestParseMonth(t *testing.T) {
	m := NewMonth(2026, 3)
	cases := []struct {
		in   string
		want Month
		err  string
	}{
		{"2026-03", m, ""},
		{"2026-3", m, ""},
		{"2026/03", m, ""},
		{"2026/3", m, ""},
		{"2026.3", m, ""},
		{"2026年3月", m, ""},
		{"2026年03月", m, ""},
		{"202603", m, ""},
		{"2026-03-05", m, ""},
		{"2026/3/31", m, ""},
		{"2026年3月5日", m, ""},
		{"20260305", m, ""},
		{"46086", m, ""},
		{"46112.5", m, ""}, // 2026-03-31 noon
		{"2026-03-01 00:00:00", m, ""},
		{"２０２６－０３", m, ""},
		{"２０２６年３月", m, ""},
		{"２０２６０３", m, ""},
		{"\u200b2026-03\u200d", m, ""},
		{"２０２６－１３", 0, "月份不存在"},
		{"", 0, "不能为空"},
		{"2026-13", 0, "月份不存在"},
		{"202600", 0, "月份不存在"},
		{"2026-00", 0, "月份不存在"},
		{"2026-02-30", 0, "日期不存在"},
		{"2026", 0, "月份格式不正确"},
		{"26-03", 0, "月份格式不正确"},
		{"2026-03x", 0, "月份格式不正确"},
		{"2026年3", 0, "月份格式不正确"},
		{"三月", 0, "月份格式不正确"},
		{"12", 0, "月份格式不正确"},
		{"2100-01", 0, "年份应在 1900 到 2099 之间"},
		{"189912", 0, "年份应在"},
		{"1900-01", NewMonth(1900, 1), ""},
	}
	for _, c := range cases {
		got, err := ParseMonth(c.in)
		checkParse(t, "ParseMonth", c.in, got, c.want, err, c.err)
	}
}

func TestParseBool(t *testing.T) {
	for _, in := range []string{"是", "Y", "y", "yes", "YES", "true", "TRUE", "1", "战略", " 是 "} {
		got, err := ParseBool(in)
		checkParse(t, "ParseBool", in, got, true, err, "")
	}
	for _, in := range []string{"否", "N", "no", "No", "false", "FALSE", "0", "一般"} {
		got, err := ParseBool(in)
		checkParse(t, "ParseBool", in, got, false, err, "")
	}
	for in, reason := range map[string]string{"": "不能为空", "对": "应为 是 或 否", "2": "应为 是 或 否", "yesno": "应为 是 或 否"} {
		got, err := ParseBool(in)
		checkParse(t, "ParseBool", in, got, false, err, reason)
	}
}

func TestParseEnum(t *testing.T) {
	cases := []struct {
		in   string
		want UnitKind
		err  string
	}{
		{"市局大客户中心", CityCenter, ""},
		{"city_center", CityCenter, ""},
		{"City_Center", CityCenter, ""},
		{"专业局", Professional, ""},
		{"DISTRICT", District, ""},
		{" 营投班组 ", Team, ""},
		{"window", Window, ""},
		{"", "", "不能为空"},
		{"总局", "", "应为 市局大客户中心、专业局、镇区局、营投班组、营业窗口 之一（也可写英文 city_center"},
		{"citycenter", "", "之一"},
	}
	for _, c := range cases {
		got, err := ParseEnum(UnitKinds, c.in)
		checkParse(t, "ParseEnum", c.in, got, c.want, err, c.err)
	}
	for in, want := range map[string]Category{"综合": Comprehensive, "Specialized": Specialized} {
		got, err := ParseEnum(Categories, in)
		checkParse(t, "ParseEnum", in, got, want, err, "")
	}
	for in, want := range map[string]CoopStatus{"合作": Cooperating, "potential": Potential} {
		got, err := ParseEnum(CoopStatuses, in)
		checkParse(t, "ParseEnum", in, got, want, err, "")
	}
	for in, want := range map[string]ManagerStatus{"离职": Departed, "Active": Active} {
		got, err := ParseEnum(ManagerStatuses, in)
		checkParse(t, "ParseEnum", in, got, want, err, "")
	}
	for in, want := range map[string]ProjectType{"节日": Holiday, "regular": Regular} {
		got, err := ParseEnum(ProjectTypes, in)
		checkParse(t, "ParseEnum", in, got, want, err, "")
	}
}

func TestParseIndustryAndLine(t *testing.T) {
	for in, want := range map[string]string{"制造业": "制造业", "it行业": "IT行业", " 其他 ": "其他", "文化、体育和娱乐业": "文化、体育和娱乐业"} {
		got, err := ParseIndustry(in)
		checkParse(t, "ParseIndustry", in, got, want, err, "")
	}
	for in, reason := range map[string]string{"": "不能为空", "餐饮业": "行业应为 国际组织、"} {
		got, err := ParseIndustry(in)
		checkParse(t, "ParseIndustry", in, got, "", err, reason)
	}
	lines := []string{"函件", "速递", "EMS"}
	for in, want := range map[string]string{"函件": "函件", "ems": "EMS", " 速递 ": "速递"} {
		got, err := ParseLine(in, lines)
		checkParse(t, "ParseLine", in, got, want, err, "")
	}
	for in, reason := range map[string]string{"": "不能为空", "包裹": "业务种类应为 函件、速递、EMS 之一"} {
		got, err := ParseLine(in, lines)
		checkParse(t, "ParseLine", in, got, "", err, reason)
	}
}

func TestParseRatio(t *testing.T) {
	cases := []struct {
		in   string
		want Ratio
		err  string
	}{
		{"50", 5000, ""},
		{"50.00", 5000, ""},
		{"50.5", 5050, ""},
		{"33.33%", 3333, ""},
		{"33.33 %", 3333, ""},
		{"66.67％", 6667, ""},
		{"100", 10000, ""},
		{"0.01", 1, ""},
		{"５０．５０％", 5050, ""},
		{"３３．３３", 3333, ""},
		{"", 0, "不能为空"},
		{"33.333", 0, "最多两位小数"},
		{"0", 0, "应大于 0"},
		{"100.01", 0, "不超过 100"},
		{"150%", 0, "不超过 100"},
		{"-5", 0, "格式不正确"},
		{"五十", 0, "格式不正确"},
		{"1000", 0, "格式不正确"},
		{"50.", 0, "格式不正确"},
	}
	for _, c := range cases {
		got, err := ParseRatio(c.in)
		checkParse(t, "ParseRatio", c.in, got, c.want, err, c.err)
	}
}

func TestCreditCode(t *testing.T) {
	// The example GB 32100-2015 is usually quoted with, and published codes of large companies.
	for _, code := range []string{"91350100M000100Y43", "91110000600037341L", "91440300708461136T",
		"914403001922038216", "9144030071526726XG", "91330100799655058B", "91110000802100433B"} {
		got, err := ParseCreditCode(code)
		checkParse(t, "ParseCreditCode", code, got, code, err, "")
		c, err := CreditCodeCheckChar(code[:17])
		if err != nil || c != code[17] {
			t.Errorf("CreditCodeCheckChar(%q) = %c, %v; want %c", code[:17], c, err, code[17])
		}
	}
	got, err := ParseCreditCode(" 91440300708461136t ")
	checkParse(t, "ParseCreditCode", "lower case", got, "91440300708461136T", err, "")
	got, err = ParseCreditCode("９１４４０３００７０８４６１１３６Ｔ\u200b")
	checkParse(t, "ParseCreditCode", "full width", got, "91440300708461136T", err, "")
	for in, reason := range map[string]string{
		"":                    "不能为空",
		"91350100M000100Y4":   "应为 18 位",
		"91350100M000100Y433": "应为 18 位",
		"91350100M000100Y44":  "校验位不正确",
		"91350100M000100Y4I":  "无效字符",
		"9135010OM000100Y43":  "无效字符",
		"统一社会信用代码":            "应为 18 位",
	} {
		got, err := ParseCreditCode(in)
		checkParse(t, "ParseCreditCode", in, got, "", err, reason)
	}
	// check = 31 - sum%31 with 31 → 0: a code whose weighted sum is a multiple of 31 ends in 0.
	if c, err := CreditCodeCheckChar("00000000000000000"); err != nil || c != '0' {
		t.Errorf("CreditCodeCheckChar(zeros) = %c, %v; want 0", c, err)
	}
	if _, err := CreditCodeCheckChar("0000000000000000I"); err == nil {
		t.Error("CreditCodeCheckChar accepted I")
	}
}

func TestParseCount(t *testing.T) {
	for in, want := range map[string]int{"2": 2, "12": 12, "3.0": 3, "１２": 12} {
		got, err := ParseCount(in, 120)
		checkParse(t, "ParseCount", in, got, want, err, "")
	}
	for _, in := range []string{"0", "121", "-1", "1.5", "两", "+3"} {
		got, err := ParseCount(in, 120)
		checkParse(t, "ParseCount", in, got, 0, err, "应为 1 到 120 的整数")
	}
}
