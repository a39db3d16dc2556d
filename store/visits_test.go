package store_test

import (
	"testing"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

// A customers file without an archive column leaves the stored value as it is
// (SPEC §3); one with the column writes it, empty included. Visits upsert by id.
func TestArchiveFieldsAndVisits(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		base := domain.Customer{ID: "C1", Name: "甲公司", Category: domain.Comprehensive, Status: domain.Cooperating, ManagerA: "M1"}
		full := base
		full.Archive = domain.Archive{Address: "东城路1号", Postcode: "523000", ContactName: "王经理", ContactPhone: "0769-22221234",
			ContactEmail: "wang@example.cn", Present: domain.AllArchiveFields}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.PutCustomers([]domain.Customer{full}) }))

		renamed := base
		renamed.Name = "甲有限公司" // a file without the archive columns
		phoneOnly := domain.Customer{ID: "C2", Name: "乙公司", Category: domain.Comprehensive, Status: domain.Potential, ManagerA: "M1"}
		phoneOnly.Archive = domain.Archive{ContactPhone: "13800000000", Present: domain.ArchiveFields(0).With(domain.ArchiveContactPhone)}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.PutCustomers([]domain.Customer{renamed, phoneOnly}) }))
		cs, err := s.Customers(ctx)
		must(t, err)
		equal(t, "name", cs[0].Name, "甲有限公司")
		want := full.Archive
		want.Present = 0
		equal(t, "archive kept", cs[0].Archive, want)
		equal(t, "new customer's phone", cs[1].ContactPhone, "13800000000")

		cleared := base
		cleared.Archive = domain.Archive{Address: "南城路2号", Present: domain.ArchiveFields(0).With(domain.ArchiveAddress).With(domain.ArchiveContactName)}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.PutCustomers([]domain.Customer{cleared}) }))
		cs, err = s.Customers(ctx)
		must(t, err)
		want.Address, want.ContactName = "南城路2号", ""
		equal(t, "archive columns present overwrite, others kept", cs[0].Archive, want)

		v1 := domain.Visit{ID: "V1", Customer: "C1", On: domain.DateOf(2026, 6, 1), Kind: domain.VisitOnSite, StaffID: "M1",
			Contact: "王经理", Notes: "需求", Next: domain.DateOf(2026, 7, 1)}
		v2 := domain.Visit{ID: "V2", Customer: "C1", On: domain.DateOf(2026, 6, 20), Kind: domain.VisitPhone, StaffID: "M1"}
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.PutVisits([]domain.Visit{v1, v2}) }))
		v1.Kind, v1.Notes = domain.VisitMeeting, "改为会议"
		must(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.PutVisits([]domain.Visit{v1}) }))
		vs, err := s.Visits(ctx, "", domain.DateOf(2026, 6, 30))
		must(t, err)
		equal(t, "visits", vs, []domain.Visit{v1, v2})
		brief, err := s.VisitDates(ctx, domain.DateOf(2026, 6, 30))
		must(t, err)
		b1 := v1
		b1.Contact, b1.Notes = "", ""
		equal(t, "visit dates", brief, []domain.Visit{b1, v2})
		vs, err = s.Visits(ctx, "C1", domain.DateOf(2026, 6, 19))
		must(t, err)
		equal(t, "visits through a day", vs, []domain.Visit{v1})
		vs, err = s.Visits(ctx, "C2", domain.DateOf(2026, 6, 30))
		must(t, err)
		equal(t, "another customer's", len(vs), 0)
	})
}
