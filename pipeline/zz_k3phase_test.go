package pipeline

import (
	"context"
	"io"
	"testing"
	"time"

	"kam/domain"
	"kam/reports"
	"kam/rules"
)

func BenchmarkZZK3Phases(b *testing.B) {
	s := benchStore(b)
	a := benchApp(b, s)
	ctx := context.Background()
	q := domain.Quarter{Year: 2025, Q: 4}
	t0 := time.Now()
	lap := func(what string) { b.Logf("%-12s %v", what, time.Since(t0)); t0 = time.Now() }
	cum, prev, err := s.GradingRevenue(ctx, q)
	if err != nil {
		b.Fatal(err)
	}
	lap("aggregate")
	cs, _ := s.Customers(ctx)
	lap("customers")
	us, _ := s.Units(ctx)
	scheme, _ := a.Cfg.GradeScheme()
	gs, ws := rules.Grade(rules.GradeInput{Quarter: q, Customers: cs, Cumulative: cum, PrevCumulative: prev, Units: us, Scheme: scheme})
	lap("grade")
	book, _ := reports.Grades(gs, ws, directoryOf(nil, us, nil))
	lap("sheets")
	book.WriteStreaming(io.Discard)
	lap("zip")
	s.ReplaceGrades(ctx, q, gs)
	lap("store")
	b.ReportMetric(peakRSS(), "peak-RSS-MB")
}
