package loaders

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kam/domain"
)

// testToday is the current day every load test runs on.
var testToday = domain.DateOf(2026, 3, 15)

// fakeRefs is a small stored world: a city centre, a district with a team, a
// professional bureau, two managers, two customers and one agreement.
type fakeRefs struct {
	units      map[string]domain.Unit
	managers   map[string]bool
	customers  map[string]bool
	agreements map[string]string // customer|line|from → id
}

func newFakeRefs() *fakeRefs {
	r := &fakeRefs{
		units:      map[string]domain.Unit{},
		managers:   map[string]bool{"M001": true, "M002": true},
		customers:  map[string]bool{"C001": true, "C002": true},
		agreements: map[string]string{"C001||2026-01": "AG-OLD"},
	}
	for _, u := range []domain.Unit{
		{Code: "U00", Name: "市局大客户中心", Kind: domain.CityCenter},
		{Code: "D01", Name: "莞城镇区局", Kind: domain.District},
		{Code: "T01", Name: "莞城营投班组", Kind: domain.Team, Parent: "D01"},
		{Code: "P01", Name: "速递专业局", Kind: domain.Professional, Line: "速递"},
	} {
		r.units[u.Code] = u
	}
	return r
}

func (r *fakeRefs) Unit(code string) (domain.Unit, bool) { u, ok := r.units[code]; return u, ok }
func (r *fakeRefs) CityCenter() (string, bool) {
	for _, u := range r.units {
		if u.Kind == domain.CityCenter {
			return u.Code, true
		}
	}
	return "", false
}
func (r *fakeRefs) HasManager(id string) bool  { return r.managers[id] }
func (r *fakeRefs) HasCustomer(id string) bool { return r.customers[id] }
func (r *fakeRefs) AgreementStarting(customer, line string, from domain.Month) (string, bool) {
	id, ok := r.agreements[customer+"|"+line+"|"+from.String()]
	return id, ok
}

// fakeWriter records every call, copying what it is given.
type fakeWriter struct {
	calls      int
	units      []domain.Unit
	managers   []domain.Manager
	customers  []domain.Customer
	claims     []domain.Claim
	agreements []domain.SplitAgreement
	targets    [][]domain.Target // one entry per call
	visits     []domain.Visit
	revenue    []domain.Revenue
	batches    []int // PutRevenue batch sizes
	pairs      []domain.MonthLine
	finished   bool
}

func (w *fakeWriter) PutUnits(u []domain.Unit) error {
	w.calls++
	w.units = append(w.units, u...)
	return nil
}
func (w *fakeWriter) PutManagers(m []domain.Manager) error {
	w.calls++
	w.managers = append(w.managers, m...)
	return nil
}
func (w *fakeWriter) PutCustomers(c []domain.Customer) error {
	w.calls++
	w.customers = append(w.customers, c...)
	return nil
}
func (w *fakeWriter) PutClaims(c []domain.Claim) error {
	w.calls++
	w.claims = append(w.claims, c...)
	return nil
}
func (w *fakeWriter) PutAgreements(a []domain.SplitAgreement) error {
	w.calls++
	w.agreements = append(w.agreements, a...)
	return nil
}
func (w *fakeWriter) PutTargets(t []domain.Target) error {
	w.calls++
	w.targets = append(w.targets, append([]domain.Target(nil), t...))
	return nil
}
func (w *fakeWriter) PutVisits(v []domain.Visit) error {
	w.calls++
	w.visits = append(w.visits, v...)
	return nil
}
func (w *fakeWriter) PutRevenue(r []domain.Revenue) error {
	w.calls++
	w.revenue = append(w.revenue, r...)
	w.batches = append(w.batches, len(r))
	return nil
}
func (w *fakeWriter) FinishRevenue(p []domain.MonthLine) error {
	w.calls++
	w.pairs, w.finished = append([]domain.MonthLine(nil), p...), true
	return nil
}

// discardWriter accepts everything and keeps nothing (benchmarks, fuzzing).
type discardWriter struct{}

func (discardWriter) PutUnits([]domain.Unit) error                { return nil }
func (discardWriter) PutManagers([]domain.Manager) error          { return nil }
func (discardWriter) PutCustomers([]domain.Customer) error        { return nil }
func (discardWriter) PutClaims([]domain.Claim) error              { return nil }
func (discardWriter) PutAgreements([]domain.SplitAgreement) error { return nil }
func (discardWriter) PutTargets([]domain.Target) error            { return nil }
func (discardWriter) PutVisits([]domain.Visit) error              { return nil }
func (discardWriter) PutRevenue([]domain.Revenue) error           { return nil }
func (discardWriter) FinishRevenue([]domain.MonthLine) error      { return nil }

func testEnv() Env { return Env{Refs: newFakeRefs(), Today: testToday} }

// writeFile puts bytes in a temp dir under name.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// csvFile writes lines joined by CRLF, as Excel saves them.
func csvFile(t testing.TB, lines ...string) string {
	t.Helper()
	return writeFile(t, "extract.csv", []byte(strings.Join(lines, "\r\n")+"\r\n"))
}

// xlsxFile writes rows to the first sheet; a nil row leaves that row empty.
func xlsxFile(t testing.TB, rows [][]any, edit func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		if row == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(f)
	}
	p := filepath.Join(t.TempDir(), "extract.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// load opens and loads a file with a fresh fake writer.
func load(t testing.TB, path string, env Env) (Result, *fakeWriter) {
	t.Helper()
	x, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer x.Close()
	w := &fakeWriter{}
	res, err := Load(x, env, w)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return res, w
}

// wantErrors checks a bad file: exactly these errors, in order, and nothing written.
func wantErrors(t *testing.T, res Result, w *fakeWriter, want ...domain.RowError) {
	t.Helper()
	if w.calls != 0 {
		t.Errorf("writer received %d calls for a bad file", w.calls)
	}
	if res.ErrorCount != len(want) || len(res.Errors) != len(want) {
		t.Fatalf("got %d errors (%d listed), want %d:\n%s", res.ErrorCount, len(res.Errors), len(want), fmtErrors(res.Errors))
	}
	for i, e := range want {
		got := res.Errors[i]
		if got.Row != e.Row || got.Column != e.Column || got.Value != e.Value || !strings.Contains(got.Reason, e.Reason) {
			t.Errorf("error %d = %+v, want %+v (reason containing %q)", i, got, e, e.Reason)
		}
	}
}

func fmtErrors(es []domain.RowError) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

// wantClean checks a good file: no errors.
func wantClean(t *testing.T, res Result) {
	t.Helper()
	if res.ErrorCount != 0 {
		t.Fatalf("unexpected errors:\n%s", fmtErrors(res.Errors))
	}
}
