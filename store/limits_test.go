package store_test

import (
	"context"
	"testing"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

// Every column a loader writes is at least as wide as the loader's limit, on
// every store, so a value the loader accepts is never refused (MariaDB's
// "Data too long") or cut.
func TestSchemaHoldsEveryTextLimit(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		for _, l := range domain.TextLimits {
			w, err := s.TextWidth(context.Background(), l.Table, l.Column)
			if err != nil {
				t.Errorf("%s.%s: %v", l.Table, l.Column, err)
				continue
			}
			if w != store.Unlimited && w < l.Max {
				t.Errorf("%s.%s is %d characters wide, the loader accepts %d (%s «%s»)", l.Table, l.Column, w, l.Max, l.Kind, l.Label)
			}
		}
	})
}
