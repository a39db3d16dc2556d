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
// import only these, so every arrow runs down (docs/architecture.md draws
// the map). Every package with Go files must be ruled here; only cmd/kam
// imports web.
var allowedImports = map[string][]string{
	"kam/domain":                 {},
	"kam/link":                   {},
	"kam/rules":                  {"kam/domain"},
	"kam/loaders":                {"kam/domain"},
	"kam/store":                  {"kam/domain"},
	"kam/config":                 {"kam/domain"},
	"kam/reports":                {"kam/domain", "kam/rules"},
	"kam/gen":                    {"kam/domain"},
	"kam/store/storetest":        {"kam/domain", "kam/store"},
	"kam/reports/reportstest":    {}, // reads a workbook's parts with excelize alone
	"kam/pipeline/core":          {"kam/config", "kam/domain", "kam/rules", "kam/store"},
	"kam/pipeline/core/coretest": {}, // the names every test of a written path tries
	"kam/pipeline/mail":          {"kam/config", "kam/domain", "kam/link", "kam/pipeline/core", "kam/store"},
	"kam/pipeline/ingest":        {"kam/config", "kam/domain", "kam/loaders", "kam/reports", "kam/pipeline/core", "kam/pipeline/mail", "kam/store"},
	"kam/pipeline/jobs":          {"kam/config", "kam/domain", "kam/rules", "kam/reports", "kam/pipeline/core", "kam/pipeline/mail", "kam/store"},
	"kam/pipeline/daemon":        {"kam/config", "kam/domain", "kam/store", "kam/pipeline/core", "kam/pipeline/ingest", "kam/pipeline/jobs", "kam/pipeline/mail"},
	"kam/pipeline": {"kam/domain", "kam/pipeline/core", "kam/pipeline/daemon", "kam/pipeline/ingest",
		"kam/pipeline/jobs", "kam/pipeline/mail"},
	// status is the one model of what kam has done and what waits: read from the store, labelled once.
	"kam/status": {"kam/config", "kam/domain", "kam/store", "kam/pipeline/core", "kam/pipeline/daemon",
		"kam/pipeline/ingest", "kam/pipeline/jobs", "kam/pipeline/mail"},
	"kam/web": {"kam/config", "kam/domain", "kam/link", "kam/store", "kam/status", "kam/pipeline", "kam/pipeline/core",
		"kam/pipeline/daemon", "kam/pipeline/ingest", "kam/pipeline/jobs"},
	"kam/cmd/kam": {"kam/config", "kam/domain", "kam/gen", "kam/store", "kam/status", "kam/pipeline", "kam/pipeline/core",
		"kam/pipeline/daemon", "kam/pipeline/ingest", "kam/pipeline/jobs", "kam/pipeline/mail", "kam/web"},
	"kam/crashtest": {}, // tests only: it runs the built binary
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
			t.Errorf("%s is not in the dependency rule: add it to allowedImports with what it may import", path)
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
