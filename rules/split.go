package rules

import (
	"fmt"
	"math/bits"
	"sort"

	"kam/domain"
)

// CheckAgreement reports an agreement Allocate cannot split by: no party, a
// negative ratio, or ratios not summing to 100.00%. The message is fit to show.
func CheckAgreement(a domain.SplitAgreement) error {
	if len(a.Parties) == 0 {
		return fmt.Errorf("分成协议 %s 没有分成单位", a.ID)
	}
	var sum int64
	for _, p := range a.Parties {
		if p.Ratio < 0 {
			return fmt.Errorf("分成协议 %s 中单位 %s 的分成比例 %s%% 为负数", a.ID, p.Unit, p.Ratio)
		}
		sum += int64(p.Ratio)
	}
	if sum != int64(domain.FullRatio) {
		return fmt.Errorf("分成协议 %s 的分成比例合计 %s%%，应为 100.00%%", a.ID, domain.Ratio(sum))
	}
	return nil
}

// outranks reports whether a beats b when both cover a revenue row: a
// line-specific agreement beats an all-lines one, then the later first month
// wins, then — two of a kind starting together is bad data — the larger id.
func outranks(a, b *domain.SplitAgreement) bool {
	if (a.Line != "") != (b.Line != "") {
		return a.Line != ""
	}
	if a.From != b.From {
		return a.From > b.From
	}
	return a.ID > b.ID
}

// AgreementIndex finds agreements by customer, each customer's best first.
type AgreementIndex struct {
	byCustomer map[string][]*domain.SplitAgreement
}

// NewAgreementIndex indexes checked agreements; it fails on the first one CheckAgreement rejects.
func NewAgreementIndex(agreements []domain.SplitAgreement) (*AgreementIndex, error) {
	ix := &AgreementIndex{byCustomer: map[string][]*domain.SplitAgreement{}}
	for i := range agreements {
		a := &agreements[i]
		if err := CheckAgreement(*a); err != nil {
			return nil, err
		}
		ix.byCustomer[a.Customer] = append(ix.byCustomer[a.Customer], a)
	}
	for _, list := range ix.byCustomer {
		sort.Slice(list, func(i, j int) bool { return outranks(list[i], list[j]) })
	}
	return ix, nil
}

// Choose is the one agreement that splits the customer's revenue for month m
// and line (第十条), or nil when none covers it, in time proportional
// to the customer's own agreements.
func (ix *AgreementIndex) Choose(customer string, m domain.Month, line string) *domain.SplitAgreement {
	for _, a := range ix.byCustomer[customer] {
		if a.Covers(m, line) {
			return a
		}
	}
	return nil
}

// Share is one unit's part of a revenue row (a line of 分成明细).
type Share struct {
	Unit      string
	Ratio     domain.Ratio
	Amount    domain.Money
	Agreement string // "" when no agreement covers the row
}

// Split divides a revenue row by its agreement; with none, 100% goes to the
// unit that booked it. The shares always sum to the row's amount.
func (ix *AgreementIndex) Split(r domain.Revenue) []Share {
	a := ix.Choose(r.Customer, r.Month, r.Line)
	if a == nil {
		return []Share{{Unit: r.Unit, Ratio: domain.FullRatio, Amount: r.Amount}}
	}
	parts := Allocate(r.Amount, a.Parties)
	shares := make([]Share, len(parts))
	for i, p := range a.Parties {
		shares[i] = Share{Unit: p.Unit, Ratio: p.Ratio, Amount: parts[i], Agreement: a.ID}
	}
	return shares
}

// Allocate splits an amount among parties exactly in fen (第十条): each gets
// ⌊|amount| × ratio / 10000⌋, the fen left over go one by one to the largest
// remainders (ties: the party listed first), and the amount's sign is kept.
// The parts sum to amount. Parties must pass CheckAgreement; Allocate panics otherwise.
func Allocate(amount domain.Money, parties []domain.SplitParty) []domain.Money {
	mag := uint64(amount)
	if amount < 0 {
		mag = -mag // two's complement: right for MinInt64 too
	}
	var ratioSum int64
	for _, p := range parties {
		if p.Ratio < 0 {
			panic(fmt.Sprintf("rules.Allocate: negative ratio %d", p.Ratio))
		}
		ratioSum += int64(p.Ratio)
	}
	if ratioSum != int64(domain.FullRatio) {
		panic(fmt.Sprintf("rules.Allocate: ratios sum to %d basis points, not 10000", ratioSum))
	}
	parts := make([]domain.Money, len(parties))
	var remBuf [8]uint64
	rem := remBuf[:0]
	var given uint64
	for i, p := range parties {
		// mag × ratio ≤ mag × 10000, so the high word is below the divisor.
		hi, lo := bits.Mul64(mag, uint64(p.Ratio))
		q, r := bits.Div64(hi, lo, uint64(domain.FullRatio))
		parts[i] = domain.Money(q)
		given += q
		rem = append(rem, r)
	}
	// Fewer fen are left than parties, so each gets at most one.
	for left := mag - given; left > 0; left-- {
		best := -1
		for i, r := range rem {
			if r != noRemainder && (best < 0 || r > rem[best]) {
				best = i
			}
		}
		parts[best]++
		rem[best] = noRemainder
	}
	if amount < 0 {
		for i := range parts {
			parts[i] = -parts[i]
		}
	}
	return parts
}

// noRemainder marks a party that has had its leftover fen.
const noRemainder = ^uint64(0)
