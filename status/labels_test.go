package status

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kam/domain"
	"kam/store"
)

// Each state the store records has its word, the one both views show.
func TestLabels(t *testing.T) {
	cases := []struct{ got, want string }{
		{RunOutcomeLabel(store.RunRunning), "运行中"},
		{RunOutcomeLabel(store.RunSucceeded), "成功"},
		{RunOutcomeLabel(store.RunFailed), "失败"},
		{RunOutcomeLabel(store.RunRefused), "拒绝"},
		{RunOutcomeLabel(store.RunInterrupted), "中断"},
		{RunLabel(store.RunSucceeded, 0), "成功"},
		{RunLabel(store.RunSucceeded, 2), "成功（报表副本缺 2 份）"},
		{RunLabel(store.RunFailed, 2), "失败"},
		{MailStatusLabel(store.MailQueued), "待发"},
		{MailStatusLabel(store.MailSent), "已发送"},
		{MailStatusLabel(store.MailDead), "死信"},
		{MailStatusLabel(store.MailSuperseded), "已过时"},
		{FileOutcomeLabel(store.FileLoaded), "已导入"},
		{FileOutcomeLabel(store.FileRejected), "已退回"},
		{FileOutcomeLabel(store.FileDuplicate), "重复"},
		{KindLabel(domain.KindRevenue), "收入"},
		{KindLabel(""), "无法识别"},
		{TaskLabel("ingest"), "扫描收件目录"},
		{TaskLabel("delivery"), "投递邮件"},
		{TaskLabel("splits"), "收入分成"},
		// A value this version has no word for shows as the store wrote it.
		{RunOutcomeLabel(" paused "), "paused"},
		{MailStatusLabel("bounced"), "bounced"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("label %q, want %q", c.got, c.want)
		}
	}
}

// Every run outcome, mail state and file outcome package store declares
// (an exported Run…, Mail… or File… string constant) has a label: a state
// added to the store without one here fails this test, not a view.
func TestEveryStoreStateHasALabel(t *testing.T) {
	consts := storeStringConsts(t)
	groups := []struct {
		prefix string
		labels []string // the values package status has a word for
		min    int      // the states the store has today: the scan must find at least these
	}{
		{"Run", slices.Collect(maps.Keys(runOutcomes)), 5},
		{"Mail", slices.Collect(maps.Keys(mailStatuses)), 4},
		{"File", nil, 3},
	}
	for k := range fileOutcomes {
		groups[2].labels = append(groups[2].labels, string(k))
	}
	for _, g := range groups {
		var values []string
		for name, value := range consts {
			if !strings.HasPrefix(name, g.prefix) {
				continue
			}
			values = append(values, value)
			if !slices.Contains(g.labels, value) {
				t.Errorf("store.%s (%q) has no label in package status", name, value)
			}
		}
		if len(values) < g.min {
			t.Errorf("found %d store.%s… constants, want at least %d: is the scan still reading package store?", len(values), g.prefix, g.min)
		}
		for _, l := range g.labels {
			if !slices.Contains(values, l) {
				t.Errorf("%q has a label but no store.%s… constant has that value", l, g.prefix)
			}
		}
	}
}

// storeStringConsts is every exported string constant of package store, by name.
func storeStringConsts(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "store", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("package store's files: %v %v", files, err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !name.IsExported() || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[name.Name] = v
				}
			}
		}
	}
	return out
}

// The package keeps to what its doc says: no HTTP, no terminal, no web, no
// cmd (domain/deps_test.go rules its kam imports).
func TestImportsStayInBounds(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case p == "net/http" || strings.HasPrefix(p, "net/http/") || p == "html/template" || p == "os" ||
				strings.HasPrefix(p, "golang.org/x/term"):
				t.Errorf("%s imports %s: package status does not serve, render or print", path, p)
			case p == "kam/web" || strings.HasPrefix(p, "kam/web/") || strings.HasPrefix(p, "kam/cmd"):
				t.Errorf("%s imports %s: the views import status, not the other way", path, p)
			}
		}
	}
}
