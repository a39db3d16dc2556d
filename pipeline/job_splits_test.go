package pipeline

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/reports"
	"kam/store"
	"kam/store/storetest"
)

// seedSplitData stores six units, agreements covering the cases of 第十条 and a
// few hundred random revenue rows for June (negatives included) beside a May
// the June report must leave out.
func seedSplitData(t *testing.T, s *store.Store) {
	t.Helper()
	units := []domain.Unit{
		{Code: "U00", Name: "市局大客户中心", Kind: domain.CityCenter},
		{Code: "D01", Name: "莞城镇区局", Kind: domain.District},
		{Code: "D02", Name: "南城镇区局", Kind: domain.District},
		{Code: "P01", Name: "速递专业局", Kind: domain.Professional, Line: "速递"},
		{Code: "W01", Name: "莞城营业窗口", Kind: domain.Window, Parent: "D01"},
		{Code: "T01", Name: "南城营投班组", Kind: domain.Team, Parent: "D02"},
	}
	rng := rand.New(rand.NewPCG(5, 202606))
	agreements := []domain.SplitAgreement{
		{ID: "XY01", Customer: "C01", From: 202601, Parties: []domain.SplitParty{{Unit: "D01", Ratio: 3333}, {Unit: "D02", Ratio: 3333}, {Unit: "U00", Ratio: 3334}}},
		{ID: "XY02", Customer: "C01", From: 202603, Line: "速递", Parties: []domain.SplitParty{{Unit: "D01", Ratio: 6000}, {Unit: "P01", Ratio: 4000}}},
		{ID: "XY03", Customer: "C02", From: 202501, To: 202605, Parties: []domain.SplitParty{{Unit: "W01", Ratio: 10000}}},
		{ID: "XY04", Customer: "C03", From: 202601, Parties: []domain.SplitParty{{Unit: "D02", Ratio: 5000}, {Unit: "T01", Ratio: 5000}}},
		{ID: "XY05", Customer: "C03", From: 202606, Parties: []domain.SplitParty{{Unit: "T01", Ratio: 7000}, {Unit: "U00", Ratio: 3000}}},
	}
	for c := 4; c < 30; c += 2 { // random agreements of 1–4 parties
		k := 1 + rng.IntN(4)
		cuts := []int{0, 10000}
		for range k - 1 {
			cuts = append(cuts, rng.IntN(10001))
		}
		slices.Sort(cuts)
		var ps []domain.SplitParty
		for i := range k {
			ps = append(ps, domain.SplitParty{Unit: units[(c+i)%len(units)].Code, Ratio: domain.Ratio(cuts[i+1] - cuts[i])})
		}
		agreements = append(agreements, domain.SplitAgreement{ID: fmt.Sprintf("XR%02d", c), Customer: fmt.Sprintf("C%02d", c), From: 202605, Parties: ps})
	}
	var revenue []domain.Revenue
	for i := 0; i < 400; i++ {
		amount := domain.Money(rng.Int64N(2_000_000) - 200_000)
		if i%7 == 0 {
			amount = domain.Money(rng.Int64N(7) - 3) // a few fen
		}
		revenue = append(revenue, domain.Revenue{
			Customer: fmt.Sprintf("C%02d", 1+rng.IntN(29)), Month: 202606,
			Line:   domain.DefaultBusinessLines[rng.IntN(len(domain.DefaultBusinessLines))],
			Unit:   units[rng.IntN(len(units))].Code,
			Amount: amount,
		})
	}
	revenue = append(revenue, domain.Revenue{Customer: "C01", Month: 202605, Line: "函件", Unit: "D01", Amount: 999_999_99})
	seed(t, s, func(tx *store.Tx) error {
		if err := tx.PutUnits(units); err != nil {
			return err
		}
		if err := tx.PutAgreements(agreements); err != nil {
			return err
		}
		if _, err := tx.RecordFile(store.FileRecord{Name: "revenue.csv", SHA256: "splits-test", Size: 1,
			Kind: domain.KindRevenue, Outcome: store.FileLoaded, StartedAt: time.Now()}); err != nil {
			return err
		}
		return tx.PutRevenue(revenue)
	})
}

// workbookDetail reads the detail lines of every 分成明细 sheet in order, raw values, padded to 8 columns.
func workbookDetail(t *testing.T, path string) (header []string, lines [][]string, sheets []string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sh := range f.GetSheetList() {
		if !strings.HasPrefix(sh, "分成明细") {
			continue
		}
		sheets = append(sheets, sh)
		rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		header = rows[0][:9] // the contract columns and 月份, as the CSV has them; 客户名称, 分成单位名称 follow
		for _, r := range rows[1:] {
			lines = append(lines, append(r, make([]string, max(0, 9-len(r)))...)[:9])
		}
	}
	return header, lines, sheets
}

func fen(t *testing.T, s string) domain.Money {
	t.Helper()
	m, err := domain.ParseMoney(s)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return m
}

func TestSplitsJob(t *testing.T) {
	defer func(n int) { reports.SplitSheetRows = n }(reports.SplitSheetRows)
	reports.SplitSheetRows = 200 // about three sheets of detail
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedSplitData(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC))
		out, err := a.RunJob(t.Context(), "splits", jobs.RunRequest{}) // the last complete month: June
		if err != nil {
			t.Fatal(err)
		}
		dir := a.Cfg.Paths.Reports
		if want := []string{filepath.Join(dir, "splits_2026-06.csv"), filepath.Join(dir, "splits_2026-06.xlsx")}; !reflect.DeepEqual(out.Paths, want) {
			t.Fatalf("files %v; want %v", out.Paths, want)
		}

		raw, err := os.ReadFile(out.Paths[0])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) || !bytes.HasSuffix(raw, []byte("\r\n")) {
			t.Errorf("CSV must be UTF-8 with BOM and CRLF lines: starts %q, ends %q", raw[:min(8, len(raw))], raw[max(0, len(raw)-4):])
		}
		records, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		header, lines, sheets := workbookDetail(t, out.Paths[1])
		if !reflect.DeepEqual(records[0], header) {
			t.Errorf("CSV header %v; workbook header %v", records[0], header)
		}
		if len(sheets) < 3 || sheets[1] != "分成明细2" {
			t.Errorf("detail sheets %v; want 分成明细, 分成明细2, … at 199 lines each", sheets)
		}
		if len(records)-1 != len(lines) || int64(len(lines)) != out.Counts["lines"] {
			t.Fatalf("%d CSV lines, %d workbook lines, %d counted", len(records)-1, len(lines), out.Counts["lines"])
		}

		// The CSV read back is the workbook's detail, value for value.
		splitByLine := map[string]domain.Money{}
		var total domain.Money
		for i, rec := range records[1:] {
			row := lines[i]
			for _, c := range []int{0, 1, 2, 4, 7} {
				if rec[c] != row[c] {
					t.Fatalf("line %d column %s: CSV %q, workbook %q", i+1, header[c], rec[c], row[c])
				}
			}
			for _, c := range []int{3, 6} {
				if !strings.Contains(rec[c], ".") || len(rec[c])-strings.Index(rec[c], ".") != 3 {
					t.Fatalf("line %d %s %q: want two decimals", i+1, header[c], rec[c])
				}
				if fen(t, rec[c]) != fen(t, row[c]) {
					t.Fatalf("line %d %s: CSV %s, workbook %s", i+1, header[c], rec[c], row[c])
				}
			}
			ratio, err := domain.ParseRatio(rec[5])
			if err != nil || !strings.Contains(rec[5], ".") {
				t.Fatalf("line %d ratio %q: %v", i+1, rec[5], err)
			}
			wbRatio, err := domain.ParseRatio(row[5])
			if err != nil || wbRatio != ratio {
				t.Fatalf("line %d ratio: CSV %s, workbook %s", i+1, rec[5], row[5])
			}
			if rec[7] == "" && (ratio != domain.FullRatio || rec[4] != rec[2]) {
				t.Errorf("line %d: no agreement, yet not 100%% to the booking unit: %v", i+1, rec)
			}
			total += fen(t, rec[6])
			splitByLine[rec[1]] += fen(t, rec[6])
		}

		// Both reconcile to the revenue stored for the month, overall and per business line.
		var stored []struct {
			Line   string `db:"business_line"`
			Amount int64  `db:"amount"`
		}
		if err := s.DB().Select(&stored, "SELECT business_line, SUM(amount) AS amount FROM revenue WHERE month = 202606 GROUP BY business_line"); err != nil {
			t.Fatal(err)
		}
		var storedTotal domain.Money
		for _, l := range stored {
			storedTotal += domain.Money(l.Amount)
			if splitByLine[l.Line] != domain.Money(l.Amount) {
				t.Errorf("%s: split %s, stored %s", l.Line, splitByLine[l.Line].Yuan(), domain.Money(l.Amount).Yuan())
			}
		}
		if total != storedTotal || out.Counts["split_fen"] != int64(storedTotal) || out.Counts["difference_fen"] != 0 {
			t.Errorf("split %s (counted %d fen), stored %s", total.Yuan(), out.Counts["split_fen"], storedTotal.Yuan())
		}
		want := fmt.Sprintf("分成合计 ¥%s，明细 %s 行，差额 0.00", storedTotal.Yuan(), domain.Grouped(int64(len(lines))))
		if out.Headline != want {
			t.Errorf("headline %q; want %q", out.Headline, want)
		}

		// 第十条 end to end: C01's 速递 goes by the line-specific XY02, C02's lapsed agreement splits nothing.
		for _, rec := range records[1:] {
			switch {
			case rec[0] == "C01" && rec[1] == "速递" && rec[7] != "XY02",
				rec[0] == "C01" && rec[1] != "速递" && rec[7] != "XY01",
				rec[0] == "C02" && rec[7] != "",
				rec[0] == "C03" && rec[7] != "XY05":
				t.Errorf("wrong agreement: %v", rec)
			}
		}

		// 单位汇总 lists every unit, 核对 balances everywhere.
		f, err := excelize.OpenFile(out.Paths[1])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		summary, _ := f.GetRows("单位汇总", excelize.Options{RawCellValue: true})
		var unitSum domain.Money
		for _, r := range summary[1:] {
			unitSum += fen(t, r[2])
		}
		if len(summary) != 7 || unitSum != storedTotal {
			t.Errorf("单位汇总: %d rows summing to %s; want 6 units summing to %s", len(summary)-1, unitSum.Yuan(), storedTotal.Yuan())
		}
		checks, _ := f.GetRows("核对")
		for _, r := range checks[1:] {
			if r[3] != "0.00" || r[4] != "一致" {
				t.Errorf("核对 %v", r)
			}
		}
	})
}

func TestSplitsJobRefusesAMonthWithoutRevenue(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedSplitData(t, s)
		a := newTestApp(t, s, time.Date(2026, 8, 3, 9, 0, 0, 0, time.UTC))
		out, err := a.RunJob(t.Context(), "splits", jobs.RunRequest{}) // July: nothing loaded yet
		wantRefused(t, s, err, "2026-07", "收入")
		if out != nil && len(out.Paths) != 0 {
			t.Errorf("a refused month published %v", out.Paths)
		}
		if entries, _ := os.ReadDir(a.Cfg.Paths.Reports); len(entries) != 0 {
			t.Errorf("reports folder holds %d files", len(entries))
		}
		if _, err := a.RunJob(t.Context(), "splits", jobs.RunRequest{Period: "2026-13"}); domain.KindOf(err) != domain.EInvalid {
			t.Errorf("--period 2026-13: %v; want a usage error", err)
		}
	})
}
