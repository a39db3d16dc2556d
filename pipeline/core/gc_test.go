package core

import (
	"runtime/debug"
	"testing"
)

// Overlapping asks: the smallest wins while it lasts, and the setting found at
// the start comes back when the last ask ends, in whatever order they end.
func TestTuneGC(t *testing.T) {
	base := debug.SetGCPercent(100)
	defer debug.SetGCPercent(base)
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }

	load := TuneGC(200)
	if got := current(); got != 200 {
		t.Fatalf("a load alone: %d, want 200", got)
	}
	books := TuneGC(50)
	if got := current(); got != 50 {
		t.Fatalf("a load and the units' books: %d, want 50", got)
	}
	load() // the load ends first: the books still ask for 50
	if got := current(); got != 50 {
		t.Fatalf("after the load: %d, want 50", got)
	}
	books()
	books() // a second release changes nothing
	if got := current(); got != 100 {
		t.Fatalf("after both: %d, want the 100 found at the start", got)
	}
}
