package gen

import "testing"

func TestCreditCheckChar(t *testing.T) {
	cases := []struct {
		code  string
		valid bool
	}{
		{"91350100M000100Y43", true}, // the example GB 32100-2015 is usually quoted with
		// Published codes of large companies (Shenzhen, Hangzhou, Beijing); their
		// organisation-code check digits (GB 11714) hold too, see TestOrgCheckChar.
		{"914403001922038216", true},
		{"9144030071526726XG", true},
		{"91330100799655058B", true},
		{"91110000802100433B", true},
		{"91350100M000100Y44", false},
		{"91350100M000100Y4", false},
		{"91350100M000100YI3", false}, // I is not in the alphabet
		{"91350100M000101Y43", false},
	}
	for _, c := range cases {
		if got := validCreditCode(c.code); got != c.valid {
			t.Errorf("validCreditCode(%s) = %v, want %v", c.code, got, c.valid)
		}
	}
	// A check value of 0 must come out as '0', not as index 31.
	for _, body := range []string{"91441900MA4UJ8XK6", "12441900007160093", "91441900000000000"} {
		c, ok := creditCheckChar(body)
		if !ok || !validCreditCode(body+string(c)) {
			t.Errorf("check char of %s: %q %v", body, c, ok)
		}
	}
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
