package reports

import (
	"maps"
	"slices"

	"kam/domain"
)

// sums adds amounts per key exactly (SPEC §3.3: every sum is checked); a
// report's totals are read through checked, which refuses the first that
// does not fit in Money instead of printing a wrapped number.
type sums map[string]*domain.Sum

func (s sums) add(key string, m domain.Money) {
	p := s[key]
	if p == nil {
		p = new(domain.Sum)
		s[key] = p
	}
	p.Add(m)
}

// checked is every key's total; the first key, in order, whose sum does not
// fit refuses with what(key), the refusal naming what was being added.
func (s sums) checked(what func(key string) error) (map[string]domain.Money, error) {
	out := make(map[string]domain.Money, len(s))
	for _, k := range slices.Sorted(maps.Keys(s)) {
		v, ok := s[k].Total()
		if !ok {
			return nil, what(k)
		}
		out[k] = v
	}
	return out, nil
}
