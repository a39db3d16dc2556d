package reports

import (
	"fmt"
	"io"
	"testing"

	"kam/domain"
)

// BenchmarkTableRows writes 100,000 rows shaped like 分成明细 (eight text, three
// number columns) through Book.Table and renders the workbook: the cost of a
// row in every report. go test ./reports -run '^$' -bench TableRows -benchmem
func BenchmarkTableRows(b *testing.B) {
	const rows = 100_000
	customers := make([]string, 1000)
	for i := range customers {
		customers[i] = fmt.Sprintf("KH%07d", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		book := NewBook(testMeta)
		err := book.Table("分成明细", splitDetailColumns, func(add func(...any) error) error {
			for i := range rows {
				var agreement any
				if i%4 == 0 {
					agreement = "XY" + customers[i%1000]
				}
				if err := add(customers[i%1000], "函件", "D01", domain.Money(i*7919%5_000_000), "D02", domain.Ratio(6666),
					domain.Money(i*5279%3_000_000), agreement, domain.Month(202606), "某某有限公司", "东城镇区局"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := book.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSmallBook is a unit's small workbook: four sheets of twenty rows
// and 说明. Its fixed cost is what 136 units' books of one job add up to.
func BenchmarkSmallBook(b *testing.B) {
	cols := []Column{{Title: "项目编号"}, {Title: "客户名称"}, {Title: "报备单位"}, {Title: "预计收入", Kind: Amount}, {Title: "截止日期", Kind: Day}}
	b.ReportAllocs()
	for b.Loop() {
		book := NewBook(testMeta)
		for _, sheet := range []string{"竞标公告", "临期", "待确认", "超额"} {
			err := book.Table(sheet, cols, func(add func(...any) error) error {
				for i := range 20 {
					if err := add(fmt.Sprintf("XM%04d", i), "某某有限公司", "D01", domain.Money(i*100_000), domain.DateOf(2026, 7, i+1)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if _, err := book.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
