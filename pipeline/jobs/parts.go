package jobs

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"kam/domain"
	"kam/pipeline/core"
	"kam/reports"
)

// unitParts are the units that get their own workbook of a report (SPEC §5):
// every unit with a mailbox (units' 邮箱 or recipients.units) whose kind can
// hold a part of it — kinds empty: any kind — in code order.
func unitParts(a *core.App, units []domain.Unit, kinds ...domain.UnitKind) []*UnitPart {
	boxes := core.UnitMailboxes(units, a.Cfg.Recipients.Units)
	var parts []*UnitPart
	for _, u := range units {
		if len(boxes[u.Code]) == 0 || (len(kinds) > 0 && !slices.Contains(kinds, u.Kind)) {
			continue
		}
		parts = append(parts, &UnitPart{Unit: u, Mailboxes: boxes[u.Code]})
	}
	slices.SortFunc(parts, func(x, y *UnitPart) int { return strings.Compare(x.Unit.Code, y.Unit.Code) })
	return parts
}

// Count records a figure of the unit's part (its mail subject reads them).
func (p *UnitPart) Count(key string, n int64) {
	if p.Counts == nil {
		p.Counts = map[string]int64{}
	}
	p.Counts[key] = n
}

// label is the unit as people are shown it: 东莞市邮政局万江分局（ZQ14）.
func (p *UnitPart) label() string { return p.Unit.Named() }

// unitMeta is reportMeta for a unit's own workbook: its code, name and what part it holds.
func unitMeta(a *core.App, m reports.Meta, p *UnitPart, scope string) reports.Meta {
	m.Unit, m.UnitName, m.Scope = p.Unit.Code, p.Unit.Name, scope
	return m
}

// writeParts renders each unit's workbook and adds it to the run. The books
// are independent: two are written at a time, one per core, and added in the
// parts' order.
func writeParts(out *Output, parts []*UnitPart, base string, render func(p *UnitPart) (*reports.Book, error)) error {
	for _, p := range parts {
		// Refused before any book is rendered: a stored code that names a path must not cost a run's work first.
		folder, err := unitFolder(out.unitsDir, p.Unit.Code)
		if err == nil {
			_, err = core.FileIn(folder, unitFileName(base, p.Unit.Code))
		}
		if err != nil {
			return unitRefused(p.Unit.Code, err)
		}
	}
	paths := make([]string, len(parts))
	errs := make([]error, len(parts))
	var failed atomic.Bool
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(2, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := parts[i]
				book, err := render(p)
				if err == nil {
					paths[i], err = out.writeTemp(unitFileName(base, p.Unit.Code), func(w io.Writer) error { _, err := book.WriteTo(w); return err })
					if err != nil {
						book.Close() // its temporary files, if WriteTo never ran
					}
				}
				if err != nil {
					errs[i] = fmt.Errorf("%s 的报表: %w", p.label(), err)
					failed.Store(true)
				}
			}
		}()
	}
	for i := range parts {
		if failed.Load() {
			break // a failed book fails the run: write no more
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, p := range parts {
		out.mu.Lock()
		if !slices.Contains(out.Parts, p) {
			out.Parts = append(out.Parts, p)
		}
		out.mu.Unlock()
		if err := out.register(artifact{name: unitFileName(base, p.Unit.Code), path: paths[i], unit: p.Unit.Code}); err != nil {
			return err
		}
	}
	return nil
}

// beside writes the units' books (parts) while the job writes its city-wide
// file (city): the city's book is compressed on one core, the units' take the other.
func beside(city, parts func() error) error {
	done := make(chan error, 1)
	go func() { done <- parts() }()
	err := city()
	return errors.Join(err, <-done)
}

// unitNamed and managerNamed show a code the way people know it (SPEC §5.1):
// 东莞市邮政局万江分局（ZQ14）, 杨秀振（DG10001）.
func unitNamed(names reports.Directory, code string) string {
	return domain.Named(names.Units[code], code)
}

func managerNamed(names reports.Directory, staff string) string {
	return domain.Named(names.Managers[staff], staff)
}
