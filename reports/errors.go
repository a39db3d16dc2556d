package reports

import (
	"fmt"
	"slices"
	"strings"

	"kam/domain"
)

// FixSheet is the error workbook's copy of the file's rows, bad cells marked:
// corrected and dropped back into the inbox, the workbook loads from it.
const FixSheet = "改正后重新导入"

// FileRows are a rejected file's rows as they came, for its error workbook's FixSheet.
type FileRows struct {
	Header []string  // the file's header, as its loader recognised it
	Rows   []FileRow // the data rows below it, in order
	// For a file rejected for its header row: what is wrong with each of
	// its cells kam could not read (by column of Header), and the columns it
	// lacks, added after its own with why.
	HeaderProblems map[int]string
	Added          []AddedColumn
}

// AddedColumn is a column a file lacks, added to its fix sheet for staff to fill.
type AddedColumn struct{ Title, Reason string }

// FileRow is one data row of a file.
type FileRow struct {
	Row   int      // its row number in the file, as domain.RowError.Row counts
	Cells []string // as written
}

// ErrorWorkbook lists every bad row of a rejected extract (行号, 列, 值, 错误)
// and a 说明 sheet saying which file it was and what to do. Given the file's
// rows (nil: none), it adds FixSheet.
func ErrorWorkbook(m Meta, fileName string, kind domain.Kind, errs []domain.RowError, total int, rows *FileRows) ([]byte, error) {
	b := rejectedBook(m, fileName)
	if err := errorSheet(b, "每处错误一行：行号、列、原值与错误原因", 60, errs); err != nil {
		return nil, err
	}
	if rows != nil {
		if err := fixSheet(b, rows, errs); err != nil {
			return nil, err
		}
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

// Impact is what loading a revenue file would do to one (month, line) it
// covers: the rows and amount stored before and after.
type Impact struct {
	Month                     domain.Month
	Line                      string
	RowsBefore, RowsAfter     int64
	AmountBefore, AmountAfter domain.Money
}

// ImpactWorkbook is the error workbook of a revenue file rejected as 疑似不完整:
// errs, one per (month, line) it would cut, on 错误明细; its whole impact on
// 收入影响; and in 说明, that the same file dropped into the inbox's
// confirmFolder replaces them.
func ImpactWorkbook(m Meta, fileName string, errs []domain.RowError, impacts []Impact, confirmFolder string) ([]byte, error) {
	b := rejectedBook(m, fileName)
	if err := errorSheet(b, "每个将被大幅减少的月份和业务种类一行", 80, errs); err != nil {
		return nil, err
	}
	b.About("收入影响", "本文件涉及的每个月份和业务种类：导入前后的行数与金额")
	cols := []Column{{Title: "月份", Width: 10}, {Title: "业务种类", Width: 12}, {Title: "导入前行数", Kind: Count},
		{Title: "导入前金额", Kind: Amount}, {Title: "导入后行数", Kind: Count}, {Title: "导入后金额", Kind: Amount}}
	if err := b.Table("收入影响", cols, func(add func(...any) error) error {
		for _, r := range impacts {
			if err := add(r.Month.String(), r.Line, r.RowsBefore, r.AmountBefore, r.RowsAfter, r.AmountAfter); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	b.Note("文件", fileName)
	b.Note("处理结果", "整个文件未导入，数据库未做任何改动")
	b.Note("下一步", "如果这是完整的数据、确实要整体替换，请将同一文件放入收件目录下的「"+confirmFolder+"」文件夹；否则请提交这些月份的完整数据")
	return b.Bytes()
}

// rejectedBook starts the error workbook of the rejected file fileName.
func rejectedBook(m Meta, fileName string) *Book {
	if m.Report == "" {
		m.Report = "退回文件错误明细"
	}
	if m.Period == "" {
		m.Period = fileName
	}
	return NewBook(m)
}

// errorSheet writes 错误明细: one row per error (行号, 列, 值, 错误), the
// 行号 empty for an error of the whole file; about says what a row is.
func errorSheet(b *Book, about string, reasonWidth float64, errs []domain.RowError) error {
	b.About("错误明细", about)
	cols := []Column{{Title: "行号", Kind: Count, Width: 8}, {Title: "列", Width: 18}, {Title: "值", Width: 28}, {Title: "错误", Width: reasonWidth, Wrap: true}}
	return b.Table("错误明细", cols, func(add func(...any) error) error {
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
}

// fixSheet writes FixSheet: the file's header and rows as they came, each cell
// as text; the cells errs name filled red with the reason as their comment,
// and an 错误 column at the end with each row's reasons (the loaders do not
// read it). Cells past the header, which no loader reads, are left out.
func fixSheet(b *Book, rows *FileRows, errs []domain.RowError) error {
	if len(rows.HeaderProblems) > 0 || len(rows.Added) > 0 {
		b.About(FixSheet, "文件原样的各行：表头中 kam 读不懂的单元格标红，批注写明原因；文件缺少的列加在后面（表头标红），"+
			"请逐行填写；改好表头和缺少的列后保存，把整个工作簿放回收件目录即可导入（“错误”列不读）")
	} else {
		b.About(FixSheet, "文件原样的各行：出错的单元格标红，批注写明原因，末列“错误”汇总该行的问题；"+
			"在此表改正后保存，把整个工作簿放回收件目录即可导入（“错误”列不读）")
	}
	byRow := map[int][]domain.RowError{}
	for _, e := range errs {
		if e.Row > 0 {
			byRow[e.Row] = append(byRow[e.Row], e)
		}
	}
	own := len(rows.Header)
	last := own + len(rows.Added) // the 错误 column
	cols := make([]Column, last+1)
	for i, h := range rows.Header {
		cols[i] = Column{Title: h, Problem: rows.HeaderProblems[i]}
	}
	for i, a := range rows.Added {
		cols[own+i] = Column{Title: a.Title, Problem: a.Reason}
	}
	cols[last] = Column{Title: "错误", Width: 48, Wrap: true} // every reason of the row, wrapped beside it
	return b.Table(FixSheet, cols, func(add func(...any) error) error {
		values := make([]any, len(cols))
		for _, r := range rows.Rows {
			for i := range last {
				values[i] = nil // an empty cell, for staff to fill
				if i < own && i < len(r.Cells) && r.Cells[i] != "" {
					values[i] = r.Cells[i]
				}
			}
			values[last] = nil
			if here := byRow[r.Row]; len(here) > 0 {
				reasons := make([]string, len(here))
				bad := map[int][]string{} // a column of the file → its reasons
				for i, e := range here {
					reasons[i] = e.Column + "：" + e.Reason
					if col := slices.Index(rows.Header, e.Column); col >= 0 {
						bad[col] = append(bad[col], e.Reason)
					}
				}
				for col := 0; len(bad) > 0; col++ { // in column order, as the comments are numbered
					if why, ok := bad[col]; ok {
						values[col] = Cell{V: values[col], Tone: Bad, Comment: strings.Join(why, "；")}
						delete(bad, col)
					}
				}
				values[last] = Cell{V: strings.Join(reasons, "；"), Tone: Bad}
			}
			if err := add(values...); err != nil {
				return err
			}
		}
		return nil
	})
}
