package jobs

import (
	"fmt"
	"reflect"
	"testing"

	"kam/domain"
	"kam/reports"
	"kam/rules"
)

// The spool gives each unit back exactly its lines, in the order they were
// added, across many chunks of its file and the unflushed tail; units without
// a statement keep nothing.
func TestLineSpoolGivesEachUnitItsLinesInOrder(t *testing.T) {
	spool, err := newLineSpool(t.TempDir(), []string{"D01", "D02", "P01"})
	if err != nil {
		t.Fatal(err)
	}
	defer spool.close()
	want := map[string][]reports.SplitLine{}
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
	}
	if len(spool.chunks["D01"]) < 3 {
		t.Fatalf("D01 has %d chunks in the file; the test means to read across several", len(spool.chunks["D01"]))
	}
	for _, u := range []string{"D01", "D02", "P01", "X99"} {
		src := spool.source(u)
		var got []reports.SplitLine
		for {
			batch, err := src.Next()
			if err != nil {
				t.Fatal(err)
			}
			if batch == nil {
				break
			}
			got = append(got, batch...)
		}
		if !reflect.DeepEqual(got, want[u]) {
			t.Errorf("%s: %d lines back, want %d (first difference at %d)", u, len(got), len(want[u]), firstDiff(got, want[u]))
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
