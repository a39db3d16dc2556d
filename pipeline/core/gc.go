package core

import (
	"runtime/debug"
	"slices"
	"sync"
)

// gcAsks are the collector settings phases of work have asked for: a
// workbook load asks to collect less often (faster), the units' books ask to
// collect more often (less memory). Under kam serve a scan and a job can run
// at once, so the setting is decided here, not by each phase restoring what
// it found: the smallest percent asked for wins, and the default returns when
// no phase asks.
var gcAsks struct {
	sync.Mutex
	percents []int
	base     int
}

// TuneGC asks for a GC percent until the returned release is called.
func TuneGC(percent int) (release func()) {
	gcAsks.Lock()
	defer gcAsks.Unlock()
	if len(gcAsks.percents) == 0 {
		gcAsks.base = debug.SetGCPercent(percent)
	}
	gcAsks.percents = append(gcAsks.percents, percent)
	debug.SetGCPercent(slices.Min(gcAsks.percents))
	var once sync.Once
	return func() {
		once.Do(func() {
			gcAsks.Lock()
			defer gcAsks.Unlock()
			i := slices.Index(gcAsks.percents, percent)
			gcAsks.percents = slices.Delete(gcAsks.percents, i, i+1)
			if len(gcAsks.percents) == 0 {
				debug.SetGCPercent(gcAsks.base)
				return
			}
			debug.SetGCPercent(slices.Min(gcAsks.percents))
		})
	}
}
