package pipeline

import (
	"context"
	"os"
	"testing"

	"github.com/rs/zerolog"

	"kam/store"
)

func TestZZSeedTmp(t *testing.T) {
	dsn, path := os.Getenv("XSEED_DSN"), os.Getenv("XSEED_SQLITE")
	if dsn == "" && path == "" {
		t.Skip()
	}
	s, err := store.Open(context.Background(), store.Options{DSN: dsn, SQLitePath: path, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seedSplitMonth(t, s, 202606, 1_600_000)
}
