package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"kam/domain"
)

// The grading aggregate must read the covering index in order: no table
// lookups, no sort of a year's rows. MariaDB's plan is checked on real data in
// BenchmarkGradeJob's notes (EXPLAIN: "Using where; Using index", no temporary).
func TestGradingQueriesUseTheCoveringIndex(t *testing.T) {
	s, err := Open(context.Background(), Options{SQLitePath: filepath.Join(t.TempDir(), "kam.db"), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plan := func(query string, args ...any) string {
		rows, err := s.db.Query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			b.WriteString(detail + "\n")
		}
		return b.String()
	}
	got := plan(gradingRevenueSQL, 202501, 202606)
	if !strings.Contains(got, "COVERING INDEX revenue_month_customer_amount") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("grading aggregate plan:\n%s want an index-only scan without a temporary b-tree", got)
	}
	got = plan(lineRevenueSQL(2, 3), 202605, 202606, "A", "B", "C")
	if !strings.Contains(got, "COVERING INDEX revenue_month_customer_amount (month=? AND customer_id=?)") {
		t.Errorf("review revenue plan:\n%s want index seeks on (month, customer)", got)
	}
	// explain and the card: the customer's rows found in the index, each fetched by its key, no month read whole.
	got = plan(customerRevenueSQL(2), 202605, 202606, "A")
	if !strings.Contains(got, "COVERING INDEX revenue_month_customer_amount (month=? AND customer_id=?)") ||
		!strings.Contains(got, "PRIMARY KEY (month=? AND business_line=? AND file_id=? AND seq=?)") {
		t.Errorf("one customer's revenue plan:\n%s want index seeks on (month, customer), then each row by its key", got)
	}
}

// A grading scan shrinks its SQLite connection's page cache only while it reads.
func TestGradingScanRestoresTheCacheSize(t *testing.T) {
	s, err := Open(context.Background(), Options{SQLitePath: filepath.Join(t.TempDir(), "kam.db"), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.db.SetMaxOpenConns(1) // every query below runs on the one connection the scan used
	var before, after int64
	if err := s.db.Get(&before, "PRAGMA cache_size"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.GradingRevenue(context.Background(), domain.MonthSpan{From: 202601, To: 202603}, domain.MonthSpan{From: 202501, To: 202512}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Get(&after, "PRAGMA cache_size"); err != nil {
		t.Fatal(err)
	}
	if before == -4096 || after != before {
		t.Errorf("cache_size %d before, %d after a grading scan; want the configured size back", before, after)
	}
}
