package loaders

import "kam/domain"

// Writer receives validated rows inside the one transaction a file loads in.
// The store implements it; a loader calls it only while the file has no bad
// row so far, and the caller rolls the transaction back when Load reports any.
type Writer interface {
	PutUnits([]domain.Unit) error       // upsert by code
	PutManagers([]domain.Manager) error // upsert by staff id
	// PutCustomers upserts by id; of the archive fields only those in each
	// customer's Archive.Present are written over a stored customer.
	PutCustomers([]domain.Customer) error
	PutClaims([]domain.Claim) error // upsert by id
	// PutAgreements replaces each agreement (header and parties) by id.
	PutAgreements([]domain.SplitAgreement) error
	// PutTargets replaces every target of each (staff id, month) present.
	PutTargets([]domain.Target) error
	// PutVisits upserts visits by visit id.
	PutVisits([]domain.Visit) error
	// PutRevenue appends rows; called many times for one file.
	PutRevenue([]domain.Revenue) error
	// FinishRevenue drops the stored revenue this file supersedes: every row of
	// the given (month, business line) pairs that this file did not write.
	FinishRevenue(pairs []domain.MonthLine) error
}

// Refs answers reference checks against what is stored already (earlier files
// of the same scan included, as each loads in its own committed transaction).
type Refs interface {
	Unit(code string) (domain.Unit, bool)
	// CityCenter returns the code of the stored 市局大客户中心, if there is one
	// (a units file is checked so that exactly one exists across store and file).
	CityCenter() (code string, ok bool)
	HasManager(staffID string) bool
	HasCustomer(id string) bool
	// AgreementStarting returns the id of a stored agreement for this customer
	// and line (""=all lines) that starts in month from, if there is one.
	AgreementStarting(customer, line string, from domain.Month) (id string, ok bool)
}
