package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

var ctx = context.Background()

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// load runs fn in a transaction with a freshly recorded loaded file, returning its id.
func load(t *testing.T, s *store.Store, name string, fn func(tx *store.Tx) error) int64 {
	t.Helper()
	var id int64
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = tx.RecordFile(store.FileRecord{Name: name, SHA256: "sha-" + name, Size: 1,
			Kind: domain.KindRevenue, Outcome: store.FileLoaded, StartedAt: time.Now()})
		if err != nil {
			return err
		}
		return fn(tx)
	})
	must(t, err)
	return id
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		var before, after int
		must(t, s.DB().Get(&before, "SELECT COUNT(*) FROM goose_db_version"))
		must(t, s.Migrate(ctx))
		must(t, s.Migrate(ctx))
		must(t, s.DB().Get(&after, "SELECT COUNT(*) FROM goose_db_version"))
		if before < 2 || after != before {
			t.Errorf("goose_db_version rows: %d before, %d after migrating twice more", before, after)
		}
		n, err := storetest.RevenueCount(ctx, s)
		must(t, err)
		equal(t, "revenue rows", n, int64(0))
	})
}

func TestUpsertsReplaceByKey(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		units := []domain.Unit{
			{Code: "U01", Name: "市局大客户中心", Kind: domain.CityCenter},
			{Code: "U02", Name: "速递专业局", Kind: domain.Professional, Line: "速递"},
			{Code: "U03", Name: "莞城镇区局", Kind: domain.District},
		}
		managers := []domain.Manager{
			{StaffID: "M1", Name: "张三", Unit: "U03", Status: domain.Active},
			{StaffID: "M2", Name: "李四", Unit: "U02", Status: domain.Active},
		}
		customers := []domain.Customer{
			{ID: "C1", Name: "东莞某制造有限公司", CreditCode: "91441900MA4UJ1234X", Industry: "制造业",
				Category: domain.Comprehensive, Status: domain.Cooperating, Strategic: true,
				Territory: "U03", Signing: "U03", ManagerA: "M1", ManagerB: "M2"},
			{ID: "C2", Name: "某银行东莞分行", Industry: "金融业", Category: domain.Specialized, MainLine: "速递",
				Status: domain.Potential, Territory: "U03", Signing: "U02", ManagerA: "M2"},
		}
		claims := []domain.Claim{
			{ID: "K1", Customer: "C1", Unit: "U03", Manager: "M1", Registered: domain.DateOf(2026, 1, 5),
				Confirmed: domain.DateOf(2026, 1, 31), Type: domain.Regular},
			{ID: "K2", Customer: "C2", Unit: "U02", Manager: "M2", Registered: domain.DateOf(2026, 2, 1),
				Type: domain.Holiday, PeriodMonths: 3},
		}
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			must(t, tx.PutUnits(units))
			must(t, tx.PutManagers(managers))
			must(t, tx.PutCustomers(customers))
			return tx.PutClaims(claims)
		}))

		units[2].Name = "莞城镇区局（新）"
		units = append(units, domain.Unit{Code: "U04", Name: "莞城营投班组", Kind: domain.Team, Parent: "U03"})
		managers[0].Status = domain.Departed
		customers[1].Status, customers[1].ManagerB = domain.Cooperating, "M1"
		customers[0].Strategic = false
		claims[1].Developed = domain.DateOf(2026, 3, 2)
		claims[0].Confirmed = 0
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			must(t, tx.PutUnits(units[2:]))
			must(t, tx.PutManagers(managers[:1]))
			must(t, tx.PutCustomers(customers))
			return tx.PutClaims(claims)
		}))

		gotU, err := s.Units(ctx)
		must(t, err)
		equal(t, "units", gotU, units)
		gotM, err := s.Managers(ctx)
		must(t, err)
		equal(t, "managers", gotM, managers)
		gotC, err := s.Customers(ctx)
		must(t, err)
		equal(t, "customers", gotC, customers)
		gotK, err := s.Claims(ctx)
		must(t, err)
		equal(t, "claims", gotK, claims)
	})
}

func TestManyRowsSpanSeveralStatements(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		const n = 4321 // more than one multi-row statement, with a remainder
		units := make([]domain.Unit, n)
		for i := range units {
			units[i] = domain.Unit{Code: fmt.Sprintf("U%05d", i), Name: fmt.Sprintf("单位%d", i), Kind: domain.District}
		}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.PutUnits(units) }))
		got, err := s.Units(ctx)
		must(t, err)
		equal(t, "units", got, units)

		forEachRevenueWriter(t, s, func(t *testing.T) {
			const rows = 125_013 // several LOAD DATA batches too
			load(t, s, "big.csv", func(tx *store.Tx) error {
				for start := 0; start < rows; start += 997 {
					chunk := make([]domain.Revenue, 0, 997)
					for i := start; i < min(start+997, rows); i++ {
						chunk = append(chunk, domain.Revenue{Customer: fmt.Sprintf("C%d", i), Month: 202601,
							Line: "函件", Unit: "U00001", Amount: domain.Money(i)})
					}
					if err := tx.PutRevenue(chunk); err != nil {
						return err
					}
				}
				return nil
			})
			cnt, err := storetest.RevenueCount(ctx, s)
			must(t, err)
			equal(t, "revenue rows", cnt, int64(rows))
			var sum int64
			must(t, s.DB().Get(&sum, "SELECT SUM(amount) FROM revenue"))
			equal(t, "revenue sum", sum, int64(rows*(rows-1)/2))
		})
	})
}

func TestAgreementsAreReplacedWhole(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a1 := domain.SplitAgreement{ID: "A1", Customer: "C1", From: 202601, Line: "速递", Parties: []domain.SplitParty{
			{Unit: "U03", Ratio: 6000}, {Unit: "U02", Ratio: 4000}}}
		a2 := domain.SplitAgreement{ID: "A2", Customer: "C2", From: 202602, To: 202612, Parties: []domain.SplitParty{
			{Unit: "U05", Ratio: 10000}}}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.PutAgreements([]domain.SplitAgreement{a1, a2}) }))

		a1 = domain.SplitAgreement{ID: "A1", Customer: "C1", From: 202603, To: 202606, Parties: []domain.SplitParty{
			{Unit: "U04", Ratio: 3334}, {Unit: "U03", Ratio: 3333}, {Unit: "U02", Ratio: 3333}}}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.PutAgreements([]domain.SplitAgreement{a1}) }))

		got, err := s.Agreements(ctx)
		must(t, err)
		equal(t, "agreements", got, []domain.SplitAgreement{a1, a2})
		var parties int
		must(t, s.DB().Get(&parties, "SELECT COUNT(*) FROM agreement_parties"))
		equal(t, "party rows", parties, 4)

		clash := domain.SplitAgreement{ID: "A9", Customer: "C2", From: 202602, Parties: []domain.SplitParty{{Unit: "U01", Ratio: 10000}}}
		err = s.InTx(ctx, func(tx *store.Tx) error { return tx.PutAgreements([]domain.SplitAgreement{clash}) })
		if err == nil {
			t.Error("a second agreement for the same customer, line and first month was stored")
		}
	})
}

func TestTargetsReplaceTheManagersMonth(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		first := []domain.Target{
			{StaffID: "M1", Month: 202603, Customer: "C1", Project: "春节贺卡"},
			{StaffID: "M1", Month: 202603, CustomerName: "某新客户", Project: "账单寄递"},
			{StaffID: "M2", Month: 202603, Customer: "C2", Project: "国际速递"},
			{StaffID: "M1", Month: 202604, Customer: "C3", Project: "物流仓配"},
		}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.PutTargets(first) }))

		second := []domain.Target{{StaffID: "M1", Month: 202603, Customer: "C9", Project: "换成这个"}}
		more := []domain.Target{{StaffID: "M1", Month: 202603, Customer: "C8", Project: "同一文件的下一批"}}
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			must(t, tx.PutTargets(second))
			return tx.PutTargets(more)
		}))

		march, err := s.Targets(ctx, 202603)
		must(t, err)
		equal(t, "March targets", march, []domain.Target{second[0], more[0], first[2]})
		april, err := s.Targets(ctx, 202604)
		must(t, err)
		equal(t, "April targets", april, first[3:])
	})
}

type revenueRow struct {
	Customer string       `db:"customer_id"`
	Month    domain.Month `db:"month"`
	Line     string       `db:"business_line"`
	Unit     string       `db:"unit_code"`
	Amount   domain.Money `db:"amount"`
	FileID   int64        `db:"file_id"`
}

// forEachRevenueWriter runs fn once per way revenue reaches the database:
// multi-row INSERT, and on MySQL also LOAD DATA LOCAL INFILE; each starts with no revenue or files.
func forEachRevenueWriter(t *testing.T, s *store.Store, fn func(t *testing.T)) {
	ways := map[string]bool{"insert": false}
	if store.LoadsWithLoadData(s) {
		ways["load-data"] = true
	} else if s.Dialect() == store.MySQL {
		t.Log("MySQL server has local_infile off: LOAD DATA path not tested")
	}
	for name, loadData := range ways {
		t.Run(name, func(t *testing.T) {
			store.UseLoadData(s, loadData)
			_, err := s.DB().Exec("DELETE FROM revenue")
			must(t, err)
			_, err = s.DB().Exec("DELETE FROM files")
			must(t, err)
			fn(t)
		})
	}
}

func TestRevenueFileSupersedesItsMonthAndLine(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		forEachRevenueWriter(t, s, func(t *testing.T) {
			f1 := load(t, s, "jan-feb.csv", func(tx *store.Tx) error {
				must(t, tx.PutRevenue([]domain.Revenue{
					{Customer: "C1", Month: 202601, Line: "函件", Unit: "U03", Amount: 100_00},
					{Customer: "C2", Month: 202601, Line: "函件", Unit: "U03", Amount: 200_00},
					{Customer: "C1", Month: 202601, Line: "包裹", Unit: "U03", Amount: 300_00},
				}))
				must(t, tx.PutRevenue([]domain.Revenue{
					{Customer: "C1", Month: 202602, Line: "函件", Unit: "U03", Amount: -50_00},
				}))
				return tx.FinishRevenue([]domain.MonthLine{{Month: 202601, Line: "函件"}, {Month: 202601, Line: "包裹"}, {Month: 202602, Line: "函件"}})
			})
			f2 := load(t, s, "jan-letters-corrected.csv", func(tx *store.Tx) error {
				must(t, tx.PutRevenue([]domain.Revenue{
					{Customer: "C1", Month: 202601, Line: "函件", Unit: "U04", Amount: 123_45},
				}))
				return tx.FinishRevenue([]domain.MonthLine{{Month: 202601, Line: "函件"}})
			})
			if f1 == f2 {
				t.Fatalf("both files got id %d", f1)
			}
			var got []revenueRow
			must(t, s.DB().Select(&got, `SELECT customer_id, month, business_line, unit_code, amount, file_id
			FROM revenue ORDER BY month, business_line, customer_id`))
			equal(t, "revenue", got, []revenueRow{
				{"C1", 202601, "函件", "U04", 123_45, f2},
				{"C1", 202601, "包裹", "U03", 300_00, f1},
				{"C1", 202602, "函件", "U03", -50_00, f1},
			})
		})
	})
}

func TestRevenueTextRoundTrips(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		forEachRevenueWriter(t, s, func(t *testing.T) {
			odd := []string{"C\t1", "C\t2\\", "C3\n", "\\N", "C5\r\n", "客户𠀀", "C,\"7\"", "NULL", ""}
			var want []revenueRow
			f := load(t, s, "odd.csv", func(tx *store.Tx) error {
				var rs []domain.Revenue
				for i, c := range odd {
					rs = append(rs, domain.Revenue{Customer: c, Month: 202601, Line: "函件\t" + c, Unit: c + "U", Amount: domain.Money(-i)})
				}
				return tx.PutRevenue(rs)
			})
			for i, c := range odd {
				want = append(want, revenueRow{c, 202601, "函件\t" + c, c + "U", domain.Money(-i), f})
			}
			var got []revenueRow
			must(t, s.DB().Select(&got, `SELECT customer_id, month, business_line, unit_code, amount, file_id
			FROM revenue ORDER BY seq`))
			equal(t, "revenue", got, want)
		})
	})
}

func TestRevenueValueTooLongFailsTheFile(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		if s.Dialect() != store.MySQL {
			t.Skip("SQLite text has no length limit")
		}
		forEachRevenueWriter(t, s, func(t *testing.T) {
			err := s.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.RecordFile(store.FileRecord{Name: "long.csv", SHA256: "l", Outcome: store.FileLoaded, StartedAt: time.Now()}); err != nil {
					return err
				}
				return tx.PutRevenue([]domain.Revenue{
					{Customer: "C1", Month: 202601, Line: "函件", Unit: "U1", Amount: 1},
					{Customer: strings.Repeat("长", 65), Month: 202601, Line: "函件", Unit: "U1", Amount: 2},
				})
			})
			if err == nil {
				t.Fatal("a customer id longer than the column was stored (or silently cut)")
			}
			t.Log(err)
			n, err := storetest.RevenueCount(ctx, s)
			must(t, err)
			equal(t, "rows left", n, int64(0))
		})
	})
}

func TestRevenueNeedsItsFile(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.PutRevenue([]domain.Revenue{{Customer: "C1", Month: 202601, Line: "函件", Unit: "U03", Amount: 1}})
		})
		if err == nil {
			t.Error("revenue without a recorded file was accepted")
		}
	})
}

func TestFailedTransactionLeavesNothing(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		boom := errors.New("第 7 行有错")
		writeAll := func(tx *store.Tx) {
			_, err := tx.RecordFile(store.FileRecord{Name: "x.csv", SHA256: "abc", Outcome: store.FileLoaded, StartedAt: time.Now()})
			must(t, err)
			must(t, tx.PutUnits([]domain.Unit{{Code: "U1", Name: "n", Kind: domain.District}}))
			must(t, tx.PutManagers([]domain.Manager{{StaffID: "M1", Name: "n", Unit: "U1", Status: domain.Active}}))
			must(t, tx.PutCustomers([]domain.Customer{{ID: "C1", Name: "n", Category: domain.Comprehensive, Status: domain.Potential}}))
			must(t, tx.PutClaims([]domain.Claim{{ID: "K1", Customer: "C1", Unit: "U1", Manager: "M1", Registered: domain.DateOf(2026, 1, 1), Type: domain.Regular}}))
			must(t, tx.PutAgreements([]domain.SplitAgreement{{ID: "A1", Customer: "C1", From: 202601, Parties: []domain.SplitParty{{Unit: "U1", Ratio: 10000}}}}))
			must(t, tx.PutTargets([]domain.Target{{StaffID: "M1", Month: 202601, Customer: "C1"}}))
			must(t, tx.PutRevenue([]domain.Revenue{{Customer: "C1", Month: 202601, Line: "函件", Unit: "U1", Amount: 1}}))
		}
		err := s.InTx(ctx, func(tx *store.Tx) error { writeAll(tx); return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("InTx returned %v, want the callback's error", err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("panic inside InTx was swallowed")
				}
			}()
			_ = s.InTx(ctx, func(tx *store.Tx) error { writeAll(tx); panic("loader bug") })
		}()
		for _, table := range []string{"files", "units", "managers", "customers", "claims", "agreements",
			"agreement_parties", "targets", "revenue"} {
			var n int
			must(t, s.DB().Get(&n, "SELECT COUNT(*) FROM "+table))
			if n != 0 {
				t.Errorf("%s has %d rows after rollback", table, n)
			}
		}
		// The store still works after a panic released the transaction.
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			return tx.PutUnits([]domain.Unit{{Code: "U1", Name: "n", Kind: domain.District}})
		}))
	})
}

func TestRefsSnapshot(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		team := domain.Unit{Code: "U04", Name: "莞城营投班组", Kind: domain.Team, Parent: "U03"}
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			must(t, tx.PutUnits([]domain.Unit{team}))
			must(t, tx.PutManagers([]domain.Manager{{StaffID: "M1", Name: "张三", Unit: "U04", Status: domain.Departed}}))
			must(t, tx.PutCustomers([]domain.Customer{{ID: "C1", Name: "客户", Category: domain.Comprehensive, Status: domain.Cooperating}}))
			must(t, tx.PutAgreements([]domain.SplitAgreement{
				{ID: "A1", Customer: "C1", From: 202601, Parties: []domain.SplitParty{{Unit: "U04", Ratio: 10000}}},
				{ID: "A2", Customer: "C1", From: 202601, Line: "速递", Parties: []domain.SplitParty{{Unit: "U04", Ratio: 10000}}},
			}))
			in, err := tx.Refs()
			must(t, err)
			if !in.HasCustomer("C1") {
				t.Error("Tx.Refs does not see the transaction's own writes")
			}
			return nil
		}))
		r, err := s.Refs(ctx)
		must(t, err)
		_, ok := r.CityCenter()
		equal(t, "city centre found before one is stored", ok, false)
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			return tx.PutUnits([]domain.Unit{{Code: "U01", Name: "市局大客户中心", Kind: domain.CityCenter}})
		}))
		r, err = s.Refs(ctx)
		must(t, err)
		cc, ok := r.CityCenter()
		equal(t, "city centre", cc+fmt.Sprint(ok), "U01true")
		u, ok := r.Unit("U04")
		equal(t, "Unit(U04)", u, team)
		equal(t, "Unit(U04) found", ok, true)
		_, ok = r.Unit("U99")
		equal(t, "Unit(U99) found", ok, false)
		equal(t, "HasManager(M1)", r.HasManager("M1"), true)
		equal(t, "HasManager(M2)", r.HasManager("M2"), false)
		equal(t, "HasCustomer(C1)", r.HasCustomer("C1"), true)
		equal(t, "HasCustomer(c1)", r.HasCustomer("c1"), false)
		id, ok := r.AgreementStarting("C1", "", 202601)
		equal(t, "all-lines agreement", id+fmt.Sprint(ok), "A1true")
		id, ok = r.AgreementStarting("C1", "速递", 202601)
		equal(t, "速递 agreement", id+fmt.Sprint(ok), "A2true")
		_, ok = r.AgreementStarting("C1", "函件", 202601)
		equal(t, "函件 agreement found", ok, false)
		_, ok = r.AgreementStarting("C1", "", 202602)
		equal(t, "agreement from 2026-02 found", ok, false)
	})
}

func TestFileRecords(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		_, found, err := s.FileBySHA(ctx, "nope")
		must(t, err)
		equal(t, "unknown sha found", found, false)

		start := time.Date(2026, 3, 5, 8, 30, 0, 123456000, time.FixedZone("CST", 8*3600))
		rejected := store.FileRecord{Name: "收入-三月.csv", SHA256: "aa11", Size: 2048, Kind: domain.KindRevenue,
			Rows: 10, Outcome: store.FileRejected, ErrorCount: 3, StoredAs: "rejected/收入-三月.csv",
			ErrorBook: "rejected/收入-三月.csv (2).errors.xlsx", StartedAt: start, FinishedAt: start.Add(1500 * time.Millisecond)}
		rid, err := s.RecordFile(ctx, rejected)
		must(t, err)
		got, found, err := s.FileBySHA(ctx, "aa11")
		must(t, err)
		rejected.ID, rejected.DurationMS = rid, 1500
		equal(t, "found", found, true)
		if !got.StartedAt.Equal(start) || !got.FinishedAt.Equal(rejected.FinishedAt) {
			t.Errorf("times: got %v–%v, want %v–%v", got.StartedAt, got.FinishedAt, start, rejected.FinishedAt)
		}
		got.StartedAt, got.FinishedAt = rejected.StartedAt, rejected.FinishedAt
		equal(t, "rejected record", got, rejected)

		var loaded store.FileRecord
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			rec := store.FileRecord{Name: "收入-三月(改).csv", SHA256: "aa11", Size: 2048, Kind: domain.KindRevenue,
				Outcome: store.FileLoaded, StartedAt: start}
			id, err := tx.RecordFile(rec)
			if err != nil {
				return err
			}
			equal(t, "Tx.FileID", store.TxFileID(tx), id)
			rec.ID, rec.Rows, rec.StoredAs, rec.FinishedAt = id, 10, "processed/收入-三月(改).csv", start.Add(time.Second)
			if _, err := tx.RecordFile(rec); err != nil {
				return err
			}
			loaded = rec
			return nil
		}))
		got, _, err = s.FileBySHA(ctx, "aa11")
		must(t, err)
		equal(t, "FileBySHA prefers the loaded record", got.ID, loaded.ID)
		equal(t, "final row count", got.Rows, 10)
		equal(t, "duration", got.DurationMS, int64(1000))

		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.RecordFile(store.FileRecord{Name: "copy.csv", SHA256: "aa11", Outcome: store.FileLoaded, StartedAt: start})
			return err
		})
		if !errors.Is(err, store.ErrAlreadyLoaded) {
			t.Errorf("loading the same bytes twice: got %v, want ErrAlreadyLoaded", err)
		}
		dupID, err := s.RecordFile(ctx, store.FileRecord{Name: "copy.csv", SHA256: "aa11", Outcome: store.FileDuplicate, StartedAt: start})
		must(t, err)

		var finished sql.NullTime
		must(t, s.DB().Get(&finished, "SELECT finished_at FROM files WHERE id = ?", dupID))
		equal(t, "unfinished record has no finish time", finished.Valid, false)

		// A rejection whose error workbook could not be written stores none: NULL, read back as "".
		unwritten := store.FileRecord{Name: "满盘.csv", SHA256: "bb22", Outcome: store.FileRejected, ErrorCount: 1,
			StoredAs: "rejected/满盘.csv", StartedAt: start, ScanID: 7}
		nid, err := s.RecordFile(ctx, unwritten)
		must(t, err)
		var book sql.NullString
		must(t, s.DB().Get(&book, "SELECT error_book FROM files WHERE id = ?", nid))
		equal(t, "no error workbook is NULL", book.Valid, false)
		last, err := s.LastScanFiles(ctx)
		must(t, err)
		equal(t, "last scan's file", len(last), 1)
		equal(t, "its error workbook", last[0].ErrorBook, "")
		// An update keeps what it is given: a record written again with its workbook names it.
		unwritten.ID, unwritten.ErrorBook = nid, "rejected/满盘.csv.errors.xlsx"
		_, err = s.RecordFile(ctx, unwritten)
		must(t, err)
		last, err = s.LastScanFiles(ctx)
		must(t, err)
		equal(t, "its error workbook after an update", last[0].ErrorBook, "rejected/满盘.csv.errors.xlsx")
	})
}

func TestUnicodeRoundTrip(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		names := []string{"东莞市𠀀𠀁邮政局", "客户😀名称", "ｆｕｌｌ　ｗｉｄｔｈ", "=SUM(A1)", "O'Brien \\ \"quoted\""}
		var us []domain.Unit
		var cs []domain.Customer
		for i, n := range names {
			code := fmt.Sprintf("单位%d𠀀", i)
			us = append(us, domain.Unit{Code: code, Name: n, Kind: domain.District})
			cs = append(cs, domain.Customer{ID: fmt.Sprintf("客户%d", i), Name: n, Category: domain.Comprehensive,
				Status: domain.Cooperating, Territory: code})
		}
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			must(t, tx.PutUnits(us))
			return tx.PutCustomers(cs)
		}))
		gotU, err := s.Units(ctx)
		must(t, err)
		equal(t, "units", gotU, us)
		gotC, err := s.Customers(ctx)
		must(t, err)
		equal(t, "customers", gotC, cs)
		r, err := s.Refs(ctx)
		must(t, err)
		equal(t, "Refs finds a 4-byte code", r.HasCustomer("客户0") && func() bool { _, ok := r.Unit("单位0𠀀"); return ok }(), true)
	})
}

func TestSQLiteConnectionSettings(t *testing.T) {
	s := storetest.OpenSQLite(t)
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000", "synchronous": "1"} {
		var got string
		must(t, s.DB().Get(&got, "PRAGMA "+pragma))
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

// Two writers in one process queue up instead of failing with SQLITE_BUSY, and readers run beside a writer.
func TestConcurrentWriters(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		errs := make(chan error, 8)
		for w := 0; w < 8; w++ {
			go func() {
				errs <- s.InTx(ctx, func(tx *store.Tx) error {
					if _, err := s.Units(ctx); err != nil {
						return err
					}
					return tx.PutUnits([]domain.Unit{{Code: fmt.Sprintf("U%d", w), Name: "n", Kind: domain.District}})
				})
			}()
		}
		for w := 0; w < 8; w++ {
			must(t, <-errs)
		}
		us, err := s.Units(ctx)
		must(t, err)
		equal(t, "units written", len(us), 8)
	})
}

// RevenuePairs seeks from pair to pair; it must list exactly what a full
// DISTINCT would, inside the asked months only, in order.
func TestRevenuePairsListEveryMonthAndLineInRange(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		load(t, s, "revenue.csv", func(tx *store.Tx) error {
			var rows []domain.Revenue
			var pairs []domain.MonthLine
			for _, m := range []domain.Month{202510, 202512, 202601, 202602, 202604, 202607} {
				for i, line := range []string{"函件", "包裹", "速递", "国际"} {
					if (int(m)+i)%3 == 0 {
						continue // some months lack some lines
					}
					pairs = append(pairs, domain.MonthLine{Month: m, Line: line})
					for c := range 3 {
						rows = append(rows, domain.Revenue{Customer: fmt.Sprintf("C%d", c), Month: m, Line: line, Unit: "U01", Amount: 100})
					}
				}
			}
			must(t, tx.PutRevenue(rows))
			return tx.FinishRevenue(pairs)
		})
		for _, span := range [][2]domain.Month{{202511, 202603}, {202510, 202607}, {202601, 202601}, {202602, 202603}, {202608, 202612}, {202401, 202509}} {
			got, err := s.RevenuePairs(ctx, span[0], span[1])
			must(t, err)
			var want []domain.MonthLine
			var all []struct {
				Month int64  `db:"month"`
				Line  string `db:"business_line"`
			}
			must(t, s.DB().Select(&all, `SELECT DISTINCT month, business_line FROM revenue WHERE month BETWEEN ? AND ?
				ORDER BY month, business_line`, int64(span[0]), int64(span[1])))
			for _, p := range all {
				want = append(want, domain.MonthLine{Month: domain.Month(p.Month), Line: p.Line})
			}
			equal(t, fmt.Sprintf("pairs %d..%d", span[0], span[1]), got, want)
		}
	})
}
