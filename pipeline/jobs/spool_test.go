package jobs

import (
	"fmt"
	"reflect"
	"testing"

	"kam/domain"
	"kam/reports"
	"kam/rules"
)

// The spool gives each unit back exactly its lines — those credited to it,
// and apart those of revenue it booked that went to another unit (分出) — in
// the order they were added, across many chunks of its file and the
// unflushed tail; units without a statement keep nothing.
func TestLineSpoolGivesEachUnitItsLinesInOrder(t *testing.T) {
	spool, err := newLineSpool(t.TempDir(), []string{"D01", "D02", "P01"})
	if err != nil {
		t.Fatal(err)
	}
	defer spool.close()
	want, wantOut := map[string][]reports.SplitLine{}, map[string][]reports.SplitLine{}
	units := []string{"D01", "D02", "P01", "X99"}
	for i := range 60_000 { // D01 alone passes spoolChunk many times
		l := reports.SplitLine{
			Revenue: domain.Revenue{Customer: fmt.Sprintf("KH%07d", i%7919), Line: domain.DefaultBusinessLines[i%len(domain.DefaultBusinessLines)],
				Unit: units[(i/3)%4], Month: domain.Month(202606), Amount: domain.Money(i*7919%5_000_000 - 5_000)},
			Share: rules.Share{Unit: units[i%4], Ratio: domain.Ratio(i % 10001), Amount: domain.Money(-i)},
		}
		if i%5 == 0 {
			l.Share.Agreement = fmt.Sprintf("XY%05d", i)
		}
		if i%4 == 0 && i%3 != 0 {
			l.Share.Unit = "D01"
		}
		if err := spool.add(&l); err != nil {
			t.Fatal(err)
		}
		if l.Share.Unit != "X99" {
			want[l.Share.Unit] = append(want[l.Share.Unit], l)
		}
		if l.Revenue.Unit != "X99" && l.Revenue.Unit != l.Share.Unit {
			wantOut[l.Revenue.Unit] = append(wantOut[l.Revenue.Unit], l)
		}
	}
	if n := len(spool.chunks[spoolKey{unit: "D01"}]); n < 3 {
		t.Fatalf("D01 has %d chunks in the file; the test means to read across several", n)
	}
	all := func(src reports.SplitSource) []reports.SplitLine {
		var got []reports.SplitLine
		for {
			batch, err := src.Next()
			if err != nil {
				t.Fatal(err)
			}
			if batch == nil {
				return got
			}
			got = append(got, batch...)
		}
	}
	for _, u := range []string{"D01", "D02", "P01", "X99"} {
		lines := spool.statement(u)
		for _, c := range []struct {
			what      string
			got, want []reports.SplitLine
		}{{"credited", all(lines.Credited()), want[u]}, {"credited again", all(lines.Credited()), want[u]}, {"分出", all(lines.Outgoing()), wantOut[u]}} {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s %s: %d lines back, want %d (first difference at %d)", u, c.what, len(c.got), len(c.want), firstDiff(c.got, c.want))
			}
		}
	}
}

func firstDiff(a, b []reports.SplitLine) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
