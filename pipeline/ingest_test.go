package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"kam/domain"
	"kam/pipeline/ingest"
	"kam/store"
	"kam/store/storetest"
)

var ingestNow = time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC)

// creditCode completes a 17-character prefix with its GB 32100 check character.
func creditCode(t *testing.T, first17 string) string {
	t.Helper()
	c, err := domain.CreditCodeCheckChar(first17)
	if err != nil {
		t.Fatal(err)
	}
	return first17 + string(c)
}

func drop(t *testing.T, a *App, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(a.Cfg.Paths.Inbox, name)
	if err := os.MkdirAll(a.Cfg.Paths.Inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func scan(t *testing.T, a *App) ingest.ScanResult {
	t.Helper()
	res, err := a.Ingest(context.Background())
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return res
}

// baseline extracts: the reference data every other file points at.
func baselineFiles(t *testing.T) map[string]string {
	return map[string]string{
		"d_units.csv": "单位编码,单位名称,单位类型,上级单位编码,专业\n" +
			"SJ,市局大客户中心,市局大客户中心,,\nZY01,函件专业局,专业局,,函件\nDC,东城镇区局,镇区局,,\nDC01,东城营投班组,营投班组,DC,\n",
		"c_managers.csv": "工号,姓名,所属单位编码,状态\nM001,张三,DC,在职\nM002,李四,DC,在职\n",
		"b_customers.csv": "客户编号,客户名称,统一社会信用代码,行业,客户类别,主营业务,合作状态,战略客户,属地单位编码,签约单位编码,A角工号,B角工号\n" +
			"C001,东莞某制造有限公司," + creditCode(t, "91441900MA4UJ8XK6") + ",制造业,综合,,合作,是,DC01,DC,M001,M002\n" +
			"C002,东莞某银行," + creditCode(t, "91441900MA4UJ8XK7") + ",金融业,专业,函件,潜在,否,DC,DC,M002,\n",
		"a_revenue.csv": "客户编号,月份,业务种类,收入单位编码,收入金额\n" +
			"C001,2026-01,函件,DC,\"¥1,234.50\"\nC001,2026-01,包裹,DC,100\nC002,2026/2,函件,ZY01,(20.00)\n",
	}
}

type snapshot map[string]int64

// snapshotDB counts every table the loaders write, and the revenue total.
func snapshotDB(t *testing.T, s *store.Store) snapshot {
	t.Helper()
	snap := snapshot{}
	for _, table := range []string{"units", "managers", "customers", "revenue", "claims", "agreements", "agreement_parties", "targets"} {
		var n int64
		if err := s.DB().Get(&n, "SELECT COUNT(*) FROM "+table); err != nil {
			t.Fatal(err)
		}
		snap[table] = n
	}
	var sum int64
	if err := s.DB().Get(&sum, "SELECT COALESCE(SUM(amount), 0) FROM revenue"); err != nil {
		t.Fatal(err)
	}
	snap["revenue_sum"] = sum
	return snap
}

func TestIngestLoadsABatchInKindOrder(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		for name, body := range baselineFiles(t) {
			drop(t, a, name, []byte(body))
		}
		res := scan(t, a)
		if got := res.Count(ingest.OutcomeLoaded); got != 4 {
			t.Fatalf("loaded %d of 4: %+v", got, res.Files)
		}
		// Names sort revenue first; kinds must load units → managers → customers → revenue.
		order := []string{}
		for _, f := range res.Files {
			order = append(order, string(f.Kind))
		}
		if strings.Join(order, ",") != "units,managers,customers,revenue" {
			t.Errorf("load order %v", order)
		}
		snap := snapshotDB(t, s)
		if snap["units"] != 4 || snap["managers"] != 2 || snap["customers"] != 2 || snap["revenue"] != 3 || snap["revenue_sum"] != 123450+10000-2000 {
			t.Errorf("stored %v", snap)
		}
		left, _ := os.ReadDir(a.Cfg.Paths.Inbox)
		if len(left) != 0 {
			t.Errorf("inbox not emptied: %v", left)
		}
		for name, body := range baselineFiles(t) {
			got, err := os.ReadFile(filepath.Join(a.Cfg.Paths.Processed, name))
			if err != nil || string(got) != body {
				t.Errorf("processed/%s: %v (bytes equal: %v)", name, err, string(got) == body)
			}
		}
	})
}

// badCase is one class of bad input: the file, and the row and column its error must name.
type badCase struct {
	name   string
	data   func(t *testing.T) []byte
	row    int    // 0: a file-level error
	column string // substring of the 列 cell
	value  string // substring of the 值 cell
}

func csvBytes(s string) func(*testing.T) []byte { return func(*testing.T) []byte { return []byte(s) } }

func TestIngestRejectsEveryBadClassWholeAndLeavesTheStoreAlone(t *testing.T) {
	cases := []badCase{
		{"missing_column.csv", csvBytes("客户编号,月份,业务种类,收入金额\nC001,2026-01,函件,1\n"), 0, "", ""},
		{"unknown_enum.csv", csvBytes("工号,姓名,所属单位编码,状态\nM009,王五,DC,退休\n"), 2, "状态", "退休"},
		{"bad_date.csv", csvBytes("申报编号,客户编号,申报单位编码,客户经理工号,申报日期,确认日期,项目类型\nP1,C001,DC,M001,2026-02-30,,常规\n"), 2, "申报日期", "2026-02-30"},
		{"bad_amount.csv", csvBytes("客户编号,月份,业务种类,收入单位编码,收入金额\nC001,2026-03,函件,DC,1.234\n"), 2, "收入金额", "1.234"},
		{"bad_credit_code.csv", func(t *testing.T) []byte {
			code := []byte(creditCode(t, "91441900MA4UJ8XK6"))
			code[17] = map[bool]byte{true: '1', false: '2'}[code[17] != '1']
			return []byte("客户编号,客户名称,统一社会信用代码,行业,客户类别,主营业务,合作状态,战略客户,属地单位编码,签约单位编码,A角工号,B角工号\n" +
				"C003,东莞某公司," + string(code) + ",制造业,综合,,合作,否,DC,DC,M001,M002\n")
		}, 2, "统一社会信用代码", "914419"},
		{"unknown_customer.csv", csvBytes("客户编号,月份,业务种类,收入单位编码,收入金额\nC001,2026-03,函件,DC,1\nC999,2026-03,函件,DC,1\n"), 3, "客户编号", "C999"},
		{"unknown_unit.csv", csvBytes("客户编号,月份,业务种类,收入单位编码,收入金额\nC001,2026-03,函件,XX,1\n"), 2, "收入单位编码", "XX"},
		{"unknown_manager.csv", csvBytes("工号,目标月份,客户编号,客户名称,项目\nM404,2026-08,C001,,函件\n"), 2, "工号", "M404"},
		{"duplicate_key.csv", csvBytes("工号,姓名,所属单位编码,状态\nM010,甲,DC,在职\nM010,乙,DC,在职\n"), 3, "工号", "M010"},
		{"ratios.csv", csvBytes("协议编号,客户编号,生效月份,失效月份,业务种类,分成单位编码,分成比例\nA1,C001,2026-01,,,DC,60\nA1,C001,2026-01,,,ZY01,30\n"), 2, "分成比例", ""},
		{"same_start.csv", csvBytes("协议编号,客户编号,生效月份,失效月份,业务种类,分成单位编码,分成比例\nA1,C001,2026-01,,函件,DC,100\nA2,C001,2026-01,,函件,ZY01,100\n"), 3, "", ""},
		{"future_month.csv", csvBytes("客户编号,月份,业务种类,收入单位编码,收入金额\nC001,2026-08,函件,DC,1\n"), 2, "月份", "2026-08"},
		{"utf16.csv", func(*testing.T) []byte {
			return append([]byte{0xFF, 0xFE}, []byte("客\x00户\x00")...)
		}, 0, "", ""},
		{"truncated.xlsx", func(t *testing.T) []byte {
			f := excelize.NewFile()
			f.SetSheetRow("Sheet1", "A1", &[]any{"工号", "姓名", "所属单位编码", "状态"})
			var buf bytes.Buffer
			f.WriteTo(&buf)
			return buf.Bytes()[:buf.Len()/2]
		}, 0, "", ""},
		{"not_a_zip.xlsx", csvBytes("工号,姓名\nthis is not a workbook\n"), 0, "", ""},
	}
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		for name, body := range baselineFiles(t) {
			drop(t, a, name, []byte(body))
		}
		if res := scan(t, a); res.Count(ingest.OutcomeLoaded) != 4 {
			t.Fatalf("baseline did not load: %+v", res.Files)
		}
		before := snapshotDB(t, s)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				data := tc.data(t)
				drop(t, a, tc.name, data)
				res := scan(t, a)
				if len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeRejected {
					t.Fatalf("outcome %+v, want rejected", res.Files)
				}
				if after := snapshotDB(t, s); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("store changed: before %v after %v", before, after)
				}
				moved := res.Files[0].MovedTo
				if got, err := os.ReadFile(moved); err != nil || !bytes.Equal(got, data) {
					t.Errorf("rejected file %s not kept byte for byte: %v", moved, err)
				}
				rows := errorRows(t, moved+".errors.xlsx")
				if len(rows) < 2 || strings.Join(rows[0], ",") != "行号,列,值,错误" {
					t.Fatalf("error workbook rows %v", rows)
				}
				found := false
				for _, r := range rows[1:] {
					r = append(r, "", "", "", "")
					rowOK := (tc.row == 0 && r[0] == "") || r[0] == fmt.Sprint(tc.row)
					if rowOK && strings.Contains(r[1], tc.column) && strings.Contains(r[2], tc.value) && r[3] != "" {
						found = true
					}
				}
				if !found {
					t.Errorf("no error row names row %d, column %q, value %q: %v", tc.row, tc.column, tc.value, rows[1:])
				}
			})
		}
		var rejected int
		if err := s.DB().Get(&rejected, "SELECT COUNT(*) FROM files WHERE outcome = 'rejected'"); err != nil || rejected != len(cases) {
			t.Errorf("files recorded as rejected: %d (%v), want %d", rejected, err, len(cases))
		}
	})
}

func errorRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open error workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("错误明细")
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestIngestRecordsDuplicatesAndNeverOverwrites(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		base := baselineFiles(t)
		for name, body := range base {
			drop(t, a, name, []byte(body))
		}
		scan(t, a)
		before := snapshotDB(t, s)
		drop(t, a, "d_units.csv", []byte(base["d_units.csv"])) // the same bytes again, same name
		res := scan(t, a)
		if len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeDuplicate {
			t.Fatalf("outcome %+v, want duplicate", res.Files)
		}
		if want := filepath.Join(a.Cfg.Paths.Processed, "d_units (2).csv"); res.Files[0].MovedTo != want {
			t.Errorf("moved to %s, want %s", res.Files[0].MovedTo, want)
		}
		for _, name := range []string{"d_units.csv", "d_units (2).csv"} {
			if got, _ := os.ReadFile(filepath.Join(a.Cfg.Paths.Processed, name)); string(got) != base["d_units.csv"] {
				t.Errorf("processed/%s lost its bytes", name)
			}
		}
		if after := snapshotDB(t, s); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("duplicate changed the store: %v → %v", before, after)
		}
	})
}

func TestIngestRevenueReplacesOnlyItsMonthAndLinePairs(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		for name, body := range baselineFiles(t) {
			drop(t, a, name, []byte(body))
		}
		scan(t, a)
		// GB18030, as Excel on Chinese Windows saves it: replaces (2026-01, 函件) only (¥1,234.50 → ¥1,000.00, within the shrink guard).
		gbk, err := simplifiedchinese.GB18030.NewEncoder().String("客户编号,月份,业务种类,收入单位编码,收入金额\r\nC002,2026年1月,函件,DC,1000.00\r\n")
		if err != nil {
			t.Fatal(err)
		}
		drop(t, a, "revenue_fix.csv", []byte(gbk))
		if res := scan(t, a); res.Count(ingest.OutcomeLoaded) != 1 {
			t.Fatalf("%+v", res.Files)
		}
		type row struct {
			Customer string `db:"customer_id"`
			Month    int    `db:"month"`
			Line     string `db:"business_line"`
			Amount   int64  `db:"amount"`
		}
		var rows []row
		if err := s.DB().Select(&rows, "SELECT customer_id, month, business_line, amount FROM revenue ORDER BY month, customer_id, business_line"); err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(rows)
		want := fmt.Sprint([]row{{"C001", 202601, "包裹", 10000}, {"C002", 202601, "函件", 100000}, {"C002", 202602, "函件", -2000}})
		if got != want {
			t.Errorf("revenue after replacement:\n got %s\nwant %s", got, want)
		}
	})
}

func TestIngestLeavesLockTemporaryAndGrowingFilesAlone(t *testing.T) {
	s := storetest.OpenSQLite(t)
	a := newTestApp(t, s, ingestNow)
	a.Cfg.Ingest.QuietPeriod.Duration = 300 * time.Millisecond
	base := baselineFiles(t)
	lock := drop(t, a, "~$units.xlsx", []byte("lock"))
	part := drop(t, a, "units.csv.part", []byte(base["d_units.csv"]))
	growing := drop(t, a, "units.csv", []byte("单位编码,单位名称,单位类型,上级单位编码,专业\n"))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // a copy still in progress: the file grows every 50 ms
		defer close(done)
		f, _ := os.OpenFile(growing, os.O_APPEND|os.O_WRONLY, 0)
		defer f.Close()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				fmt.Fprintf(f, "U%03d,单位%d,镇区局,,\n", i, i)
			}
		}
	}()
	res := scan(t, a)
	close(stop)
	<-done
	if len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeWaiting || res.Files[0].Name != "units.csv" {
		t.Fatalf("outcomes %+v, want only units.csv waiting", res.Files)
	}
	for _, p := range []string{lock, part, growing} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was taken from the inbox: %v", filepath.Base(p), err)
		}
	}
	// Once the copy has finished, the next scan takes it.
	time.Sleep(350 * time.Millisecond)
	res = scan(t, a)
	if len(res.Files) != 1 || res.Files[0].Name != "units.csv" || res.Files[0].Outcome == ingest.OutcomeWaiting {
		t.Fatalf("second scan %+v", res.Files)
	}
}

func TestIngestStepsAsideWhileAnotherScanHoldsTheLock(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		drop(t, a, "d_units.csv", []byte(baselineFiles(t)["d_units.csv"]))
		held, err := s.LockRun(t.Context(), "ingest", nil)
		if err != nil {
			t.Fatal(err)
		}
		if res := scan(t, a); len(res.Files) != 0 {
			t.Fatalf("scanned while another scan held the lock: %+v", res.Files)
		}
		held.Release()
		if res := scan(t, a); res.Count(ingest.OutcomeLoaded) != 1 {
			t.Fatalf("after release: %+v", res.Files)
		}
	})
}

func TestStatusSeesOnlyTheLastScansFiles(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		base := baselineFiles(t)
		drop(t, a, "d_units.csv", []byte(base["d_units.csv"]))
		drop(t, a, "c_managers.csv", []byte(base["c_managers.csv"]))
		scan(t, a)
		time.Sleep(2 * time.Millisecond) // scans are told apart by their start, in microseconds
		drop(t, a, "b_customers.csv", []byte(base["b_customers.csv"]))
		drop(t, a, "bad.csv", []byte("nonsense\n"))
		scan(t, a)
		files, err := s.LastScanFiles(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range files {
			names = append(names, f.Name+":"+string(f.Outcome))
		}
		if got := strings.Join(names, ","); got != "bad.csv:rejected,b_customers.csv:loaded" {
			t.Errorf("last scan's files: %s", got)
		}
	})
}
