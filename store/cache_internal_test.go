package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
)

// A write transaction has the large page cache; the pooled connection goes
// back with the small one reads use, so a job's reads never hold 4 × 64 MB.
func TestWriteTransactionGivesBackTheSmallCache(t *testing.T) {
	s, err := Open(context.Background(), Options{SQLitePath: filepath.Join(t.TempDir(), "kam.db"), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.db.SetMaxOpenConns(1) // every statement below meets the connection the transaction used
	cache := func(q interface {
		GetContext(context.Context, any, string, ...any) error
	}) (n int) {
		if err := q.GetContext(context.Background(), &n, "PRAGMA cache_size"); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := cache(s.db); got != readCache {
		t.Errorf("a pooled connection's cache_size = %d, want %d", got, readCache)
	}
	err = s.InTx(context.Background(), func(tx *Tx) error {
		if got := cache(tx.tx); got != writeCache {
			t.Errorf("in a write transaction cache_size = %d, want %d", got, writeCache)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := cache(s.db); got != readCache {
		t.Errorf("after a write transaction cache_size = %d, want %d", got, readCache)
	}
}
