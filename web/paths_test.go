package web

import (
	"strings"
	"testing"
)

// A download is saved under the archived name only when it is one plain file
// name: an odd stored name never becomes a path on the reader's desk.
func TestDownloadNameIsAPlainFileName(t *testing.T) {
	for _, bad := range []string{"../x.xlsx", `..\x.xlsx`, "a/b.csv", ".", "..", "", strings.Repeat("x", 300) + ".xlsx", "/etc/passwd"} {
		got := downloadName(bad, "report-7")
		if got != "report-7" && got != "report-7.xlsx" && got != "report-7.csv" {
			t.Errorf("downloadName(%.40q) = %q", bad, got)
		}
	}
	if got := downloadName("grades_2026Q2_D01.xlsx", "report-7"); got != "grades_2026Q2_D01.xlsx" {
		t.Errorf("a plain name: %q", got)
	}
}
