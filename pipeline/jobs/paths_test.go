package jobs

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kam/domain"
	"kam/pipeline/core/coretest"
	"kam/reports"
)

// Every place a run names a file with a unit's code or a file's name — the
// temporary folder (writeTemp), a unit's folder and workbook (writeParts,
// publish's and a dry run's placeFile) — refuses each bad name, naming it and
// the folder, and writes nothing.
func TestRunFilesStayInsideTheirFolders(t *testing.T) {
	reportsDir := filepath.Join(t.TempDir(), "reports")
	for _, bad := range coretest.BadNames {
		named := func(what string, err error, folder string) {
			t.Helper()
			if err == nil {
				t.Errorf("%s %q: accepted", what, bad)
				return
			}
			msg := domain.Message(err)
			if domain.KindOf(err) != domain.ERefused || !strings.Contains(msg, folder) {
				t.Errorf("%s %q: %v; want a refusal naming %s", what, bad, err, folder)
			}
			if len(bad) < 60 && !strings.ContainsFunc(bad, func(r rune) bool { return r < 0x20 || r == 0xfffd }) && !strings.Contains(msg, "「"+bad+"」") {
				t.Errorf("%s %q: %q does not name it", what, bad, msg)
			}
		}
		// publish: the city's file in reports/ itself, a unit's folder in reports/.
		_, err := placeFile(reportsDir, reportsDir, artifact{name: bad})
		named("file name (publish)", err, reportsDir)
		if bad != "" { // no unit is the city
			_, err = placeFile(reportsDir, reportsDir, artifact{name: unitFileName("roster_2026-11", bad), unit: bad})
			named("unit code (publish)", err, reportsDir)
			// a dry run: its 各单位/ folder.
			units := filepath.Join("trial", "各单位")
			_, err = placeFile("trial", units, artifact{name: unitFileName("roster_2026-11", bad), unit: bad})
			named("unit code (dry run)", err, units)
		}

		// writeTemp and writeParts: refused before a book is rendered.
		tmp := t.TempDir()
		out := &Output{tmp: tmp, unitsDir: reportsDir}
		_, err = out.writeTemp(bad, func(w io.Writer) error { _, err := w.Write([]byte("x")); return err })
		named("file name (writeTemp)", err, tmp)
		rendered := false
		err = writeParts(out, []*UnitPart{{Unit: domain.Unit{Code: bad}}}, "roster_2026-11", func(*UnitPart) (*reports.Book, error) {
			rendered = true
			return nil, nil
		})
		named("unit code (writeParts)", err, reportsDir)
		if rendered || len(out.files) > 0 {
			t.Errorf("unit code %q: a book was rendered or registered", bad)
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("name %q: wrote %v", bad, left)
		}
	}
	if _, err := os.Stat(reportsDir); !os.IsNotExist(err) {
		t.Errorf("reports/ was made: %v", err)
	}
	// A plain code lands in its own folder.
	got, err := placeFile(reportsDir, reportsDir, artifact{name: unitFileName("roster_2026-11", "D01"), unit: "D01"})
	if want := filepath.Join(reportsDir, "D01", "roster_2026-11_D01.xlsx"); err != nil || got != want {
		t.Errorf("D01: %q, %v; want %q", got, err, want)
	}
}
