package store

import (
	"fmt"
	"testing"

	"kam/domain"
)

// TestRevenueBoxesHoldTheirValues: whatever is cached, each box holds the value asked for —
// texts past the cache's bound, customers and months coming back after another.
func TestRevenueBoxesHoldTheirValues(t *testing.T) {
	var b revenueBoxes
	for round := range 2 {
		for i := range maxBoxedTexts + 100 {
			s := fmt.Sprintf("U%05d", i)
			if v := b.text(s); v != any(s) {
				t.Fatalf("round %d: text %q boxed as %v", round, s, v)
			}
		}
	}
	if len(b.texts) != maxBoxedTexts {
		t.Fatalf("%d texts kept, want the bound %d", len(b.texts), maxBoxedTexts)
	}
	for _, c := range []string{"KH1", "KH1", "KH2", "KH1", "", "KH2"} {
		if v := b.customer(c); v != any(c) {
			t.Fatalf("customer %q boxed as %v", c, v)
		}
	}
	for _, m := range []domain.Month{202610, 202610, 202609, 0, 202610} {
		if v := b.month(m); v != any(int64(m)) {
			t.Fatalf("month %d boxed as %v", m, v)
		}
	}
}
