package domain

import "fmt"

// RowError is one bad value in an extract: the spreadsheet row (1-based, as
// staff see it), the column header as written in the file, the value and a
// plain-Chinese reason.
type RowError struct {
	Row    int
	Column string
	Value  string
	Reason string
}

func (e RowError) Error() string {
	return fmt.Sprintf("第 %d 行 %s「%s」：%s", e.Row, e.Column, e.Value, e.Reason)
}

// UserError is a failure caused by input or configuration that the user can
// fix; the message is fit to show as it is. Code picks the exit status.
type UserError struct {
	Code int // 2: bad usage or configuration
	Msg  string
}

func (e *UserError) Error() string { return e.Msg }

// Usagef builds a bad-usage error (exit status 2).
func Usagef(format string, a ...any) error {
	return &UserError{Code: 2, Msg: fmt.Sprintf(format, a...)}
}
