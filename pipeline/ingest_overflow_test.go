package pipeline

import (
	"fmt"
	"strings"
	"testing"

	"kam/pipeline/ingest"
	"kam/store"
	"kam/store/storetest"
)

// maxYuan is the largest amount a revenue row may hold (domain.MaxAmount), as staff write it.
const maxYuan = "9999999999999.99"

// revenueOf is a revenue file of n rows for C001 in 2026-06 函件, amounts from amount(i).
func revenueOf(n int, amount func(i int) string) []byte {
	var b strings.Builder
	b.WriteString("客户编号,月份,业务种类,收入单位编码,收入金额\n")
	for i := range n {
		fmt.Fprintf(&b, "C001,2026-06,函件,DC,%s\n", amount(i))
	}
	b.WriteString("C002,2026-06,包裹,DC,50.00\n")
	return []byte(b.String())
}

// A revenue file whose (month, line) would sum beyond Money is rejected whole,
// naming the pair, instead of storing what no sum could add up; one that fits
// loads, and the shrink guard still judges a month near the limit right.
func TestIngestRejectsARevenueFileThatWouldOverflow(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		base := baselineFiles(t)
		for _, n := range []string{"d_units.csv", "c_managers.csv", "b_customers.csv"} {
			drop(t, a, n, []byte(base[n]))
		}
		scan(t, a)
		before := snapshotDB(t, s)

		rejected := func(name string, data []byte, words ...string) {
			t.Helper()
			drop(t, a, name, data)
			res := scan(t, a)
			if len(res.Files) != 1 {
				t.Fatalf("%s: %+v", name, res.Files)
			}
			fr := res.Files[0]
			if fr.Outcome != ingest.OutcomeRejected {
				t.Fatalf("%s: outcome %s, impacts %+v", name, fr.Outcome, fr.Impacts)
			}
			for _, w := range words {
				if !strings.Contains(fr.Reason, w) {
					t.Errorf("%s: reason %q does not say %q", name, fr.Reason, w)
				}
			}
			rows := errorRows(t, fr.ErrorBook)
			if len(rows) < 2 || !strings.Contains(strings.Join(rows[1], "|"), "无法精确汇总") {
				t.Errorf("%s: error workbook %q", name, rows)
			}
			if after := snapshotDB(t, s); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("%s: store changed: %v → %v", name, before, after)
			}
		}
		// 9,300 of the largest amounts: about 9.3e18 fen, past int64's 9.22e18.
		rejected("收入_溢出.csv", revenueOf(9_300, func(int) string { return maxYuan }),
			"2026-06 函件 的 9300 行收入无法精确汇总", "合计超过 ±92,233,720,368,547,758.07 元", "写错的金额")
		// Refunds bring the total back to 0, but the guard's absolute sum still does not fit.
		rejected("收入_冲减溢出.csv", revenueOf(9_300, func(i int) string {
			if i%2 == 1 {
				return "-" + maxYuan
			}
			return maxYuan
		}), "2026-06 函件 的 9300 行收入无法精确汇总：按绝对值")

		// 9,000 of them fit, and load.
		drop(t, a, "收入_大额.csv", revenueOf(9_000, func(int) string { return maxYuan }))
		if res := scan(t, a); res.Files[0].Outcome != ingest.OutcomeLoaded {
			t.Fatalf("9,000 rows of the largest amount: %+v", res.Files[0])
		}
		// Cutting that month to one row is 疑似不完整 (× 100 would wrap in 64 bits); a 40% cut is not.
		drop(t, a, "收入_大额_更正.csv", revenueOf(1, func(int) string { return maxYuan }))
		if fr := scan(t, a).Files[0]; fr.Outcome != ingest.OutcomeRejected || !strings.Contains(fr.Reason, "疑似不完整：2026-06 函件：9000 行") {
			t.Errorf("a month near the limit cut to one row: %s %q", fr.Outcome, fr.Reason)
		}
		drop(t, a, "收入_大额_少四成.csv", revenueOf(5_400, func(int) string { return maxYuan }))
		if fr := scan(t, a).Files[0]; fr.Outcome != ingest.OutcomeLoaded {
			t.Errorf("a month near the limit cut by 40%%: %s %q", fr.Outcome, fr.Reason)
		}
	})
}
