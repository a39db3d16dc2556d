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
