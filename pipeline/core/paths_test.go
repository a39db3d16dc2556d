package core_test

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/core/coretest"
)

func TestFileInRefusesEveryNameThatLeavesTheFolder(t *testing.T) {
	folders := []string{"reports", t.TempDir(), "", "var/../reports", "./reports/"}
	for _, folder := range folders {
		for _, name := range coretest.BadNames {
			path, err := core.FileIn(folder, name)
			if err == nil {
				t.Errorf("FileIn(%q, %q) = %q, want a refusal", folder, name, path)
				continue
			}
			if domain.KindOf(err) != domain.ERefused {
				t.Errorf("FileIn(%q, %q): %v is not a refusal", folder, name, err)
			}
			msg := domain.Message(err)
			if shown := folder; shown != "" && !strings.Contains(msg, shown) {
				t.Errorf("FileIn(%q, %q): %q does not name the folder", folder, name, msg)
			}
			if len(name) < 60 && !strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0xfffd }) && !strings.Contains(msg, "「"+name+"」") {
				t.Errorf("FileIn(%q, %q): %q does not name it", folder, name, msg)
			}
		}
	}
}

func TestFileInKeepsPlainNamesInsideTheFolder(t *testing.T) {
	dir := t.TempDir()
	names := []string{"D01", "grades_2026Q2_D01.xlsx", "收入 三月.csv", ".hidden", "a..b", "fix_me.csv (2).errors.xlsx",
		strings.Repeat("长", 85), strings.Repeat("x", core.MaxNameBytes)}
	for _, folder := range []string{"reports", dir, "", "var/../reports"} {
		for _, name := range names {
			path, err := core.FileIn(folder, name)
			if err != nil {
				t.Errorf("FileIn(%q, %q): %v", folder, name, err)
				continue
			}
			if filepath.Dir(path) != filepath.Clean(folder) || filepath.Base(path) != name {
				t.Errorf("FileIn(%q, %q) = %q, not the name inside the folder", folder, name, path)
			}
		}
	}
}

func TestFileInRefusesWindowsDeviceNamesOnWindows(t *testing.T) {
	if runtime.GOOS != "windows" {
		t.Skip("device names are only special on Windows")
	}
	for _, name := range []string{"NUL", "CON", "com1.xlsx", "a:b"} {
		if _, err := core.FileIn("reports", name); err == nil {
			t.Errorf("FileIn(reports, %q) accepted", name)
		}
	}
}

func TestShortenNameCutsOnACharacterBoundary(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		want string
	}{{"abc", 5, "abc"}, {"长长长", 7, "长长"}, {"长长长", 6, "长长"}, {"长", 2, ""}, {"abc", 0, ""}, {"abc", -3, ""}} {
		if got := core.ShortenName(c.name, c.n); got != c.want {
			t.Errorf("ShortenName(%q, %d) = %q, want %q", c.name, c.n, got, c.want)
		}
	}
}
