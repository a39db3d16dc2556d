package mail

import (
	"fmt"
	"strings"
)

// Table is what a report mail's recipients must act on, listed in the
// mail itself (the tender's newly overdue and 临期 claims), not only attached.
type Table struct {
	Caption string
	Head    []string
	Rows    [][]string
	Empty   string // said instead of the table when there is no row
}

// maxSubjectRunes keeps a subject readable in a mail client's list.
const maxSubjectRunes = 60

// Subject is report · period · the one figure that matters (or the
// headline, for a job that counts nothing), within 60 characters.
func Subject(title, label, fig string) string {
	s := title + " · " + label
	if fig != "" {
		s += " · " + fig
	}
	return clip(s, maxSubjectRunes)
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// text renders the table for the plain-text part: one line per row.
func (t *Table) text() string {
	if t == nil {
		return ""
	}
	if len(t.Rows) == 0 {
		if t.Empty == "" {
			return ""
		}
		return "\n" + t.Empty + "\n"
	}
	var b strings.Builder
	b.WriteString("\n" + t.Caption + "\n")
	b.WriteString(strings.Join(t.Head, " | ") + "\n")
	for _, r := range t.Rows {
		b.WriteString(strings.Join(r, " | ") + "\n")
	}
	return b.String()
}

// mailRowCap keeps a long list in the attachment, not the mail.
const mailRowCap = 100

// CapRows ends a table at mailRowCap rows, saying how many more the workbook holds.
func (t *Table) CapRows(sheet string) *Table {
	if n := len(t.Rows); n > mailRowCap {
		t.Rows = t.Rows[:mailRowCap]
		t.Caption += fmt.Sprintf("（前 %d 户，共 %d 户，其余见附件“%s”）", mailRowCap, n, sheet)
	}
	return t
}
