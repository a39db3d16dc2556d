package reports

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/rules"
)

func TestAppendScaled(t *testing.T) {
	for _, tc := range []struct {
		v     int64
		scale int
		want  string
	}{
		{0, 2, "0"}, {5, 2, "0.05"}, {-5, 2, "-0.05"}, {50, 2, "0.5"}, {100, 2, "1"}, {123456, 2, "1234.56"},
		{-123450, 2, "-1234.5"}, {6666, 2, "66.66"}, {10000, 4, "1"}, {-1250, 4, "-0.125"}, {1, 4, "0.0001"},
		{1, 6, "0.000001"}, {123456789, 6, "123.456789"}, {-9223372036854775808, 2, "-92233720368547758.08"},
		{9223372036854775807, 4, "922337203685477.5807"},
	} {
		if got := string(appendScaled(nil, tc.v, tc.scale)); got != tc.want {
			t.Errorf("appendScaled(%d, %d) = %s, want %s", tc.v, tc.scale, got, tc.want)
		}
	}
}

// The rows Table encodes itself read back as what excelize writes for the
// same values through its own StreamWriter: every kind, tones, empty cells,
// and text that XML or a spreadsheet would otherwise change.
func TestTableRowsReadBackAsExcelizeWritesThem(t *testing.T) {
	cols := []Column{{Title: "文本"}, {Title: "金额", Kind: Amount}, {Title: "日期", Kind: Day}, {Title: "数量", Kind: Count},
		{Title: "变动", Kind: Percent}, {Title: "比例", Kind: Share}, {Title: "万元", Kind: WanYuan}}
	pct := domain.Ratio(-3333)
	long := strings.Repeat("长", maxCellChars+10)
	cutAtSpace := strings.Repeat("长", maxCellChars-1) + " 尾巴" // cut at the limit, it ends in a space
	rows := [][]any{
		{"=SUM(A1:A2)", domain.Money(-123456), domain.DateOf(2026, 3, 5), 42, domain.Ratio(-1250), domain.Ratio(6666), domain.Money(123456789)},
		{" 前后有空格 ", domain.Money(5), domain.Date(0), int64(-7), rules.Pct(123456789), domain.Ratio(10000), domain.Money(-1)},
		{"a&b<c>d\"e'f", domain.Money(0), domain.DateOf(1900, 1, 1), int32(3), &pct, domain.Ratio(1), nil},
		{"行一\n行二\t制表\r回车", Cell{V: domain.Money(99), Tone: Good}, Cell{V: domain.DateOf(1999, 12, 31), Tone: Bad}, nil, (*domain.Ratio)(nil), nil, domain.Money(5)},
		{"控制\x01字符\x1f", nil, nil, Cell{V: 0, Tone: Warn}, nil, nil, nil},
		{"坏\xff字节", nil, nil, nil, nil, nil, nil},
		{"_x0041_ 与 _x005F_ 与 _X00zz_", nil, nil, nil, nil, nil, nil},
		{"😀𠮷", nil, nil, nil, nil, nil, nil},
		{domain.Month(202606), nil, nil, nil, nil, nil, nil},
		{long, nil, nil, nil, nil, nil, nil},
		{Cell{V: "", Tone: Warn}, nil, nil, nil, nil, nil, nil},
		{cutAtSpace, nil, nil, nil, nil, nil, nil},
	}

	ours := NewBook(testMeta)
	if err := ours.Table("表", cols, func(add func(...any) error) error {
		for _, r := range rows {
			if err := add(r...); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got := openBook(t, ours)

	// The reference: the same cells written by excelize's StreamWriter, as Table did before it encoded rows itself.
	ref := NewBook(testMeta)
	sw, err := ref.f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			c, err := excelizeCell(ref, cols[j].Kind, v)
			if err != nil {
				t.Fatal(err)
			}
			vals[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, vals); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}

	for i := range rows {
		for j := range cols {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
			for _, raw := range []bool{false, true} {
				want, err := ref.f.GetCellValue("Sheet1", cell, excelize.Options{RawCellValue: raw})
				if err != nil {
					t.Fatal(err)
				}
				have, err := got.GetCellValue("表", cell, excelize.Options{RawCellValue: raw})
				if err != nil {
					t.Fatal(err)
				}
				if want != have && !sameNumber(want, have) {
					t.Errorf("%s (raw %v) = %q, excelize writes %q", cell, raw, have, want)
				}
			}
			wantID, _ := ref.f.GetCellStyle("Sheet1", cell)
			haveID, _ := got.GetCellStyle("表", cell)
			wantStyle, _ := ref.f.GetStyle(wantID)
			haveStyle, _ := got.GetStyle(haveID)
			if !reflect.DeepEqual(wantStyle, haveStyle) {
				t.Errorf("%s style %+v, excelize writes %+v", cell, haveStyle, wantStyle)
			}
		}
	}
	// What a reader sees for the text that needed care.
	for cell, want := range map[string]string{
		"A3": " 前后有空格 ", "A4": "a&b<c>d\"e'f", "A5": "行一\n行二\t制表\r回车", "A6": "控制\uFFFD字符\uFFFD",
		"A7": "坏\uFFFD字节", "A8": "_x0041_ 与 _x005F_ 与 _X00zz_", "A9": "😀𠮷", "A10": "2026-06", "A11": long[:3*maxCellChars],
		"A13": cutAtSpace[:3*(maxCellChars-1)+1],
	} {
		if have, _ := got.GetCellValue("表", cell); have != want {
			t.Errorf("%s = %.80q, want %.80q", cell, have, want)
		}
	}
}

// sameNumber accepts the two spellings of one number: excelize's float text and the exact decimal written from fen.
func sameNumber(a, b string) bool {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	return errA == nil && errB == nil && x == y
}

// xml:space="preserve" follows the text as written, after the cut at Excel's limit.
func TestInlineStringKeepsEdgeSpaces(t *testing.T) {
	for _, tc := range []struct {
		text     string
		preserve bool
	}{
		{"中间 有空格", false}, {" 前", true}, {"后\n", true}, {"\t", true}, {"", false},
		{strings.Repeat("长", maxCellChars-1) + " 尾巴", true}, // the cut leaves a trailing space
		{strings.Repeat("长", maxCellChars) + " ", false},    // the cut drops it
	} {
		got := strings.Contains(string(appendInlineString(nil, tc.text)), `xml:space="preserve"`)
		if got != tc.preserve {
			t.Errorf("%.20q…: preserve %v, want %v", tc.text, got, tc.preserve)
		}
	}
}

// excelizeCell is how a value was written through excelize's StreamWriter
// before Table encoded rows itself: the reference the encoder is held to.
func excelizeCell(b *Book, kind ColKind, v any) (excelize.Cell, error) {
	tone := Plain
	if c, ok := v.(Cell); ok {
		tone, v = c.Tone, c.V
	}
	style, err := b.style(kind, tone)
	if err != nil {
		return excelize.Cell{}, err
	}
	var out any
	switch x := v.(type) {
	case nil:
	case domain.Money:
		if kind == WanYuan {
			out = float64(x) / 1e6 // fen → 万元
		} else {
			out = x.Float()
		}
	case domain.Date:
		if x != 0 {
			out = x.Time()
		}
	case domain.Ratio:
		if kind == Share {
			out = float64(x) / 100
		} else {
			out = float64(x) / 10000
		}
	case *domain.Ratio:
		if x != nil {
			out = float64(*x) / 10000
		}
	case rules.Pct: // a growth rate, which can pass what a Ratio holds
		out = x.Fraction()
	case domain.Month:
		out = x.String()
	case string, int, int32, int64:
		out = x
	default:
		return excelize.Cell{}, fmt.Errorf("unsupported value %T", v)
	}
	return excelize.Cell{StyleID: style, Value: out}, nil
}
