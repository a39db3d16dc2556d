package loaders

import (
	"errors"
	"strings"
	"testing"

	"kam/domain"
)

func TestNormalizeHeader(t *testing.T) {
	for in, want := range map[string]string{
		" 客户 编号 ":     "客户编号",
		"Customer_ID": "customerid",
		"\uFEFF单位编码":  "单位编码",
		"A角\u3000工号":  "a角工号",
		"unit code\t": "unitcode",
		"ＣＵＳＴＯＭＥＲ＿ＩＤ": "customerid",
		"收入金额（元）":     "收入金额(元)",
		"Ａ角工号":        "a角工号",
	} {
		if got := NormalizeHeader(in); got != want {
			t.Errorf("NormalizeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every kind's own canonical header, Chinese or English, is recognised as that kind.
func TestRecognizeEveryKind(t *testing.T) {
	for _, k := range domain.LoadOrder {
		var english []string
		for _, c := range Columns(k) {
			english = append(english, strings.ToUpper(c.Name))
		}
		for _, header := range [][]string{Header(k), english} {
			m, ok, err := recognizeHeader(header)
			if !ok || err != nil || m.kind != k {
				t.Errorf("%v recognised as %q ok=%v err=%v, want %q", header, m.kind, ok, err, k)
			}
		}
	}
}

func TestRecognizeHeaderOptionalColumnsAndExtras(t *testing.T) {
	// Optional columns left out, extra columns added, order shuffled.
	m, ok, err := recognizeHeader([]string{"备注", "单位类型", "单位名称", "序号", "单位编码"})
	if !ok || err != nil || m.kind != domain.KindUnits {
		t.Fatalf("got %q ok=%v err=%v", m.kind, ok, err)
	}
	if m.pos[uCode] != 4 || m.pos[uKind] != 1 || m.pos[uParent] != -1 {
		t.Errorf("positions %v", m.pos)
	}
}

func TestRecognizeHeaderProblems(t *testing.T) {
	cases := []struct {
		name   string
		header []string
		reason string
	}{
		{"duplicate column", []string{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额", "customer_id"},
			"表头中「客户编号」列出现了两次（第 1 列和第 6 列）"},
		{"two kinds equally", []string{"工号", "姓名", "所属单位编码", "状态", "目标月份", "项目", "客户名称"},
			""}, // targets has 4 columns present, managers 4: a tie
		{"targets without customer columns", []string{"工号", "目标月份", "项目"},
			"目标文件需要「客户编号」或「客户名称」列"},
	}
	for _, c := range cases {
		_, ok, err := recognizeHeader(c.header)
		var fe *FileError
		if !ok || !errors.As(err, &fe) {
			t.Errorf("%s: ok=%v err=%v, want a FileError", c.name, ok, err)
			continue
		}
		if c.reason != "" && !strings.Contains(fe.Reason, c.reason) {
			t.Errorf("%s: reason %q, want %q", c.name, fe.Reason, c.reason)
		}
		if c.reason == "" && !strings.Contains(fe.Reason, "无法判断文件类型") {
			t.Errorf("%s: reason %q", c.name, fe.Reason)
		}
	}
}

// A header holding all of one kind and more of another's columns goes to the fuller kind.
func TestRecognizeHeaderPrefersFullerKind(t *testing.T) {
	m, ok, err := recognizeHeader([]string{"工号", "姓名", "所属单位编码", "状态", "目标月份", "项目", "客户名称", "客户编号"})
	if !ok || err != nil || m.kind != domain.KindTargets {
		t.Fatalf("got %q ok=%v err=%v, want targets", m.kind, ok, err)
	}
}

func TestUnrecognizedHeaderNamesClosestKind(t *testing.T) {
	near, ok, _ := recognizeHeader([]string{"客户编号", "业务种类", "收入单位编码", "金额"})
	if ok {
		t.Fatal("incomplete header recognised")
	}
	fe := unrecognizedHeader(near)
	if !strings.Contains(fe.Reason, "最接近「收入」文件，缺少列：月份、收入金额") {
		t.Errorf("reason %q", fe.Reason)
	}
	near, _, _ = recognizeHeader([]string{"甲", "乙"})
	if fe := unrecognizedHeader(near); !strings.Contains(fe.Reason, "没有找到表头") {
		t.Errorf("reason %q", fe.Reason)
	}
}

// A unit kam does not read the column in is no match, and the reason says so.
func TestHeaderWithAnotherUnitIsNamed(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"客户编号,月份,业务种类,收入单位编码,收入金额（万元）",
			"缺少列：收入金额（表头第 5 列是「收入金额（万元）」：「收入金额」应以元为单位，括号中写的是「万元」；kam 不换算单位"},
		{"客户编号,月份,业务种类,收入单位编码,收入金额(分)", "括号中写的是「分」"},
		{"客户编号（旧）,月份,业务种类,收入单位编码,收入金额", "缺少列：客户编号（表头第 1 列是「客户编号（旧）」：「客户编号」列的表头括号中只能写「必填」「选填」之类的说明"},
	} {
		fe := openFileError(t, csvFile(t, tc.header, "C001,2026-03,函件,D01,1"))
		if !strings.Contains(fe.Reason, tc.want) {
			t.Errorf("%s: %q", tc.header, fe.Reason)
		}
	}
	// An optional column in a unit kam does not read rejects the file: leaving it out would change what loads.
	fe := openFileError(t, csvFile(t, strings.Replace(claimsHeader, "开发期限月数", "开发期限月数（年）", 1), "CL1,C001,D01,M001,2026-03-01,,常规,1,"))
	if !strings.Contains(fe.Reason, "表头第 8 列「开发期限月数（年）」：「开发期限月数」应以月为单位") {
		t.Errorf("reason %q", fe.Reason)
	}
	// The unit-less column beside it holds: an extra column with a note is ignored, not an error.
	if x, err := Open(csvFile(t, revenueHeader+",客户编号（旧）", "C001,2026-03,函件,D01,1,X")); err != nil {
		t.Errorf("extra bracketed column: %v", err)
	} else {
		x.Close()
	}
}
