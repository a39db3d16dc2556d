package gen

import (
	"testing"

	"kam/domain"
)

// validCreditCode is the loader's verdict: generated codes must load.
func validCreditCode(code string) bool {
	_, err := domain.ParseCreditCode(code)
	return err == nil
}

func TestOrgCheckChar(t *testing.T) {
	// Characters 9–17 of a credit code are the organisation code with its own check character.
	for _, code := range []string{"91350100M000100Y43", "914403001922038216", "9144030071526726XG", "91330100799655058B", "91110000802100433B"} {
		if got := orgCheckChar(code[8:16]); got != code[16] {
			t.Errorf("orgCheckChar(%s) = %c, want %c", code[8:16], got, code[16])
		}
	}
}

func TestGeneratedCreditCodesValidAndUnique(t *testing.T) {
	g, err := newGenerator(Options{Out: t.TempDir(), Customers: 50000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var p profile
	var id identity
	for i := 0; i < 50000; i++ {
		g.profile(i, &p)
		g.identity(i, &p, &id)
		if !validCreditCode(id.creditCode) {
			t.Fatalf("customer %d: invalid credit code %s", i, id.creditCode)
		}
		if j, dup := seen[id.creditCode]; dup {
			t.Fatalf("customers %d and %d share credit code %s", j, i, id.creditCode)
		}
		seen[id.creditCode] = i
	}
}
