package core

import (
	"context"
	"slices"

	"kam/domain"
)

// Mailboxes reads the units and merges their mailboxes with the configuration's.
func (a *App) Mailboxes(ctx context.Context) (map[string][]string, error) {
	units, err := a.Store.Units(ctx)
	if err != nil {
		return nil, domain.Failed(err, "读取单位邮箱")
	}
	return UnitMailboxes(units, a.Cfg.Recipients.Units), nil
}

// UnitMailboxes is each unit's mailboxes: the units extract's 邮箱 and the
// configuration's recipients.units, merged without repeats; a unit with none
// is absent.
func UnitMailboxes(units []domain.Unit, configured map[string][]string) map[string][]string {
	out := map[string][]string{}
	add := func(code string, addrs []string) {
		for _, a := range addrs {
			if !slices.Contains(out[code], a) {
				out[code] = append(out[code], a)
			}
		}
	}
	for _, u := range units {
		add(u.Code, u.Mailboxes())
	}
	for code, addrs := range configured {
		add(code, addrs)
	}
	return out
}
