package domain

import "testing"

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"1234.5", "¥1,234.50", "(1,234.50)", "-12", "12.345", "￥-0.01", "１，２３４．５０", "9999999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoney(s)
		if err != nil {
			return
		}
		if m > MaxAmount || m < -MaxAmount {
			t.Fatalf("ParseMoney(%q) = %d, beyond 15 significant digits", s, m)
		}
		for _, form := range []string{m.Plain(), m.Yuan()} {
			if back, err := ParseMoney(form); err != nil || back != m {
				t.Fatalf("ParseMoney(%q) = %d, but its form %q reads back as %d, %v", s, m, form, back, err)
			}
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"46086.75", "2026年3月5日", "2026/3/5 10:00", "2026-03-05T00:00:00Z", "20260230"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if y := d.Time().Year(); y < minYear || y > maxYear {
			t.Fatalf("ParseDate(%q) = %v, outside %d–%d", s, d, minYear, maxYear)
		}
		if back, err := ParseDate(d.String()); err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %v, which reads back as %v, %v", s, d, back, err)
		}
	})
}

func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-03", "2026年3月", "202603", "46086", "2026/3/5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonth(s)
		if err != nil {
			return
		}
		if !m.Valid() || m.Year() < minYear || m.Year() > maxYear {
			t.Fatalf("ParseMonth(%q) = %d, not a valid month", s, m)
		}
		if back, err := ParseMonth(m.String()); err != nil || back != m {
			t.Fatalf("ParseMonth(%q) = %v, which reads back as %v, %v", s, m, back, err)
		}
	})
}

// A code reads as letters, digits, '-' and '_' only, and reads back as itself.
func FuzzParseCustomerID(f *testing.F) {
	for _, s := range []string{"KH0000001", "ｋｈ０１\u200b", "КН0000001", "zq14", "..", "㏒"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseCustomerID(s)
		if err != nil {
			return
		}
		for _, r := range id {
			if !codeRune(r) || ('a' <= r && r <= 'z') {
				t.Fatalf("ParseCustomerID(%q) = %q, holding %q", s, id, r)
			}
		}
		if len(id) == 0 || len(id) > MaxCodeLen {
			t.Fatalf("ParseCustomerID(%q) = %q: length %d", s, id, len(id))
		}
		if back, err := ParseCustomerID(id); err != nil || back != id {
			t.Fatalf("ParseCustomerID(%q) = %q, which reads back as %q, %v", s, id, back, err)
		}
	})
}
