package pipeline

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// kam explain gives the grades workbook's figures for each customer.
func TestExplainAgreesWithTheGradesWorkbook(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedGradeData(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))
		out, err := a.RunJob(t.Context(), "grade", jobs.RunRequest{Period: "2026Q2"})
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(out.Paths[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("分级结果", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, r := range rows[1:] {
			if r[0] == "Z" { // revenue of an unknown customer: graded, but no record to explain
				continue
			}
			e, err := a.Explain(t.Context(), r[1], "2026Q2") // by exact name
			if err != nil {
				t.Fatalf("explain %s: %v", r[1], err)
			}
			prev := ""
			if e.PrevLevel > 0 {
				prev = e.PrevTier.Label()
			}
			got := []string{e.Customer.ID, e.Customer.Name, e.Cum.Plain(), strconv.Itoa(e.Level), e.Tier.Label(), prev, e.Centre}
			want := []string{r[0], r[1], fen(t, r[2]).Plain(), r[3], r[4], r[5], r[7]}
			wantEqual(t, "explain "+r[0], got, want)
			var text strings.Builder
			if err := e.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), "累计收入 "+e.Cum.Yuan()+" 元") || !strings.Contains(text.String(), "第九条") {
				t.Errorf("explain %s prints:\n%s", r[0], text.String())
			}
			checked++
		}
		if checked < 3 {
			t.Errorf("checked %d customers", checked)
		}
		if _, err := a.Explain(t.Context(), "没有这个客户", ""); domain.KindOf(err) != domain.EInvalid {
			t.Errorf("unknown customer: %v; want a usage error", err)
		}
	})
}

// kam explain splits a customer's month exactly as the splits workbook does, to the fen.
func TestExplainAgreesWithTheSplitsWorkbook(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedSplitData(t, s)
		var customers []domain.Customer
		for i := 1; i < 30; i++ {
			customers = append(customers, domain.Customer{ID: fmt.Sprintf("C%02d", i), Name: fmt.Sprintf("客户%02d", i),
				Category: domain.Comprehensive, Status: domain.Cooperating, Territory: "D01"})
		}
		seed(t, s, func(tx *store.Tx) error { return tx.PutCustomers(customers) })
		a := newTestApp(t, s, time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC))
		out, err := a.RunJob(t.Context(), "splits", jobs.RunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		_, detail, _ := workbookDetail(t, out.Paths[1])
		for _, id := range []string{"C01", "C02", "C03", "C04", "C07"} {
			var want []string
			for _, l := range detail {
				if l[0] == id {
					want = append(want, fmt.Sprintf("%s %s %s %s %s %s %s", l[1], l[2], fen(t, l[3]).Plain(), l[4], l[5], fen(t, l[6]).Plain(), l[7]))
				}
			}
			e, err := a.Explain(t.Context(), id, "2026Q2")
			if err != nil {
				t.Fatal(err)
			}
			if e.SplitMonth != 202606 {
				t.Fatalf("split month %s", e.SplitMonth)
			}
			var got []string
			for _, sp := range e.Splits {
				for _, sh := range sp.Shares {
					got = append(got, fmt.Sprintf("%s %s %s %s %s %s %s", sp.Revenue.Line, sp.Revenue.Unit, sp.Revenue.Amount.Plain(),
						sh.Unit, ratioCell(sh.Ratio), sh.Amount.Plain(), sh.Agreement))
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			wantEqual(t, "splits of "+id, got, want)
		}
	})
}

// ratioCell is a ratio as the workbook's 分成比例 cell holds it (a percentage number).
func ratioCell(r domain.Ratio) string {
	return strings.TrimSuffix(strings.TrimRight(r.String(), "0"), ".")
}

// kam explain's month of revenue is the diamond review pack's 本期收入.
func TestExplainAgreesWithTheReviewPack(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedGradeData(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))
		if _, err := a.RunJob(t.Context(), "grade", jobs.RunRequest{Period: "2026Q2"}); err != nil {
			t.Fatal(err)
		}
		out, err := a.RunJob(t.Context(), "review-diamond", jobs.RunRequest{Period: "2026-06"})
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(out.Paths[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("用邮分析", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 2 {
			t.Fatalf("用邮分析 has no customer: %v", rows)
		}
		for _, r := range rows[1:] {
			e, err := a.Explain(t.Context(), r[0], "2026Q2")
			if err != nil {
				t.Fatal(err)
			}
			var june domain.Money
			for _, rev := range e.Revenue {
				if rev.Month == 202606 {
					june += rev.Amount
				}
			}
			if want := fen(t, r[2]); june != want || e.InForce != domain.Diamond {
				t.Errorf("%s: explain gives June %s (%s), the pack 本期收入 %s", r[0], june.Yuan(), e.InForce, want.Yuan())
			}
		}
	})
}
