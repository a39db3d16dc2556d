package domain

import (
	"strings"
	"testing"
)

func TestNormalForm(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"KH0000001", "KH0000001"},
		{"  KH0000001\t", "KH0000001"},
		{"ＫＨ０１", "KH01"},                             // full-width letters and digits
		{"２０２６－１２", "2026-12"},                       // full-width digits and hyphen-minus
		{"１，２３４．５０", "1,234.50"},                     // full-width comma and full stop
		{"KH0000001\u200b", "KH0000001"},             // zero-width space
		{"\ufeffKH\u200d00\u200c01\u2060", "KH0001"}, // BOM, joiners, word joiner
		{"\u200eKH01\u200f", "KH01"},                 // direction marks
		{"\u3000KH01\u00a0", "KH01"},                 // ideographic and no-break spaces around
		{"KH\u00ad01", "KH01"},                       // soft hyphen
		{"ｋｈ０１", "kh01"},                             // case is kept: ParseCustomerID folds it
		{"КН0000001", "КН0000001"},                   // Cyrillic stays Cyrillic: ParseCustomerID names it
		{"收入金额（元）", "收入金额(元)"},
		{"㍻", "平成"},
		{"", ""},
		{"\u200b", ""},
	} {
		if got := NormalForm(c.in); got != c.want {
			t.Errorf("NormalForm(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseCodes(t *testing.T) {
	type parser struct {
		name  string
		parse func(string) (string, error)
	}
	customer := parser{"ParseCustomerID", ParseCustomerID}
	unit := parser{"ParseUnitCode", ParseUnitCode}
	staff := parser{"ParseStaffID", ParseStaffID}
	id := parser{"ParseID", ParseID}
	cases := []struct {
		p    parser
		in   string
		want string
		err  string // part of the reason; "" means valid
	}{
		{customer, "KH0000001", "KH0000001", ""},
		{customer, "KH0000001\u200b", "KH0000001", ""},
		{customer, "ＫＨ0000001", "KH0000001", ""},
		{customer, "kh0000001", "KH0000001", ""},
		{customer, " kh-00_01 ", "KH-00_01", ""},
		{customer, "КН0000001", "", "含有西里尔（俄文）字母「К」（U+041A，形似英文字母 K）"},
		{customer, "KΗ0000001", "", "含有希腊字母「Η」（U+0397，形似英文字母 H）"},
		{customer, "KH 0000001", "", "含有空格"},
		{customer, "客户0001", "", "含有汉字「客」"},
		{customer, "KH/01", "", "含有符号「/」"},
		{customer, ".", "", "含有符号「.」"},
		{customer, "..", "", "只能由英文字母、数字、- 和 _ 组成"},
		{customer, "KHé1", "", "含有非英文字母「é」"},
		{customer, "KH٣", "", "含有非阿拉伯数字「٣」"},
		{customer, "KH\x07", "", "不可见的控制字符 U+0007"},
		{customer, "", "", "不能为空"},
		{customer, "\u200b\u3000", "", "不能为空"},
		{customer, strings.Repeat("K", MaxCodeLen), strings.Repeat("K", MaxCodeLen), ""},
		{customer, strings.Repeat("K", MaxCodeLen+1), "", "最多 32 个字符"},
		{customer, strings.Repeat("㏒", 11), "", "最多 32 个字符"}, // NFKC makes each three letters
		{unit, "zq14", "ZQ14", ""},
		{unit, "ＺＱ１４", "ZQ14", ""},
		{unit, "ZQ14-T1", "ZQ14-T1", ""},
		{unit, "ZQ14\u3000T1", "", "含有空格"},
		{unit, "ZQ14。", "", "含有符号「。」"},
		{staff, "dg10001", "dg10001", ""}, // staff ids keep their case
		{staff, "ＤＧ１０００１", "DG10001", ""},
		{staff, "DG1000l\u200b", "DG1000l", ""},
		{staff, "DG１0001О", "", "西里尔（俄文）字母「О」（U+041E，形似英文字母 O）"},
		{id, "SB-2026/001", "SB-2026/001", ""}, // claim and agreement ids: normal form only
		{id, "ＳＢ－００１\u200b", "SB-001", ""},
		{id, "协议甲", "协议甲", ""},
		{id, "\u200b", "", "不能为空"},
		{id, strings.Repeat("协", MaxCodeLen+1), "", "最多 32 个字符"},
	}
	for _, c := range cases {
		got, err := c.p.parse(c.in)
		checkParse(t, c.p.name, c.in, got, c.want, err, c.err)
	}
}
