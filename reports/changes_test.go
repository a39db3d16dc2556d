package reports

import (
	"fmt"
	"strings"
	"testing"

	"kam/domain"
)

// diffTables lists every row that differs, keyed by the sheet's key columns:
// modified cells one a row with 差额 for amounts, added and removed rows whole
// and then per non-zero amount; a repeated key is matched by its occurrence.
func TestDiffTables(t *testing.T) {
	head := []string{"单位编码", "单位名称", "分成金额"}
	kinds := []ColKind{Text, Text, Amount}
	detailHead := []string{"客户编号", "业务种类", "收入单位编码", "收入金额", "分成单位编码", "分成比例", "分成金额", "协议编号"}
	detailKinds := []ColKind{Text, Text, Text, Amount, Text, Share, Amount, Text}
	cases := []struct {
		name     string
		sheet    string
		head     []string
		kinds    []ColKind
		was, now [][]string
		want     []string // 变动 键 列 原值 新值 差额(fen)
		rows     int
	}{
		{name: "same", sheet: "单位汇总", head: head, kinds: kinds,
			was: [][]string{{"D01", "莞城", "100.5"}}, now: [][]string{{"D01", "莞城", "100.5"}}},
		{name: "amount changed", sheet: "单位汇总", head: head, kinds: kinds,
			was: [][]string{{"D01", "莞城", "100.5"}, {"D02", "南城", "7"}}, now: [][]string{{"D01", "莞城", "100.25"}, {"D02", "南城", "7"}},
			want: []string{"修改 D01 分成金额 100.50 100.25 -25"}, rows: 1},
		{name: "text and amount changed", sheet: "单位汇总", head: head, kinds: kinds,
			was: [][]string{{"D01", "莞城", "1"}}, now: [][]string{{"D01", "莞城区", "2"}},
			want: []string{"修改 D01 单位名称 莞城 莞城区 -", "修改 D01 分成金额 1.00 2.00 100"}, rows: 1},
		{name: "added and removed", sheet: "单位汇总", head: head, kinds: kinds,
			was: [][]string{{"D01", "莞城", "1"}, {"D03", "东城", "0"}}, now: [][]string{{"D01", "莞城", "1"}, {"D02", "南城", "-3.5"}},
			want: []string{"新增 D02 （整行） 单位编码=D02；单位名称=南城；分成金额=-3.50 -", "新增 D02 分成金额  -3.50 -350",
				"删除 D03 （整行） 单位编码=D03；单位名称=东城；分成金额=0.00 -"}, rows: 2},
		{name: "split lines by their key, repeated keys by occurrence", sheet: "分成明细", head: detailHead, kinds: detailKinds,
			was: [][]string{{"C1", "函件", "D01", "10", "D01", "60", "6", "XY1"}, {"C1", "函件", "D01", "10", "D01", "60", "6", "XY1"}, {"C1", "函件", "D01", "10", "D02", "40", "4", "XY1"}},
			now: [][]string{{"C1", "函件", "D01", "10", "D01", "60", "6", "XY1"}, {"C1", "函件", "D01", "20", "D01", "60", "12", "XY1"}, {"C1", "函件", "D01", "20", "D02", "40", "8", "XY1"}},
			want: []string{"修改 C1 / 函件 / D01 / D01 / XY1（第 2 行） 收入金额 10.00 20.00 1000", "修改 C1 / 函件 / D01 / D01 / XY1（第 2 行） 分成金额 6.00 12.00 600",
				"修改 C1 / 函件 / D01 / D02 / XY1 收入金额 10.00 20.00 1000", "修改 C1 / 函件 / D01 / D02 / XY1 分成金额 4.00 8.00 400"}, rows: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			changes, rows, err := diffTables(tc.sheet, &sheetRows{head: tc.head, rows: tc.was}, &sheetRows{head: tc.head, kinds: tc.kinds, rows: tc.now})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range changes {
				diff := "-"
				if c.HasDiff {
					diff = fmt.Sprint(int64(c.Diff))
				}
				side := strings.TrimSpace(c.Old + " " + c.New)
				if c.Column != wholeRow {
					side = c.Old + " " + c.New
				}
				got = append(got, strings.Join([]string{c.Kind, c.Key, c.Column, side, diff}, " "))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") || rows != tc.rows {
				t.Errorf("changes (%d rows):\n%s\nwant (%d rows):\n%s", rows, strings.Join(got, "\n"), tc.rows, strings.Join(tc.want, "\n"))
			}
			var sum domain.Money
			for _, c := range changes {
				if c.Column == "分成金额" {
					sum += c.Diff
				}
			}
			var before, after domain.Money
			col := 2
			if tc.sheet == "分成明细" {
				col = 6
			}
			for _, r := range tc.was {
				m, _ := rawFen(r[col])
				before += m
			}
			for _, r := range tc.now {
				m, _ := rawFen(r[col])
				after += m
			}
			if sum != after-before {
				t.Errorf("差额 of 分成金额 sum to %d fen, the column moved %d", sum, after-before)
			}
		})
	}
}
