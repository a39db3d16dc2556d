package loaders

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"kam/domain"
)

// TemplateRefs are the codes staff pick from in a template's drop-downs, as stored now.
type TemplateRefs struct {
	Units    []string // unit codes
	Managers []string // staff ids
	Lines    []string // configured business lines; nil means domain.DefaultBusinessLines
}

// Sheet names of an import template; the data sheet comes first, so the file
// loads as it is once filled in.
const (
	TemplateDataSheet  = "填写"
	templateRefSheet   = "参考"
	templateGuideSheet = "填写说明"
	templateRows       = 5000 // rows the drop-downs and formats cover
)

// cellForm is how a template column is typed in and checked.
type cellForm int

const (
	formText   cellForm = iota // free text
	formCode                   // a code kept as text, so leading zeros survive
	formDate                   // a real date cell
	formMonth                  // 2026-03, kept as text
	formAmount                 // yuan, two decimals
	formRatio                  // a percentage number, 0.01–100
	formCount                  // a whole number of months
	formList                   // one of a list (see columnList)
)

type columnSpec struct {
	form    cellForm
	list    func(TemplateRefs) []string // formList: the allowed values
	stored  bool                        // the list is of stored codes: a code new in the same batch is let through with a warning
	example string
	note    string
}

func labels[T ~string](list []domain.Enum[T]) func(TemplateRefs) []string {
	return func(TemplateRefs) []string {
		out := make([]string, len(list))
		for i, e := range list {
			out[i] = e.Label
		}
		return out
	}
}

var (
	yesNo     = func(TemplateRefs) []string { return []string{"是", "否"} }
	unitCodes = func(r TemplateRefs) []string { return r.Units }
	staffIDs  = func(r TemplateRefs) []string { return r.Managers }
	lines     = func(r TemplateRefs) []string {
		if r.Lines == nil {
			return domain.DefaultBusinessLines
		}
		return r.Lines
	}
	industries = func(TemplateRefs) []string { return append(append([]string(nil), domain.Industries...), "其他") }
)

// templateSpecs types each kind's columns, in the order of kindColumns.
// Their examples are one coherent set — the city centre, a manager of it, a
// customer it looks after, … — so each kind's example row, filled in as it
// stands, passes kam check once the kinds before it are loaded.
var templateSpecs = map[domain.Kind][]columnSpec{
	domain.KindUnits: {
		{form: formCode, example: "DG000"}, {example: "东莞市邮政局大客户中心"}, {form: formList, list: labels(domain.UnitKinds), example: "市局大客户中心"},
		{form: formList, list: unitCodes, stored: true, note: "营投班组、营业窗口必填：所属镇区局的编码"},
		{form: formList, list: lines, note: "专业局必填：它的业务种类"},
		{example: "dgdkh@example.cn;dgdkh2@example.cn", note: "该单位大客户中心的邮箱，按单位收取本单位的报表；多个用分号分隔"},
	},
	domain.KindManagers: {
		{form: formCode, example: "E0001"}, {example: "张三"}, {form: formList, list: unitCodes, stored: true, example: "DG000"},
		{form: formList, list: labels(domain.ManagerStatuses), example: "在职"},
	},
	domain.KindCustomers: {
		{form: formCode, example: "K000001"}, {example: "东莞市某制造有限公司"},
		{form: formCode, example: "91441900MA4W00000X", note: "18 位，校验位须正确"},
		{form: formList, list: industries, example: "制造业"}, {form: formList, list: labels(domain.Categories), example: "综合"},
		{form: formList, list: lines, note: "专业客户必填"}, {form: formList, list: labels(domain.CoopStatuses), example: "合作"},
		{form: formList, list: yesNo, example: "否"}, {form: formList, list: unitCodes, stored: true, example: "DG000"},
		{form: formList, list: unitCodes, stored: true, example: "DG000"}, {form: formList, list: staffIDs, stored: true, example: "E0001"},
		{form: formList, list: staffIDs, stored: true, note: "选填；合作客户由 B 角主维护、A 角配合（第十一条(一)），须是另一名客户经理"},
		{example: "东莞市南城区某路 1 号", note: "信息档案，选填；文件中没有这一列时保留系统中已有的值"},
		{form: formCode, example: "523000", note: "6 位数字"}, {example: "李四", note: "业务联系人"},
		{form: formCode, example: "0769-22221234", note: "数字、-、+、空格，可带分机（转 801）"},
		{example: "lisi@example.cn", note: "一个电子邮件地址"},
	},
	domain.KindRevenue: {
		{form: formCode, example: "K000001"}, {form: formMonth, example: "2026-03"}, {form: formList, list: lines, example: "函件"},
		{form: formList, list: unitCodes, stored: true, example: "DG000"}, {form: formAmount, example: "1,234.50", note: "元，最多两位小数；负数为冲减"},
	},
	domain.KindClaims: {
		{form: formCode, example: "SB2026001"}, {form: formCode, example: "K000001"}, {form: formList, list: unitCodes, stored: true, example: "DG000"},
		{form: formList, list: staffIDs, stored: true, example: "E0001"}, {form: formDate, example: "2026-03-05"}, {form: formDate, example: "2026-03-10"},
		{form: formList, list: labels(domain.ProjectTypes), example: "常规"}, {form: formCount, example: "2", note: "不填则常规 2 个月、节日 1 个月"},
		{form: formDate, example: "2026-04-20"},
	},
	domain.KindSplits: {
		{form: formCode, example: "XY2026001"}, {form: formCode, example: "K000001"}, {form: formMonth, example: "2026-01"},
		{form: formMonth, example: "2026-12", note: "不填为长期有效"}, {form: formList, list: lines, example: "速递", note: "不填为全部业务"},
		{form: formList, list: unitCodes, stored: true, example: "DG000"},
		{form: formRatio, example: "100.00", note: "百分数；一份协议的每个分成单位一行，各行合计 100.00（如 60.00 与 40.00 两行）"},
	},
	domain.KindTargets: {
		{form: formList, list: staffIDs, stored: true, example: "E0001"}, {form: formMonth, example: "2026-04"}, {form: formCode, example: "K000001", note: "客户编号、客户名称至少填一项"},
		{example: "东莞市某制造有限公司"}, {example: "函件业务拓展"},
	},
	domain.KindVisits: {
		{form: formCode, example: "ZF2026001"}, {form: formCode, example: "K000001"},
		{form: formDate, example: "2026-03-05", note: "不能晚于今天"},
		{form: formList, list: labels(domain.VisitKinds), example: "上门拜访", note: "上门拜访、会议计入分级维护的走访周期"},
		{form: formList, list: staffIDs, stored: true, example: "E0001"}, {example: "李四", note: "选填：客户方联系人"},
		{example: "了解下季度函件需求", note: "选填，最多 500 字"},
		{form: formDate, example: "2026-04-05", note: "选填：约定的下次联系日期，不早于走访日期"},
	},
}

var formLabels = map[cellForm]string{
	formText: "文字", formCode: "编码（文本，保留前导零）", formDate: "日期，如 2026-03-05", formMonth: "月份，如 2026-03",
	formAmount: "金额（元）", formRatio: "百分比数字", formCount: "整数（月数）", formList: "从下拉列表中选择",
}

// WriteTemplate writes the import template of kind k: its header row in
// Chinese, a drop-down for every enumeration and code column (the current
// unit codes and staff ids on a reference sheet), the cell formats preset,
// and a sheet explaining every column. Filled in, it loads as it is.
func WriteTemplate(w io.Writer, k domain.Kind, refs TemplateRefs) error {
	cols, specs := kindColumns[k], templateSpecs[k]
	if len(cols) == 0 || len(cols) != len(specs) {
		return fmt.Errorf("没有 %s 的导入模板", k)
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", TemplateDataSheet); err != nil {
		return err
	}
	for _, name := range []string{templateGuideSheet, templateRefSheet} {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}, Protection: &excelize.Protection{Locked: true}})
	if err != nil {
		return err
	}
	text := "@"
	formats := map[cellForm]*excelize.Style{
		formCode: {CustomNumFmt: &text}, formMonth: {CustomNumFmt: &text}, formText: {CustomNumFmt: &text}, formList: {CustomNumFmt: &text},
		formDate: {NumFmt: 14}, formAmount: {NumFmt: 4}, formRatio: {NumFmt: 2}, formCount: {NumFmt: 1},
	}
	refCol := 0
	for i, c := range cols {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellStr(TemplateDataSheet, col+"1", c.Label); err != nil {
			return err
		}
		s := specs[i]
		style, err := f.NewStyle(formats[s.form])
		if err != nil {
			return err
		}
		if err := f.SetColStyle(TemplateDataSheet, col, style); err != nil {
			return err
		}
		if err := f.SetColWidth(TemplateDataSheet, col, col, float64(max(12, 2*len([]rune(c.Label))+4))); err != nil {
			return err
		}
		rng := fmt.Sprintf("%s2:%s%d", col, col, templateRows+1)
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(rng)
		switch s.form {
		case formList:
			values := s.list(refs)
			if len(values) == 0 {
				break // nothing stored yet to pick from (a first units file)
			}
			refCol++
			rc, _ := excelize.ColumnNumberToName(refCol)
			if err := f.SetCellStr(templateRefSheet, rc+"1", c.Label); err != nil {
				return err
			}
			for j, v := range values {
				if err := f.SetCellStr(templateRefSheet, fmt.Sprintf("%s%d", rc, j+2), v); err != nil {
					return err
				}
			}
			dv.SetSqrefDropList(fmt.Sprintf("'%s'!$%s$2:$%s$%d", templateRefSheet, rc, rc, len(values)+1))
			style := excelize.DataValidationErrorStyleStop
			msg := fmt.Sprintf("「%s」请从下拉列表中选择", c.Label)
			if s.stored {
				style, msg = excelize.DataValidationErrorStyleWarning, fmt.Sprintf("「%s」不在已导入的编码中：若是同批新增的编码，可以继续", c.Label)
			}
			dv.SetError(style, "不在列表中", msg)
			if err := f.AddDataValidation(TemplateDataSheet, dv); err != nil {
				return err
			}
		case formRatio:
			if err := dv.SetRange(0.01, 100, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween); err != nil {
				return err
			}
			dv.SetError(excelize.DataValidationErrorStyleStop, "分成比例有误", "分成比例应在 0.01 到 100 之间")
			if err := f.AddDataValidation(TemplateDataSheet, dv); err != nil {
				return err
			}
		case formCount:
			if err := dv.SetRange(1, 120, excelize.DataValidationTypeWhole, excelize.DataValidationOperatorBetween); err != nil {
				return err
			}
			dv.SetError(excelize.DataValidationErrorStyleStop, "月数有误", "开发期限月数应为 1 到 120 的整数")
			if err := f.AddDataValidation(TemplateDataSheet, dv); err != nil {
				return err
			}
		}
	}
	last, _ := excelize.ColumnNumberToName(len(cols))
	if err := f.SetCellStyle(TemplateDataSheet, "A1", last+"1", head); err != nil {
		return err
	}
	if err := f.SetPanes(TemplateDataSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}

	guide := [][]any{{"列名", "英文列名", "是否必填", "格式", "示例", "说明"}}
	for i, c := range cols {
		required := "必填"
		if c.Optional {
			required = "选填"
		}
		guide = append(guide, []any{c.Label, c.Name, required, formLabels[specs[i].form], specs[i].example, specs[i].note})
	}
	guide = append(guide, []any{}, []any{fmt.Sprintf("在「%s」表第 2 行起逐行填写%s资料，每行一条；保存为 .xlsx 后放入收件目录即可导入。", TemplateDataSheet, domain.KindLabels[k])},
		[]any{"整份文件要么全部导入，要么全部退回：有错误的行会列在退回的错误工作簿中。"})
	for r, row := range guide {
		if err := f.SetSheetRow(templateGuideSheet, fmt.Sprintf("A%d", r+1), &row); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(templateGuideSheet, "A1", "F1", head); err != nil {
		return err
	}
	for col, width := range map[string]float64{"A": 16, "B": 16, "C": 10, "D": 26, "E": 22, "F": 34} {
		if err := f.SetColWidth(templateGuideSheet, col, col, width); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	if err := f.SetDocProps(&excelize.DocProperties{Title: domain.KindLabels[k] + "导入模板", Creator: "kam"}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
