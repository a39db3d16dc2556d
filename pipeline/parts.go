package pipeline

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"kam/domain"
	"kam/reports"
)

// unitParts are the units that get their own workbook of a report (SPEC §5):
// every unit with a mailbox (units' 邮箱 or recipients.units) whose kind can
// hold a part of it — kinds empty: any kind — in code order.
func (a *App) unitParts(units []domain.Unit, kinds ...domain.UnitKind) []*UnitPart {
	boxes := UnitMailboxes(units, a.Cfg.Recipients.Units)
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

// label is "D01 东城镇区局".
func (p *UnitPart) label() string { return strings.TrimSpace(p.Unit.Code + " " + p.Unit.Name) }

// unitFileName names a unit's workbook after the city's: grades_2026Q2 → grades_2026Q2_D01.xlsx.
// Characters no file system takes in a name become _.
func unitFileName(base, code string) string {
	safe := strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, code)
	return base + "_" + safe + ".xlsx"
}

// unitMeta is reportMeta for a unit's own workbook: its code, name and what part it holds.
func (a *App) unitMeta(m reports.Meta, p *UnitPart, scope string) reports.Meta {
	m.Unit, m.UnitName, m.Scope = p.Unit.Code, p.Unit.Name, scope
	return m
}

// writeParts renders each unit's workbook in turn (one open at a time keeps
// memory flat) and adds it to the run.
func writeParts(out *Output, parts []*UnitPart, base string, render func(p *UnitPart) (*reports.Book, error)) error {
	for _, p := range parts {
		book, err := render(p)
		if err != nil {
			return fmt.Errorf("%s 的报表: %w", p.label(), err)
		}
		if err := out.AddUnitFile(p, unitFileName(base, p.Unit.Code), func(w io.Writer) error { _, err := book.WriteTo(w); return err }); err != nil {
			book.File().Close()
			return err
		}
	}
	return nil
}
