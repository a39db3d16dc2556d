package domain

import (
	"errors"
	"fmt"
)

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
	if e.Row == 0 { // the whole file, not one row
		return fmt.Sprintf("%s「%s」：%s", e.Column, e.Value, e.Reason)
	}
	return fmt.Sprintf("第 %d 行 %s「%s」：%s", e.Row, e.Column, e.Value, e.Reason)
}

// ErrorKind says what a failure means for the person who met it, and so how
// kam answers it: the exit status, how a run is recorded, who is told.
type ErrorKind int

const (
	// EInternal: kam could not do its work (database, disk, a bug). Exit 1; a
	// run is recorded as failed and the administrator is mailed.
	EInternal ErrorKind = iota
	// EInvalid: bad usage or configuration. Exit 2; nothing is recorded.
	EInvalid
	// ERefused: the data does not allow the run (no revenue for the period,
	// incomplete data). Exit 1; recorded as 拒绝, nobody mailed, no rerun advised.
	ERefused
	// EBusy: another kam is doing the same work now. Exit 1; says who holds it.
	EBusy
)

// Error is kam's one application error: a kind and a message fit to show a
// person (Chinese), with the technical cause, if any, kept for a second line.
type Error struct {
	Kind ErrorKind
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + "\n原因：" + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Usagef is a bad-usage or bad-configuration error (exit status 2).
func Usagef(format string, a ...any) error {
	return &Error{Kind: EInvalid, Msg: fmt.Sprintf(format, a...)}
}

// Refusedf is a run refused for the data it would read.
func Refusedf(format string, a ...any) error {
	return &Error{Kind: ERefused, Msg: fmt.Sprintf(format, a...)}
}

// Busyf is work another kam holds now.
func Busyf(format string, a ...any) error {
	return &Error{Kind: EBusy, Msg: fmt.Sprintf(format, a...)}
}

// Failed says in Chinese what kam was doing when cause stopped it; an error
// that already carries a kind keeps it.
func Failed(cause error, doing string, a ...any) error {
	if cause == nil {
		return nil
	}
	msg := fmt.Sprintf(doing, a...) + "失败"
	var e *Error
	if errors.As(cause, &e) {
		return &Error{Kind: e.Kind, Msg: msg + "：" + e.Msg, Err: e.Err}
	}
	return &Error{Kind: EInternal, Msg: msg, Err: cause}
}

// KindOf is the kind of err: that of the first *Error it wraps, else EInternal.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return EInternal
}

// ExitCode is SPEC §6's exit status for err: 0 done, 2 bad usage or
// configuration, 1 for everything else (failed, refused, busy).
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case KindOf(err) == EInvalid:
		return 2
	}
	return 1
}

// Message is err as a person should read it: an *Error's own message, with its
// cause on a second line; any other error as it is.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return err.Error()
}
