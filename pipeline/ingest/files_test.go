package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/core/coretest"
)

// freeName (the moves to processed/ and rejected/, the error workbook's name)
// refuses every name that would leave its folder, naming it and the folder.
func TestFreeNameRefusesNamesThatLeaveTheFolder(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range coretest.BadNames {
		path, err := freeName(dir, bad)
		if err == nil || domain.KindOf(err) != domain.ERefused || !strings.Contains(domain.Message(err), dir) {
			t.Errorf("freeName(%q) = %q, %v; want a refusal naming %s", bad, path, err, dir)
		}
	}
}

// moveInto takes the name of the file it moves: one that names a folder is
// refused before anything moves.
func TestMoveIntoRefusesAFolderName(t *testing.T) {
	dir, dst := t.TempDir(), t.TempDir()
	for _, src := range []string{dir + "/.", dir + "/..", filepath.Join(dir, strings.Repeat("x", 300))} {
		if path, err := moveInto(src, dst); err == nil || domain.KindOf(err) != domain.ERefused {
			t.Errorf("moveInto(%.60q) = %q, %v; want a refusal", src, path, err)
		}
	}
	if left, _ := os.ReadDir(dst); len(left) > 0 {
		t.Errorf("moved %v", left)
	}
}

// A clash suffix never makes a name longer than a file system takes, nor
// splits a character, whatever the name's extension.
func TestFreeNameShortensWhereItAddsASuffix(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		strings.Repeat("长", 80) + "ab.csv",            // 246 bytes
		strings.Repeat("x", 255),                      // no extension, the longest name
		"a." + strings.Repeat("x", 252),               // an extension that leaves no room
		strings.Repeat("长", 78) + "a.csv.errors.xlsx", // the error workbook's double extension
	} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		path, err := freeName(dir, name)
		if err != nil {
			t.Errorf("freeName(%.20q…): %v", name, err)
			continue
		}
		got := filepath.Base(path)
		if filepath.Dir(path) != dir || len(got) > core.MaxNameBytes || !strings.Contains(got, " (2)") || strings.ContainsRune(got, '\uFFFD') {
			t.Errorf("freeName(%.20q…) = %q", name, got)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("freeName(%.20q…) = %q, which exists", name, got)
		}
	}
}

// The error workbook lies beside the rejected file: its name shortened with
// "…" when the file's own leaves no room, a clash suffix when an earlier
// rejection's workbook has the name.
func TestErrorBookPathIsBesideTheFile(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"fix_me.csv", strings.Repeat("长", 84) + ".csv", strings.Repeat("x", 255)} {
		rejected := filepath.Join(dir, name)
		first, err := errorBookPath(rejected)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(first) != dir || len(filepath.Base(first)) > core.MaxNameBytes || !strings.HasSuffix(first, ".errors.xlsx") {
			t.Errorf("%.20q…: %q", name, first)
		}
		if len(name)+len(".errors.xlsx") > core.MaxNameBytes && !strings.HasSuffix(first, "….errors.xlsx") {
			t.Errorf("%.20q…: %q is not shortened with …", name, first)
		}
		if err := os.WriteFile(first, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		second, err := errorBookPath(rejected)
		if err != nil || second == first || filepath.Dir(second) != dir || !strings.HasSuffix(second, " (2).errors.xlsx") || len(filepath.Base(second)) > core.MaxNameBytes {
			t.Errorf("%.20q… again: %q, %v", name, second, err)
		}
	}
}
