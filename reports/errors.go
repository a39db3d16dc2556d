package reports

import (
	"fmt"

	"kam/domain"
)

// ErrorWorkbook lists every bad row of a rejected extract (行号, 列, 值, 错误)
// and a 说明 sheet saying which file it was and what to do.
func ErrorWorkbook(m Meta, fileName string, kind domain.Kind, errs []domain.RowError, total int) ([]byte, error) {
	if m.Report == "" {
		m.Report = "退回文件错误明细"
	}
	if m.Period == "" {
		m.Period = fileName
	}
	b := NewBook(m)
	b.About("错误明细", "每处错误一行：行号、列、原值与错误原因")
	cols := []Column{{Title: "行号", Kind: Count, Width: 8}, {Title: "列", Width: 18}, {Title: "值", Width: 28}, {Title: "错误", Width: 60}}
	err := b.Table("错误明细", cols, func(add func(...any) error) error {
		for _, e := range errs {
			var row any
			if e.Row > 0 {
				row = e.Row
			}
			if err := add(row, e.Column, e.Value, e.Reason); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	kindLabel := "无法识别"
	if l, ok := domain.KindLabels[kind]; ok {
		kindLabel = l
	}
	notes := [][2]string{
		{"文件", fileName},
		{"识别类型", kindLabel},
		{"错误条数", fmt.Sprint(total)},
		{"处理结果", "整个文件未导入（一行有错，全文件退回），数据库未做任何改动"},
		{"下一步", "按“错误明细”逐行改正后，将改好的文件重新放入收件目录"},
	}
	if total > len(errs) {
		notes = append(notes, [2]string{"说明", fmt.Sprintf("错误过多，仅列出前 %d 条", len(errs))})
	}
	for _, n := range notes {
		b.Note(n[0], n[1])
	}
	return b.Bytes()
}
