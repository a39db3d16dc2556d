package domain

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// allowedImports is the dependency rule: of kam's own packages, each may
// import only these (pipeline, cmd/kam and the test helpers wire the rest).
var allowedImports = map[string][]string{
	"kam/domain":  {},
	"kam/rules":   {"kam/domain"},
	"kam/loaders": {"kam/domain"},
	"kam/store":   {"kam/domain"},
	"kam/config":  {"kam/domain"},
	"kam/reports": {"kam/domain", "kam/rules"},
	"kam/gen":     {"kam/domain"},
	// status may read pipeline for its job, period and trigger labels only (status/jobs.go).
	"kam/status": {"kam/domain", "kam/store", "kam/config", "kam/pipeline"},
}

func TestDependenciesRunOneWay(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	err = filepath.WalkDir(root, func(dir string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); dir != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "var" || name == "bin") {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel, _ := filepath.Rel(root, dir)
		path := filepath.ToSlash(filepath.Join("kam", rel))
		allowed, ruled := allowedImports[path]
		if !ruled {
			return nil
		}
		seen++
		for _, imp := range pkg.Imports {
			if (imp == "kam" || strings.HasPrefix(imp, "kam/")) && !slices.Contains(allowed, imp) {
				t.Errorf("%s imports %s; it may import only %v", path, imp, allowed)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(allowedImports) {
		t.Errorf("checked %d of the %d ruled packages", seen, len(allowedImports))
	}
}
