package pipeline

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"flag"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"kam/pipeline/ingest"
	"kam/store"
	"kam/store/storetest"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/bad from the generators below")

const corpusDir = "../testdata/bad"

// Outcomes of a corpus file beyond the scan's own: left in place and listed, or left alone in silence.
const (
	outcomeUnread  = "unread"
	outcomeIgnored = "ignored"
)

// corpusCase is one file of testdata/bad: what it is and what kam must do with it.
type corpusCase struct {
	file    string // path under testdata/bad (a folder for the folder case)
	class   string
	outcome string
	message string // substring of the reason (rejected, unread) or "" for a loaded file
	make    func(t *testing.T) []byte
}

const (
	hRevenue   = "客户编号,月份,业务种类,收入单位编码,收入金额\r\n"
	hManagers  = "工号,姓名,所属单位编码,状态\r\n"
	hCustomers = "客户编号,客户名称,统一社会信用代码,行业,客户类别,主营业务,合作状态,战略客户,属地单位编码,签约单位编码,A角工号,B角工号\r\n"
	hTargets   = "工号,目标月份,客户编号,客户名称,项目\r\n"
	hUnits     = "单位编码,单位名称,单位类型,上级单位编码,专业\r\n"
	hClaims    = "申报编号,客户编号,申报单位编码,客户经理工号,申报日期,确认日期,项目类型,开发期限月数,开发成功日期\r\n"
	hSplits    = "协议编号,客户编号,生效月份,失效月份,业务种类,分成单位编码,分成比例\r\n"
	hVisits    = "走访编号,客户编号,走访日期,走访方式,客户经理工号,联系人,内容,下次联系日期\r\n"
	hArchive   = "客户编号,客户名称,统一社会信用代码,行业,客户类别,主营业务,合作状态,战略客户,属地单位编码,签约单位编码,A角工号,B角工号,通信地址,邮政编码,业务联系人,联系电话,联系邮箱\r\n"
)

func text(s string) func(*testing.T) []byte { return func(*testing.T) []byte { return []byte(s) } }

func gb(s string) func(*testing.T) []byte {
	return func(t *testing.T) []byte {
		b, err := simplifiedchinese.GB18030.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(b)
	}
}

func book(rows [][]any, edit func(f *excelize.File), opts ...excelize.Options) func(*testing.T) []byte {
	return func(t *testing.T) []byte {
		f := excelize.NewFile()
		defer f.Close()
		for i, r := range rows {
			if r == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
				t.Fatal(err)
			}
		}
		if edit != nil {
			edit(f)
		}
		var buf bytes.Buffer
		if _, err := f.WriteTo(&buf, opts...); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
}

func managersBook(staff string) [][]any {
	return [][]any{{"工号", "姓名", "所属单位编码", "状态"}, {staff, "赵六", "DC", "在职"}}
}

// zipBomb is a workbook whose sheet unpacks to 2 GB of one repeated byte: a self-contained compressed megabyte, repeated.
func zipBomb(t *testing.T) []byte {
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	var blk bytes.Buffer
	fw, _ := flate.NewWriter(&blk, flate.BestCompression)
	fw.Write(chunk)
	fw.Flush()
	one := slices.Clone(blk.Bytes())
	blk.Reset()
	fw.Close()
	crc := crc32.NewIEEE()
	var body bytes.Buffer
	for i := 0; i < 2048; i++ {
		crc.Write(chunk)
		body.Write(one)
	}
	body.Write(blk.Bytes())
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`))
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(body.Len()), UncompressedSize64: 2048 << 20})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body.Bytes())
	zw.Close()
	return out.Bytes()
}

// mayRevenue is the stored month the shrink cases cut: ten rows of 2026-05 函件, five per unit.
func mayRevenue(n int, unit string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		u := unit
		if u == "" {
			u = []string{"DC", "DC01"}[i%2]
		}
		fmt.Fprintf(&b, "C001,2026-05,函件,%s,%d.00\r\n", u, 1000+i)
	}
	return b.String()
}

var longFileName = strings.Repeat("收入明细", 19) + "长文件名abc.csv" // 247 bytes

func corpus() []corpusCase {
	cust := func(id, name, credit string) string {
		return hCustomers + id + "," + name + "," + credit + ",制造业,综合,,合作,是,DC01,DC,M001,M002\r\n"
	}
	return []corpusCase{
		// encodings and line endings
		{"enc_empty.csv", "编码", ingest.OutcomeRejected, "文件是空的", text("")},
		{"enc_bom_only.csv", "编码", ingest.OutcomeRejected, "没有找到表头", text("\xEF\xBB\xBF")},
		{"enc_utf16.csv", "编码", ingest.OutcomeRejected, "文件编码无法识别", text("\xFF\xFE\x62\x5B\x37\x62")},
		{"enc_binary.csv", "编码", ingest.OutcomeRejected, "文件编码无法识别", text("\x00\x01\x02\x03PK\x00\x00")},
		{"enc_bom_gb18030.csv", "编码", ingest.OutcomeRejected, "带 BOM", func(t *testing.T) []byte {
			return append([]byte("\xEF\xBB\xBF"), gb(hManagers+"M020,钱七,DC,在职\r\n")(t)...)
		}},
		{"enc_mixed_utf8_gb.csv", "编码", ingest.OutcomeRejected, "文件编码无法识别", func(t *testing.T) []byte {
			return append([]byte(hManagers+"M021,孙八,DC,在职\r\n"), gb("M022,周九,DC,在职\r\n")(t)...)
		}},
		{"enc_gb18030.csv", "编码", ingest.OutcomeLoaded, "", gb(hManagers + "M023,吴十,DC,在职\r\n")},
		{"enc_utf8_bom.csv", "编码", ingest.OutcomeLoaded, "", text("\xEF\xBB\xBF" + hManagers + "M024,郑一,DC,在职\r\n")},
		{"eol_crlf.csv", "换行", ingest.OutcomeLoaded, "", text(hManagers + "M025,王二,DC,在职\r\n")},
		{"eol_lf.csv", "换行", ingest.OutcomeLoaded, "", text(strings.ReplaceAll(hManagers+"M026,冯三,DC,在职\r\n", "\r", ""))},
		{"eol_lone_cr.csv", "换行", ingest.OutcomeLoaded, "", text(strings.ReplaceAll(hManagers+"M027,陈四,DC,在职\r\n", "\r\n", "\r"))},
		{"eol_quote_unbalanced.csv", "换行", ingest.OutcomeRejected, "不能为空", text(hManagers + "M028,\"褚五,DC,在职\r\nM029,卫六,DC,在职\r\n")},
		// file formats
		{"fmt_csv_renamed.xlsx", "格式", ingest.OutcomeRejected, "内容却是文本", text(hManagers + "M030,蒋七,DC,在职\r\n")},
		{"fmt_truncated.xlsx", "格式", ingest.OutcomeRejected, "已损坏", func(t *testing.T) []byte {
			b := book(managersBook("M031"), nil)(t)
			return b[:len(b)/2]
		}},
		{"fmt_random_bytes.xlsx", "格式", ingest.OutcomeRejected, "已损坏", text("\x89\x00\xFF\x10garbage\x00\x00")},
		{"fmt_legacy.xls", "格式", ingest.OutcomeRejected, "旧版 .xls", text("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + strings.Repeat("\x00", 504))},
		{"fmt_ole2_as_xlsx.xlsx", "格式", ingest.OutcomeRejected, "取消密码", text("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + strings.Repeat("\x00", 504))},
		{"fmt_encrypted.xlsx", "格式", ingest.OutcomeRejected, "取消密码", book(managersBook("M032"), nil, excelize.Options{Password: "kam"})},
		{"fmt_zip_bomb.xlsx", "格式", ingest.OutcomeRejected, "压缩炸弹", zipBomb},
		{"fmt_text.txt", "格式", ingest.OutcomeRejected, "不支持的文件类型", text(hManagers + "M033,沈八,DC,在职\r\n")},
		{"fmt_pdf.pdf", "格式", ingest.OutcomeRejected, "不支持的文件类型", text("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n")},
		{"fmt_no_extension", "格式", ingest.OutcomeRejected, "不支持的文件类型", text(hManagers + "M034,韩九,DC,在职\r\n")},
		// headers
		{"hdr_only.csv", "表头", ingest.OutcomeLoaded, "", text(hManagers)},
		{"hdr_none.csv", "表头", ingest.OutcomeRejected, "没有找到表头", text("甲,乙,丙\r\n1,2,3\r\n")},
		{"hdr_misspelt.csv", "表头", ingest.OutcomeRejected, "「收入金頟」", text("客户编号,月份,业务种类,收入单位编码,收入金頟\r\nC001,2026-06,函件,DC,1\r\n")},
		{"hdr_invisible_char.csv", "表头", ingest.OutcomeRejected, `「月\u200B份」`, text("客户编号,月\u200b份,业务种类,收入单位编码,收入金额\r\nC001,2026-06,函件,DC,1\r\n")},
		{"hdr_missing_column.csv", "表头", ingest.OutcomeRejected, "缺少列：收入金额", text("客户编号,月份,业务种类,收入单位编码\r\nC001,2026-06,函件,DC\r\n")},
		{"hdr_duplicate.csv", "表头", ingest.OutcomeRejected, "出现了两次", text("工号,姓名,所属单位编码,状态,姓名\r\nM035,杨十,DC,在职,杨十\r\n")},
		{"hdr_english.csv", "表头", ingest.OutcomeLoaded, "", text("status,unit_code,name,staff_id\r\nactive,DC,Lee,M036\r\n")},
		{"hdr_spaces.csv", "表头", ingest.OutcomeLoaded, "", text(" 工 号 ,姓名　,所属单位编码,状态\r\nM037,朱一,DC,在职\r\n")},
		{"hdr_targets_no_customer.csv", "表头", ingest.OutcomeRejected, "至少一列", text("工号,目标月份,项目\r\nM001,2026-07,续签\r\n")},
		{"xlsx_title_above_header.xlsx", "表头", ingest.OutcomeLoaded, "", book(append([][]any{{"客户经理名单（2026年7月）"}, nil}, managersBook("M038")...), nil)},
		{"xlsx_merged_title.xlsx", "表头", ingest.OutcomeLoaded, "", book(append([][]any{{"客户经理名单"}}, managersBook("M039")...), func(f *excelize.File) {
			f.MergeCell("Sheet1", "A1", "D1")
		})},
		{"xlsx_merged_header.xlsx", "表头", ingest.OutcomeRejected, "缺少列", book([][]any{{"工号", "姓名", nil, "状态"}, {"M040", "秦二", "DC", "在职"}}, func(f *excelize.File) {
			f.MergeCell("Sheet1", "B1", "C1")
		})},
		{"xlsx_hidden_first_sheet.xlsx", "表头", ingest.OutcomeLoaded, "", book([][]any{{"作废"}, {"不要导入"}}, func(f *excelize.File) {
			f.NewSheet("名单")
			for i, r := range managersBook("M041") {
				cell, _ := excelize.CoordinatesToCellName(1, i+1)
				f.SetSheetRow("名单", cell, &r)
			}
			f.SetSheetVisible("Sheet1", false)
		})},
		{"xlsx_16384_columns.xlsx", "表头", ingest.OutcomeLoaded, "", book(managersBook("M042"), func(f *excelize.File) {
			f.SetCellValue("Sheet1", "XFD2", "最后一列")
		})},
		{"xlsx_no_header_sheet.xlsx", "表头", ingest.OutcomeRejected, "没有找到表头", book([][]any{{"说明"}, {"本表无数据"}}, nil)},
		// values
		{"val_trailing_total.csv", "值", ingest.OutcomeRejected, "系统中没有这个客户编号", text(hRevenue + "C001,2026-06,函件,DC,100.00\r\n合计,,,,100.00\r\n")},
		{"val_float_noise.xlsx", "值", ingest.OutcomeLoaded, "", book([][]any{{"客户编号", "月份", "业务种类", "收入单位编码", "收入金额"}, {"C001", "2026-06", "包裹", "DC", 1234.5599999999999}}, nil)},
		{"val_fullwidth_digits.csv", "值", ingest.OutcomeLoaded, "", text(hRevenue + "C001,2026-06,速递,DC,１２３４.５０\r\n")},
		{"val_fullwidth_everything.csv", "值", ingest.OutcomeLoaded, "", text(hRevenue + "Ｃ００１,２０２６－０６,速递,ＤＣ,\"１，２３４．５０\"\r\n")},
		{"val_zero_width_id.csv", "值", ingest.OutcomeLoaded, "", text(hRevenue + "C001\u200b,2026-06,物流,DC,10.00\r\n")},
		{"val_lower_case_id.csv", "值", ingest.OutcomeLoaded, "", text(hRevenue + "c001,2026-06,物流,dc,10.00\r\n")},
		{"val_cyrillic_id.csv", "值", ingest.OutcomeRejected, "西里尔", text(hRevenue + "\u0421001,2026-06,物流,DC,10.00\r\n")},
		{"val_dot_unit_code.csv", "值", ingest.OutcomeRejected, "单位编码", text("单位编码,单位名称,单位类型\r\n..,坏单位,镇区局\r\n")},
		{"val_16_digit_amount.csv", "值", ingest.OutcomeRejected, "15 位", text(hRevenue + "C001,2026-06,物流,DC,10000000000000.00\r\n")},
		{"hdr_bracketed_unit.csv", "表头", ingest.OutcomeLoaded, "", text("客户编号,月份,业务种类,收入单位编码,收入金额（元）\r\nC001,2026-06,物流,DC,10.00\r\n")},
		{"val_nbsp_in_code.csv", "值", ingest.OutcomeLoaded, "", text(hRevenue + "C001\u00a0,2026-06,物流,DC,10.00\r\n")},
		{"val_amount_forms.csv", "值", ingest.OutcomeLoaded, "", text(hRevenue + "C001,2026年6月,集邮,DC,\"¥1,234.50\"\r\nC002,2026/6,集邮,DC,(20.00)\r\n")},
		{"val_bad_amount.csv", "值", ingest.OutcomeRejected, "收入金额", text(hRevenue + "C001,2026-06,报刊发行,DC,一百元\r\n")},
		{"val_future_month.csv", "值", ingest.OutcomeRejected, "不能晚于", text(hRevenue + "C001,2026-08,函件,DC,1.00\r\n")},
		{"val_bad_month.csv", "值", ingest.OutcomeRejected, "月份", text(hRevenue + "C001,2026-13,函件,DC,1.00\r\n")},
		{"val_bad_date.csv", "值", ingest.OutcomeRejected, "申报日期", text(hClaims + "CL9,C001,DC,M001,2026-02-30,,常规,,\r\n")},
		{"val_unknown_customer.csv", "值", ingest.OutcomeRejected, "系统中没有这个客户编号", text(hRevenue + "C404,2026-06,函件,DC,1.00\r\n")},
		{"val_unknown_unit.csv", "值", ingest.OutcomeRejected, "系统中没有这个单位编码", text(hManagers + "M043,许三,XX,在职\r\n")},
		{"val_unknown_manager.csv", "值", ingest.OutcomeRejected, "系统中没有这个工号", text(hTargets + "M404,2026-07,C001,,续签\r\n")},
		{"val_duplicate_key.csv", "值", ingest.OutcomeRejected, "第 2 行", text(hManagers + "M044,何四,DC,在职\r\nM044,何四,DC,在职\r\n")},
		{"val_bad_credit_code.csv", "值", ingest.OutcomeRejected, "统一社会信用代码", text(cust("C090", "某公司", "91441900MA4UJ8XK6X"))},
		{"val_bad_enum.csv", "值", ingest.OutcomeRejected, "应为", text(hUnits + "X01,某单位,总局,,\r\n")},
		{"val_split_ratio_sum.csv", "值", ingest.OutcomeRejected, "100", text(hSplits + "AG9,C001,2026-01,,函件,DC,60\r\nAG9,C001,2026-01,,函件,DC01,30\r\n")},
		{"val_blank_rows.csv", "值", ingest.OutcomeLoaded, "", text(hManagers + "\r\nM045,吕五,DC,在职\r\n\r\n,,,\r\nM046,施六,DC,在职\r\n")},
		// visits and the customers' archive (SPEC §3, §4.7)
		{"vis_loaded.csv", "走访", ingest.OutcomeLoaded, "", text(hVisits + "ZF001,C001,2026-07-01,上门拜访,M002,王经理,了解下半年寄递需求,2026-08-01\r\nZF002,C001,2026/7/10,phone,M002,,,\r\n")},
		{"vis_future_date.csv", "走访", ingest.OutcomeRejected, "日期不能晚于今天", text(hVisits + "ZF003,C001,2026-07-16,上门拜访,M002,,,\r\n")},
		{"vis_unknown_manager.csv", "走访", ingest.OutcomeRejected, "系统中没有这个工号", text(hVisits + "ZF004,C001,2026-07-01,会议,M404,,,\r\n")},
		{"vis_next_before_visit.csv", "走访", ingest.OutcomeRejected, "下次联系日期早于走访日期", text(hVisits + "ZF005,C001,2026-07-01,电话,M001,,,2026-06-30\r\n")},
		{"vis_unknown_kind.csv", "走访", ingest.OutcomeRejected, "应为 上门拜访、会议、电话、微信、其他 之一", text(hVisits + "ZF006,C001,2026-07-01,吃饭,M001,,,\r\n")},
		{"vis_notes_501.csv", "走访", ingest.OutcomeRejected, "最多 500 个字符", text(hVisits + "ZF007,C001,2026-07-01,会议,M001,," + strings.Repeat("谈", 501) + ",\r\n")},
		{"arc_bad_postcode.csv", "档案", ingest.OutcomeRejected, "邮政编码应为 6 位数字", text(hArchive + "C001,东莞某制造有限公司,91441900MA4UJ8XK6B,制造业,综合,,合作,是,DC01,DC,M001,M002,东城路1号,52300,王经理,0769-22221234,wang@example.cn\r\n")},
		{"arc_bad_phone.csv", "档案", ingest.OutcomeRejected, "联系电话只能含数字", text(hArchive + "C001,东莞某制造有限公司,91441900MA4UJ8XK6B,制造业,综合,,合作,是,DC01,DC,M001,M002,东城路1号,523000,王经理,找前台,wang@example.cn\r\n")},
		// limits
		{"lim_code_33.csv", "长度", ingest.OutcomeRejected, "最多 32 个字符", text(hManagers + strings.Repeat("M", 33) + ",张,DC,在职\r\n")},
		{"lim_name_201.csv", "长度", ingest.OutcomeRejected, "最多 200 个字符", text(hManagers + "M047," + strings.Repeat("名", 201) + ",DC,在职\r\n")},
		{"lim_project_501.csv", "长度", ingest.OutcomeRejected, "最多 500 个字符", text(hTargets + "M001,2026-07,C001,," + strings.Repeat("项", 501) + "\r\n")},
		{"lim_project_300.csv", "长度", ingest.OutcomeLoaded, "", text(hTargets + "M002,2026-07,C001,," + strings.Repeat("项", 300) + "\r\n")},
		{"lim_cell_10mb.csv", "长度", ingest.OutcomeRejected, "最多 200 个字符", text(hManagers + "M048," + strings.Repeat("名", 10<<20/3) + ",DC,在职\r\n")},
		{longFileName, "文件名", ingest.OutcomeRejected, "没有找到表头", text("这个文件名有 247 个字节\r\n")},
		// revenue replacement (SPEC §3.2)
		{"rev_partial_correction.csv", "收入替换", ingest.OutcomeRejected, "疑似不完整：2026-05 函件：10 行", text(hRevenue + "C001,2026-05,函件,DC,999.00\r\n")},
		{"rev_one_unit_extract.csv", "收入替换", ingest.OutcomeRejected, "疑似不完整：2026-05 函件：10 行", text(hRevenue + mayRevenue(5, "DC"))},
		{"rev_full_month_again.csv", "收入替换", ingest.OutcomeLoaded, "", text(hRevenue + mayRevenue(10, "") + "C002,2026-05,函件,DC,1.00\r\n")},
		{"DC/unit_managers.csv", "单位文件夹", ingest.OutcomeLoaded, "", text(hManagers + "M049,孔七,DC,在职\r\n")},
		{ingest.ConfirmFolder + "/rev_partial_correction.csv", "收入替换", ingest.OutcomeLoaded, "", text(hRevenue + "C001,2026-05,函件,DC,999.00\r\n")},
		// what kam will not read
		{".hidden_managers.csv", "不读取", outcomeUnread, "隐藏文件", text(hManagers + "M050,曹八,DC,在职\r\n")},
		{"symlink_managers.csv", "不读取", outcomeUnread, "符号链接", nil},
		{"folder_杂项", "不读取", outcomeUnread, "既不是「确认替换」也不是已导入的单位编码", nil},
		{"~$lock_managers.xlsx", "不读取", outcomeIgnored, "", text("\x00lock")},
		{"download.csv.part", "不读取", outcomeIgnored, "", text(hManagers + "M051,严九,DC,在职\r\n")},
	}
}

// writeCorpus regenerates testdata/bad (go test ./pipeline -run TestBadInputCorpus -update-corpus).
func writeCorpus(t *testing.T) {
	for _, c := range corpus() {
		p := filepath.Join(corpusDir, c.file)
		os.MkdirAll(filepath.Dir(p), 0o755)
		switch {
		case c.file == "symlink_managers.csv":
			os.Remove(p)
			if err := os.Symlink("eol_crlf.csv", p); err != nil {
				t.Fatal(err)
			}
		case c.file == "folder_杂项":
			os.MkdirAll(p, 0o755)
			if err := os.WriteFile(filepath.Join(p, "managers.csv"), []byte(hManagers+"M052,华十,DC,在职\r\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(p, c.make(t), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// dumpDB is every row of every table the loaders write, as text, sorted: the store's contents, not just its counts.
func dumpDB(t *testing.T, s *store.Store) string {
	return dumpTables(t, s, "units", "managers", "customers", "revenue", "claims", "agreements", "agreement_parties", "targets", "visits")
}

// dumpTables is every row of the tables, as sorted text: to compare a store before and after.
func dumpTables(t *testing.T, s *store.Store, tables ...string) string {
	t.Helper()
	var out []string
	for _, table := range tables {
		rows, err := s.DB().Queryx("SELECT * FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					vals[i] = string(b)
				}
			}
			out = append(out, table+fmt.Sprint(vals))
		}
		rows.Close()
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// copyIntoInbox puts a corpus entry into the inbox as a clerk would: a file's bytes, a link as a link, a folder with its files.
func copyIntoInbox(t *testing.T, a *App, rel string) string {
	t.Helper()
	src, dst := filepath.Join(corpusDir, rel), filepath.Join(a.Cfg.Paths.Inbox, rel)
	os.MkdirAll(filepath.Dir(dst), 0o755)
	info, err := os.Lstat(src)
	if err != nil {
		t.Fatalf("corpus file %s: %v (regenerate with -update-corpus)", rel, err)
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(src)
		if err := os.Symlink(target, dst); err != nil {
			t.Fatal(err)
		}
	case info.IsDir():
		if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
	default:
		b, _ := os.ReadFile(src)
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// Every file of testdata/bad goes through the real ingest, one scan each, on both stores.
func TestBadInputCorpus(t *testing.T) {
	if *updateCorpus {
		writeCorpus(t)
	}
	cases := corpus()
	if len(cases) < 60 {
		t.Fatalf("%d corpus files, want at least 60", len(cases))
	}
	seen := make([]string, len(cases)) // the message each file met, for docs/RELIABILITY.md
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		base := baselineFiles(t)
		for _, n := range []string{"d_units.csv", "c_managers.csv", "b_customers.csv"} {
			drop(t, a, n, []byte(base[n]))
		}
		drop(t, a, "may.csv", []byte(hRevenue+mayRevenue(10, "")))
		if res := scan(t, a); res.Count(ingest.OutcomeLoaded) != 4 {
			t.Fatalf("baseline: %+v", res.Files)
		}
		for i, c := range cases {
			before := dumpDB(t, s)
			checkAgreesWithIngest(t, a, c, before)
			dst := copyIntoInbox(t, a, c.file)
			res := scan(t, a)
			var got ingest.FileResult
			if len(res.Files) == 1 {
				got = res.Files[0]
			}
			switch c.outcome {
			case outcomeUnread, outcomeIgnored:
				if len(res.Files) != 0 {
					t.Errorf("%s: taken: %+v", c.file, res.Files)
				}
				if _, err := os.Lstat(dst); err != nil {
					t.Errorf("%s: not left in place: %v", c.file, err)
				}
				unread, _ := s.UnreadFiles(t.Context())
				listed := slices.ContainsFunc(unread, func(u store.UnreadFile) bool {
					return u.Path == c.file && strings.Contains(u.Reason, c.message)
				})
				for _, u := range unread {
					if u.Path == c.file {
						seen[i] = u.Reason
					}
				}
				if listed != (c.outcome == outcomeUnread) {
					t.Errorf("%s: listed as unread %v: %+v", c.file, listed, unread)
				}
				os.RemoveAll(dst)
			case ingest.OutcomeRejected:
				seen[i] = got.Reason
				if got.Reason == "" {
					seen[i] = firstError(t, got)
				}
				if got.Outcome != ingest.OutcomeRejected || !strings.Contains(got.Reason+firstError(t, got), c.message) {
					t.Errorf("%s: %s «%s», want rejected «%s»", c.file, got.Outcome, got.Reason+firstError(t, got), c.message)
					continue
				}
				want, _ := os.ReadFile(filepath.Join(corpusDir, c.file))
				if kept, err := os.ReadFile(got.MovedTo); err != nil || !bytes.Equal(kept, want) {
					t.Errorf("%s: not kept byte for byte in rejected/ (%v)", c.file, err)
				}
				if after := dumpDB(t, s); after != before {
					t.Errorf("%s: the store changed after a rejection", c.file)
				}
			case ingest.OutcomeLoaded:
				seen[i] = fmt.Sprintf("已导入 %d 行", got.Rows)
				if got.Impacts != nil {
					seen[i] += "；" + ingest.ImpactLine(got.Impacts)
				}
				if got.Outcome != ingest.OutcomeLoaded {
					t.Errorf("%s: %s «%s», want loaded", c.file, got.Outcome, got.Reason+firstError(t, got))
				}
			}
		}
	})
	if *updateCorpus && !t.Failed() {
		writeReliability(t, cases, seen)
	}
}

// writeReliability lists the corpus in docs/RELIABILITY.md with the message each file met.
func writeReliability(t *testing.T, cases []corpusCase, seen []string) {
	var b strings.Builder
	b.WriteString(`# What kam does with the files a clerk really drops

Every file of ` + "`testdata/bad/`" + ` goes through the real inbox scan, one scan each, on SQLite
and on MariaDB (` + "`go test ./pipeline -run TestBadInputCorpus`" + `; regenerate files and this table
with ` + "`-update-corpus`" + `). A rejected file is kept byte for byte in rejected/ and the store's
rows are unchanged after it; an unread one is left where it is and listed by kam status
(未处理的文件); an ignored one is left alone in silence (Excel lock files, partial downloads).
The scan runs with the clock at 2026-07-15, over units, managers, two customers and ten rows
of 2026-05 函件 already loaded.

| file | class | outcome | message |
|---|---|---|---|
`)
	for i, c := range cases {
		name := c.file
		if name == longFileName {
			name = "收入明细×19 长文件名abc.csv (247 bytes)"
		}
		msg := strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ").Replace(seen[i])
		if r := []rune(msg); len(r) > 160 {
			msg = string(r[:160]) + "…"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", name, c.class, c.outcome, msg)
	}
	// The sections below the table (files that change under kam, make crashtest's figures) are kept.
	if old, err := os.ReadFile("../docs/RELIABILITY.md"); err == nil {
		if _, rest, ok := strings.Cut(string(old), "\n"+shareSection); ok {
			b.WriteString("\n" + shareSection + rest)
		} else if _, rest, ok := strings.Cut(string(old), "\n"+crashSection); ok {
			b.WriteString("\n" + crashSection + rest)
		}
	}
	if err := os.WriteFile("../docs/RELIABILITY.md", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// crashSection heads the part of docs/RELIABILITY.md that make crashtest's figures fill.
const crashSection = "## Kills and outages"

// shareSection is docs/RELIABILITY.md's section on files that change while kam reads them (ingest_share_test.go).
const shareSection = "## Files that change under kam"

// firstError is the first error row of a rejected file's error workbook ("" if there is none).
func firstError(t *testing.T, fr ingest.FileResult) string {
	if fr.ErrorBook == "" {
		return ""
	}
	rows := errorRows(t, fr.ErrorBook)
	if len(rows) < 2 {
		return ""
	}
	r := append(rows[1], "", "", "", "")[:4]
	if r[0] == "" {
		return r[3]
	}
	if v := []rune(r[2]); len(v) > 20 {
		r[2] = string(v[:20]) + "…"
	}
	return fmt.Sprintf("第 %s 行 %s「%s」：%s", r[0], r[1], r[2], r[3])
}

// checkAgreesWithIngest runs kam check on a corpus file, outside the inbox, before
// ingest meets it: the same verdict and message, and nothing changed but the
// error workbook written beside the file.
func checkAgreesWithIngest(t *testing.T, a *App, c corpusCase, before string) {
	t.Helper()
	src := filepath.Join(corpusDir, c.file)
	info, err := os.Lstat(src)
	if err != nil || !info.Mode().IsRegular() || (c.outcome != ingest.OutcomeRejected && c.outcome != ingest.OutcomeLoaded) {
		return
	}
	dst := filepath.Join(t.TempDir(), c.file)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Dir(dst), 0o755))
	b, err := os.ReadFile(src)
	must(err)
	must(os.WriteFile(dst, b, 0o644))
	var files, mails int
	count := func() (int, int) {
		var f, m int
		must(a.Store.DB().Get(&f, "SELECT COUNT(*) FROM files"))
		must(a.Store.DB().Get(&m, "SELECT COUNT(*) FROM outbox"))
		return f, m
	}
	files, mails = count()
	res, err := a.Check(t.Context(), []string{dst})
	if err != nil {
		t.Fatalf("check %s: %v", c.file, err)
	}
	got := res[0]
	switch c.outcome {
	case ingest.OutcomeLoaded:
		if got.Outcome != ingest.OutcomeLoaded {
			t.Errorf("check %s: %s «%s», ingest loads it", c.file, got.Outcome, got.Reason)
		}
	case ingest.OutcomeRejected:
		msg := got.Reason + firstError(t, ingest.FileResult{ErrorBook: got.ErrorBook})
		if got.Outcome != ingest.OutcomeRejected || !strings.Contains(msg, c.message) {
			t.Errorf("check %s: %s «%s», ingest rejects it «%s»", c.file, got.Outcome, msg, c.message)
		}
		if kept, _ := os.ReadFile(dst); !bytes.Equal(kept, b) {
			t.Errorf("check %s changed the file", c.file)
		}
	}
	if after := dumpDB(t, a.Store); after != before {
		t.Errorf("check %s changed the store", c.file)
	}
	if f, m := count(); f != files || m != mails {
		t.Errorf("check %s recorded files (%d → %d) or mail (%d → %d)", c.file, files, f, mails, m)
	}
}
