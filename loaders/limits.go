package loaders

import (
	"fmt"
	"unicode/utf8"

	"kam/domain"
)

// columnMax is, per kind, the longest value each column may hold
// (domain.TextLimits; domain.MaxCellLen for the columns parsed into numbers,
// dates and enumerations, whose parsers reject anything long anyway).
var columnMax = func() map[domain.Kind][]int {
	m := map[domain.Kind][]int{}
	for k, cols := range kindColumns {
		lim := make([]int, len(cols))
		for i := range lim {
			lim[i] = domain.MaxCellLen
		}
		m[k] = lim
	}
	for _, t := range domain.TextLimits {
		for i, c := range kindColumns[t.Kind] {
			if c.Label == t.Label {
				m[t.Kind][i] = t.Max
			}
		}
	}
	return m
}()

// tooLong reports a value of column c longer than the column's limit, as a row error naming the limit.
func (l *loader) tooLong(c int, v string) bool {
	limit := columnMax[l.x.kind][c]
	if len(v) <= limit { // bytes ≥ characters: nothing to count
		return false
	}
	n := utf8.RuneCountInString(v)
	if n <= limit {
		return false
	}
	l.fail(c, v, fmt.Sprintf("内容过长：本列最多 %d 个字符，这里有 %d 个字符", limit, n))
	return true
}
