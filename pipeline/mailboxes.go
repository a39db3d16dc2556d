package pipeline

import (
	"slices"

	"kam/domain"
)

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
