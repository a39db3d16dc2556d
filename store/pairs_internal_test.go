package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
)

// 18,000 targets from kam gen once hit SQLite's expression depth limit of 1000.
func TestDeletePairsManyPairs(t *testing.T) {
	s, err := Open(context.Background(), Options{SQLitePath: filepath.Join(t.TempDir(), "kam.db"), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pairs := make([][2]any, 3000)
	for i := range pairs {
		pairs[i] = [2]any{"M" + itoa(i), int64(202601)}
	}
	err = s.InTx(context.Background(), func(tx *Tx) error {
		return tx.deletePairs("targets", "staff_id", "month", "", nil, pairs)
	})
	if err != nil {
		t.Fatalf("delete of %d pairs: %v", len(pairs), err)
	}
}
