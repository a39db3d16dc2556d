package store

import (
	"testing"

	"kam/domain"
)

// Every kind a report can read has the rows its digest reads: a kind without
// them would digest as empty, and a later file of it would never mark a report 待更正.
func TestEveryKindHasItsDigestRows(t *testing.T) {
	for _, k := range domain.LoadOrder {
		if k != domain.KindRevenue && len(digestQueries[k]) == 0 {
			t.Errorf("kind %s: no digest query", k)
		}
	}
}
