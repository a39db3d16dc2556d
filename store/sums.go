package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"kam/domain"
)

// SQL sums of fen can exceed int64 (SPEC §3.3: every sum is checked): SQLite's
// SUM stops the query with "integer overflow", MySQL's SUM of a BIGINT is a
// DECIMAL that may not fit. Both become domain.Overflowf, naming what was
// being added, so the run is refused instead of a wrapped total published.

// errSumTooLarge is a SUM the database computed that does not fit in domain.Money (MySQL).
var errSumTooLarge = errors.New("store: SUM beyond int64")

// fenSum scans a SUM of fen: SQLite gives an int64 (or stops the query on
// overflow), MySQL a DECIMAL as text, which may be beyond int64; NULL (no rows) is 0.
type fenSum domain.Money

func (s *fenSum) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case nil:
		*s = 0
		return nil
	case int64:
		*s = fenSum(v)
		return nil
	case []byte:
		text = string(v)
	case string:
		text = v
	default:
		return fmt.Errorf("store: a sum of fen scanned from %T", src)
	}
	text, _ = strings.CutSuffix(text, ".0") // a DECIMAL of scale 1, should a server widen it
	n, err := strconv.ParseInt(text, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return errSumTooLarge
	}
	if err != nil {
		return fmt.Errorf("store: a sum of fen read as %q: %w", text, err)
	}
	*s = fenSum(n)
	return nil
}

// sumOverflowed reports an error that says a SUM did not fit: MySQL's DECIMAL
// beyond int64 (fenSum) or SQLite's "integer overflow".
func sumOverflowed(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errSumTooLarge) {
		return true
	}
	var se interface{ Code() int }
	return errors.As(err, &se) && strings.Contains(err.Error(), "integer overflow")
}

// sumFailed is the error of a statement summing fen: the refusal that names
// what it was adding when the sum did not fit, else err with what the store was doing.
func sumFailed(err error, doing, what string, a ...any) error {
	if sumOverflowed(err) {
		return domain.Overflowf(what, a...)
	}
	return fmt.Errorf("%s: %w", doing, err)
}
