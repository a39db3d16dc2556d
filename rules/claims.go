package rules

import (
	"sort"

	"kam/domain"
)

// Development periods (第十一条(二)): regular projects 2 months, holiday projects 1.
const (
	RegularPeriodMonths = 2
	HolidayPeriodMonths = 1
)

// PeriodMonths is the claim's development period: its own when set, else its type's.
func PeriodMonths(c domain.Claim) int {
	switch {
	case c.PeriodMonths > 0:
		return c.PeriodMonths
	case c.Type == domain.Holiday:
		return HolidayPeriodMonths
	default:
		return RegularPeriodMonths
	}
}

// Deadline is the last day the claim may be developed on: the confirmed date
// plus its period, clamped to the month's end. False when not yet confirmed.
func Deadline(c domain.Claim) (domain.Date, bool) {
	if c.Confirmed.IsZero() {
		return 0, false
	}
	return c.Confirmed.AddMonthsClamped(PeriodMonths(c)), true
}

// Overdue reports whether the claim is up for public tender on asOf: asOf is
// after its deadline and it has no development date on or before asOf.
func Overdue(c domain.Claim, asOf domain.Date) (daysOverdue int, overdue bool) {
	d, ok := Deadline(c)
	if !ok || asOf <= d || developedBy(c, asOf) {
		return 0, false
	}
	return int(asOf - d), true
}

func developedBy(c domain.Claim, asOf domain.Date) bool {
	return !c.Developed.IsZero() && c.Developed <= asOf
}

// openOn reports whether the claim holds its customer on day d: from its
// registration until it is developed (the development day no longer counts)
// or its deadline has passed (the deadline day still counts). An unconfirmed
// claim has no deadline, so it holds until developed.
func openOn(c domain.Claim, d domain.Date) bool {
	if d < c.Registered || developedBy(c, d) {
		return false
	}
	end, ok := Deadline(c)
	return !ok || d <= end
}

// TenderConfig holds the tender's configurable limits.
type TenderConfig struct {
	DueSoonDays     int // 临期: deadline within this many days
	UnconfirmedDays int // unconfirmed claims older than this many days are listed
	ManagerCap      int // open claims one manager may hold
}

// TenderInput is every stored claim, the as-of date and the ids of claims
// already listed in an earlier announcement.
type TenderInput struct {
	AsOf      domain.Date
	Claims    []domain.Claim
	Announced map[string]bool
	Config    TenderConfig
}

// OverdueClaim is one line of 竞标公告.
type OverdueClaim struct {
	Claim       domain.Claim
	Deadline    domain.Date
	DaysOverdue int
	New         bool // 新增: not in an earlier announcement
}

// DueClaim is a claim whose deadline is near (临期).
type DueClaim struct {
	Claim    domain.Claim
	Deadline domain.Date
	DaysLeft int // 0 on the deadline day
}

// PendingClaim is a claim still waiting for the city centre's confirmation.
type PendingClaim struct {
	Claim       domain.Claim
	DaysWaiting int // days since registration
}

// Conflict is a claim registered while another claim for the same customer
// held it (第五条(二) 一点接入): the holder keeps the customer.
type Conflict struct {
	Claim  domain.Claim
	Holder domain.Claim
}

// CappedClaim is an open claim beyond its manager's cap.
type CappedClaim struct {
	Claim domain.Claim
	Rank  int // its place among the manager's open claims in registration order (> cap)
	Open  int // how many claims the manager holds open
}

// TenderResult is everything the tender announcement lists, each list sorted.
type TenderResult struct {
	Overdue     []OverdueClaim // by deadline, then claim id
	DueSoon     []DueClaim     // by deadline, then claim id
	Unconfirmed []PendingClaim // by registration, then claim id
	Conflicts   []Conflict     // by customer, then registration, then claim id
	OverCap     []CappedClaim  // by manager, then rank
}

// Tender applies the development deadlines on asOf (第十条(一), 第十二条(六)).
// Claims registered after asOf are not yet known and are left out, and so are
// development dates after asOf.
func Tender(in TenderInput) TenderResult {
	asOf := in.AsOf
	claims := make([]domain.Claim, 0, len(in.Claims))
	for _, c := range in.Claims {
		if c.Registered <= asOf {
			if c.Confirmed > asOf {
				c.Confirmed = 0 // confirmed later than asOf: not confirmed yet as of then
			}
			claims = append(claims, c)
		}
	}
	sort.Slice(claims, func(i, j int) bool { return registeredBefore(claims[i], claims[j]) })

	var r TenderResult
	perManager := map[string][]domain.Claim{}
	for _, c := range claims {
		if days, ok := Overdue(c, asOf); ok {
			d, _ := Deadline(c)
			r.Overdue = append(r.Overdue, OverdueClaim{Claim: c, Deadline: d, DaysOverdue: days, New: !in.Announced[c.ID]})
			continue
		}
		if developedBy(c, asOf) {
			continue
		}
		// Not overdue and not developed: the claim is open on asOf.
		perManager[c.Manager] = append(perManager[c.Manager], c)
		if d, ok := Deadline(c); ok {
			if left := int(d - asOf); left <= in.Config.DueSoonDays {
				r.DueSoon = append(r.DueSoon, DueClaim{Claim: c, Deadline: d, DaysLeft: left})
			}
		} else if waiting := int(asOf - c.Registered); waiting > in.Config.UnconfirmedDays {
			r.Unconfirmed = append(r.Unconfirmed, PendingClaim{Claim: c, DaysWaiting: waiting})
		}
	}
	r.Conflicts = conflicts(claims, asOf)

	managers := make([]string, 0, len(perManager))
	for m := range perManager {
		managers = append(managers, m)
	}
	sort.Strings(managers)
	for _, m := range managers {
		open := perManager[m]
		for i := in.Config.ManagerCap; i < len(open); i++ {
			r.OverCap = append(r.OverCap, CappedClaim{Claim: open[i], Rank: i + 1, Open: len(open)})
		}
	}

	byDeadline := func(a, b domain.Date, ida, idb string) bool {
		if a != b {
			return a < b
		}
		return ida < idb
	}
	sort.Slice(r.Overdue, func(i, j int) bool {
		a, b := r.Overdue[i], r.Overdue[j]
		return byDeadline(a.Deadline, b.Deadline, a.Claim.ID, b.Claim.ID)
	})
	sort.Slice(r.DueSoon, func(i, j int) bool {
		a, b := r.DueSoon[i], r.DueSoon[j]
		return byDeadline(a.Deadline, b.Deadline, a.Claim.ID, b.Claim.ID)
	})
	return r
}

// registeredBefore orders claims by registration, the claim id breaking a tie.
func registeredBefore(a, b domain.Claim) bool {
	if a.Registered != b.Registered {
		return a.Registered < b.Registered
	}
	return a.ID < b.ID
}

// conflicts lists each claim still open on asOf that was registered while an
// earlier-registered claim for the same customer was open; the earliest such
// claim is its holder. claims must be in registration order.
func conflicts(claims []domain.Claim, asOf domain.Date) []Conflict {
	byCustomer := map[string][]domain.Claim{}
	var customers []string
	for _, c := range claims {
		if _, seen := byCustomer[c.Customer]; !seen {
			customers = append(customers, c.Customer)
		}
		byCustomer[c.Customer] = append(byCustomer[c.Customer], c)
	}
	sort.Strings(customers)
	var out []Conflict
	for _, cust := range customers {
		list := byCustomer[cust]
		for j := 1; j < len(list); j++ {
			later := list[j]
			if !openOn(later, asOf) {
				continue
			}
			for _, earlier := range list[:j] {
				if openOn(earlier, later.Registered) {
					out = append(out, Conflict{Claim: later, Holder: earlier})
					break
				}
			}
		}
	}
	return out
}
