package rules

import (
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"kam/domain"
)

func parties(ratios ...domain.Ratio) []domain.SplitParty {
	ps := make([]domain.SplitParty, len(ratios))
	for i, r := range ratios {
		ps[i] = domain.SplitParty{Unit: string(rune('A' + i)), Ratio: r}
	}
	return ps
}

func TestAllocate(t *testing.T) {
	cases := []struct {
		name   string
		amount domain.Money
		ratios []domain.Ratio
		want   []domain.Money
	}{
		{"thirds of 1 yuan", 100, []domain.Ratio{3333, 3333, 3334}, []domain.Money{33, 33, 34}},
		{"thirds of -1 yuan", -100, []domain.Ratio{3333, 3333, 3334}, []domain.Money{-33, -33, -34}},
		{"thirds of 10 fen", 10, []domain.Ratio{3333, 3333, 3334}, []domain.Money{3, 3, 4}},
		{"2 fen: largest remainder, then the first of a tie", 2, []domain.Ratio{3334, 3333, 3333}, []domain.Money{1, 1, 0}},
		{"1 fen halves go to the first", 1, []domain.Ratio{5000, 5000}, []domain.Money{1, 0}},
		{"-1 fen keeps its sign", -1, []domain.Ratio{5000, 5000}, []domain.Money{-1, 0}},
		{"1 fen in quarters", 1, []domain.Ratio{2500, 2500, 2500, 2500}, []domain.Money{1, 0, 0, 0}},
		{"3 fen in quarters", 3, []domain.Ratio{2500, 2500, 2500, 2500}, []domain.Money{1, 1, 1, 0}},
		{"larger remainder listed later wins", 1, []domain.Ratio{4000, 6000}, []domain.Money{0, 1}},
		{"zero", 0, []domain.Ratio{7000, 3000}, []domain.Money{0, 0}},
		{"one party", -12345, []domain.Ratio{10000}, []domain.Money{-12345}},
		{"a 0% party gets nothing", 101, []domain.Ratio{0, 5000, 5000}, []domain.Money{0, 51, 50}},
		{"70/30 exact", 123456, []domain.Ratio{7000, 3000}, []domain.Money{86419, 37037}},
		{"smallest Money", math.MinInt64, []domain.Ratio{10000}, []domain.Money{math.MinInt64}},
		{"largest Money halved", math.MaxInt64, []domain.Ratio{5000, 5000}, []domain.Money{4611686018427387904, 4611686018427387903}},
		{"smallest Money in thirds", math.MinInt64, []domain.Ratio{3333, 3333, 3334},
			[]domain.Money{-3074149899883696777, -3074149899883696777, -3075072237087382254}},
	}
	for _, c := range cases {
		got := Allocate(c.amount, parties(c.ratios...))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Allocate(%d, %v) = %v; want %v", c.name, c.amount, c.ratios, got, c.want)
		}
	}
}

func TestAllocatePanicsOnBadParties(t *testing.T) {
	for _, ratios := range [][]domain.Ratio{{5000, 4999}, {10001}, {-1, 10001}, {}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Allocate with ratios %v did not panic", ratios)
				}
			}()
			Allocate(100, parties(ratios...))
		}()
	}
}

// TestAllocateProperties checks 100,000 random splits against exact rational shares.
func TestAllocateProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 6))
	for n := 0; n < 100_000; n++ {
		var amount domain.Money
		switch n % 4 {
		case 0:
			amount = domain.Money(rng.Int64N(2001) - 1000)
		case 1:
			amount = domain.Money(rng.Int64N(2e15) - 1e15)
		case 2:
			amount = domain.Money(rng.Uint64())
		default:
			amount = domain.Money(rng.Int64N(20_000_000) - 10_000_000)
		}
		k := 1 + rng.IntN(6)
		cuts := []int{0, 10000}
		for range k - 1 {
			cuts = append(cuts, rng.IntN(10001))
		}
		sortInts(cuts)
		ps := make([]domain.SplitParty, k)
		for i := range k {
			ps[i] = domain.SplitParty{Unit: "U", Ratio: domain.Ratio(cuts[i+1] - cuts[i])}
		}
		parts := Allocate(amount, ps)
		if again := Allocate(amount, ps); !reflect.DeepEqual(parts, again) {
			t.Fatalf("not deterministic: %d %v: %v then %v", amount, ps, parts, again)
		}
		var sum domain.Money
		for _, p := range parts {
			sum += p
		}
		if sum != amount {
			t.Fatalf("Allocate(%d, %v) = %v sums to %d", amount, ps, parts, sum)
		}
		// Each part is the exact share rounded down or up (away from zero) by at most one fen,
		// and a fen went up only where the remainder was no smaller than where it did not.
		mag := new(big.Int).Abs(big.NewInt(int64(amount)))
		var rems []int64
		var ups []bool
		for i, p := range ps {
			exact := new(big.Int).Mul(mag, big.NewInt(int64(p.Ratio)))
			floor, rem := new(big.Int).QuoRem(exact, big.NewInt(10000), new(big.Int))
			part := new(big.Int).Abs(big.NewInt(int64(parts[i])))
			if amount == math.MinInt64 && parts[i] == math.MinInt64 {
				part.Neg(big.NewInt(math.MinInt64))
			}
			diff := new(big.Int).Sub(part, floor)
			if !diff.IsInt64() || diff.Int64() < 0 || diff.Int64() > 1 || (diff.Int64() == 1 && rem.Sign() == 0) {
				t.Fatalf("Allocate(%d, %v) = %v: part %d is not its share %s.%04d rounded by one fen", amount, ps, parts, i, floor, rem)
			}
			if amount != 0 && parts[i] != 0 && (parts[i] < 0) != (amount < 0) {
				t.Fatalf("Allocate(%d, %v) = %v: part %d has the wrong sign", amount, ps, parts, i)
			}
			rems = append(rems, rem.Int64())
			ups = append(ups, diff.Int64() == 1)
		}
		for i := range ps {
			for j := range ps {
				if ups[i] && !ups[j] && (rems[i] < rems[j] || (rems[i] == rems[j] && i > j)) {
					t.Fatalf("Allocate(%d, %v) = %v: party %d got a fen before party %d", amount, ps, parts, i, j)
				}
			}
		}
	}
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func month(s string) domain.Month {
	m, err := domain.ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

func agreement(id, customer, from, to, line string) domain.SplitAgreement {
	a := domain.SplitAgreement{ID: id, Customer: customer, From: month(from), Line: line, Parties: parties(6000, 4000)}
	if to != "" {
		a.To = month(to)
	}
	return a
}

func TestChooseAgreement(t *testing.T) {
	agreements := []domain.SplitAgreement{
		agreement("a1", "X", "2025-01", "", ""),          // all lines, open-ended
		agreement("a2", "X", "2026-03", "2026-06", ""),   // supersedes a1 for four months
		agreement("a3", "X", "2026-05", "2026-05", "包裹"), // line-specific, one month
		agreement("a4", "X", "2024-01", "", "速递"),        // line-specific, older than a1
		agreement("a5", "Y", "2026-01", "", "包裹"),        // another customer
		agreement("a6", "X", "2025-01", "2025-12", "函件"), // expired
		agreement("a7", "X", "2026-01", "", "物流"),        // two line-specific ones
		agreement("a8", "X", "2026-04", "", "物流"),        // starting in different months
		agreement("b1", "Z", "2026-01", "", ""),          // same kind, same start (bad data):
		agreement("b2", "Z", "2026-01", "", ""),          // the larger id wins
		agreement("c1", "W", "2026-01", "2026-03", "集邮"),
	}
	cases := []struct {
		customer, month, line, want string
	}{
		{"X", "2024-12", "包裹", ""},
		{"X", "2024-12", "速递", "a4"},
		{"X", "2025-06", "包裹", "a1"},
		{"X", "2026-02", "包裹", "a1"},
		{"X", "2026-03", "包裹", "a2"},
		{"X", "2026-05", "包裹", "a3"},
		{"X", "2026-06", "包裹", "a2"},
		{"X", "2026-07", "包裹", "a1"},
		{"X", "2026-05", "速递", "a4"},
		{"X", "2025-12", "函件", "a6"},
		{"X", "2026-01", "函件", "a1"},
		{"X", "2026-03", "物流", "a7"},
		{"X", "2026-04", "物流", "a8"},
		{"X", "2030-01", "物流", "a8"},
		{"Y", "2026-05", "包裹", "a5"},
		{"Y", "2026-05", "速递", ""},
		{"Z", "2026-05", "速递", "b2"},
		{"W", "2026-04", "集邮", ""},
		{"V", "2026-05", "包裹", ""},
	}
	ix, err := NewAgreementIndex(agreements)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		id := func(a *domain.SplitAgreement) string {
			if a == nil {
				return ""
			}
			return a.ID
		}
		if got := id(ix.Choose(c.customer, month(c.month), c.line)); got != c.want {
			t.Errorf("index Choose(%s, %s, %s) = %q; want %q", c.customer, c.month, c.line, got, c.want)
		}
	}
}

func TestSplit(t *testing.T) {
	ix, err := NewAgreementIndex([]domain.SplitAgreement{{
		ID: "XY1", Customer: "X", From: month("2026-01"),
		Parties: []domain.SplitParty{{Unit: "D1", Ratio: 3333}, {Unit: "PB", Ratio: 6667}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := ix.Split(domain.Revenue{Customer: "X", Month: month("2026-02"), Line: "包裹", Unit: "T1", Amount: -100})
	want := []Share{{Unit: "D1", Ratio: 3333, Amount: -33, Agreement: "XY1"}, {Unit: "PB", Ratio: 6667, Amount: -67, Agreement: "XY1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Split with agreement = %+v; want %+v", got, want)
	}
	got = ix.Split(domain.Revenue{Customer: "X", Month: month("2025-12"), Line: "包裹", Unit: "T1", Amount: 999})
	want = []Share{{Unit: "T1", Ratio: 10000, Amount: 999}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Split without agreement = %+v; want %+v", got, want)
	}
}

func TestNewAgreementIndexRejectsBadAgreements(t *testing.T) {
	cases := []struct {
		parties []domain.SplitParty
		frag    string
	}{
		{nil, "没有分成单位"},
		{parties(5000, 4900), "合计 99.00%"},
		{parties(-100, 10100), "负数"},
	}
	for _, c := range cases {
		_, err := NewAgreementIndex([]domain.SplitAgreement{{ID: "Q1", Customer: "X", From: month("2026-01"), Parties: c.parties}})
		if err == nil || !strings.Contains(err.Error(), c.frag) || !strings.Contains(err.Error(), "Q1") {
			t.Errorf("parties %v: error %v; want one naming Q1 and %q", c.parties, err, c.frag)
		}
	}
}

func BenchmarkAllocate(b *testing.B) {
	ps := parties(3333, 3333, 3334)
	amount := domain.Money(123_456_789)
	for b.Loop() {
		Allocate(amount, ps)
		amount++
	}
}
