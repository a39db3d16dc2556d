package pipeline

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"kam/domain"
	"kam/pipeline/core/coretest"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// storableCodes are the bad names a units table can hold as a code (at most
// 32 characters, printable): codes stored before the loaders refused them.
func storableCodes() []string {
	var out []string
	for _, n := range coretest.BadNames {
		if n != "" && utf8.ValidString(n) && utf8.RuneCountInString(n) <= domain.MaxCodeLen &&
			!strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 }) {
			out = append(out, n)
		}
	}
	return out
}

// filesUnder lists every file below root, relative to it.
func filesUnder(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// A unit code stored before the loaders refused it (`.`, `..`, a path), with a
// mailbox from the units extract or from recipients.units, never names a
// folder: the run is refused naming the code and the folder, and nothing is
// written anywhere — not in var/ beside reports/, not in reports/ itself.
func TestAStoredUnitCodeNeverNamesAPath(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedRoster(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 26, 9, 0, 0, 0, time.UTC))
		root := filepath.Dir(a.Cfg.Paths.Reports)
		for i, code := range storableCodes() {
			u := domain.Unit{Code: code, Name: "旧编码单位", Kind: domain.District}
			if i%2 == 0 {
				u.Email = "old@dg.cn"
			} else {
				a.Cfg.Recipients.Units = map[string][]string{code: {"old@dg.cn"}}
			}
			seed(t, s, func(tx *store.Tx) error { return tx.PutUnits([]domain.Unit{u}) })

			_, err := a.RunJob(t.Context(), "roster", jobs.RunRequest{Period: "2026-06"})
			msg := ""
			if err != nil {
				msg = domain.Message(err)
			}
			if domain.KindOf(err) != domain.ERefused || !strings.Contains(msg, "单位编码「"+code+"」") || !strings.Contains(msg, a.Cfg.Paths.Reports) {
				t.Errorf("code %q: run error %v; want a refusal naming the code and %s", code, err, a.Cfg.Paths.Reports)
			}
			dry := filepath.Join(t.TempDir(), "trial", "roster.xlsx")
			if err := os.MkdirAll(filepath.Dir(dry), 0o755); err != nil {
				t.Fatal(err)
			}
			_, err = a.RunJob(t.Context(), "roster", jobs.RunRequest{Period: "2026-06", DryRun: true, DryRunPath: dry})
			if domain.KindOf(err) != domain.ERefused || err == nil || !strings.Contains(domain.Message(err), filepath.Join(filepath.Dir(dry), "各单位")) {
				t.Errorf("code %q: dry run error %v; want a refusal naming the code and the trial's 各单位 folder", code, err)
			}
			if got := filesUnder(t, filepath.Dir(filepath.Dir(dry))); len(got) > 0 {
				t.Errorf("code %q: the dry run wrote %v", code, got)
			}
			if got := filesUnder(t, root); len(got) > 0 {
				t.Errorf("code %q: the run wrote %v", code, got)
			}
			if _, err := s.DB().Exec(`DELETE FROM units WHERE code = ?`, code); err != nil {
				t.Fatal(err)
			}
			a.Cfg.Recipients.Units = nil
		}
		var outcomes []string
		if err := s.DB().Select(&outcomes, `SELECT DISTINCT outcome FROM job_runs`); err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "recorded outcomes", outcomes, []string{string(store.RunRefused)})
	})
}

// A dry run's -o must name a file: a folder (., .., x/) or a name longer than
// a file system takes is a usage error before anything runs.
func TestDryRunOutputMustNameAFile(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedRoster(t, s)
		a := newTestApp(t, s, time.Date(2026, 7, 26, 9, 0, 0, 0, time.UTC))
		dir := t.TempDir()
		for _, o := range []string{".", "..", dir + string(filepath.Separator), dir + string(filepath.Separator) + "..", filepath.Join(dir, strings.Repeat("长", 100)+".xlsx")} {
			_, err := a.RunJob(t.Context(), "roster", jobs.RunRequest{Period: "2026-06", DryRun: true, DryRunPath: o})
			if domain.KindOf(err) != domain.EInvalid || !strings.Contains(domain.Message(err), "-o") {
				t.Errorf("-o %.40q: %v; want a usage error", o, err)
			}
			if err := jobs.CheckRun("roster", jobs.RunRequest{Period: "2026-06", DryRun: true, DryRunPath: o}, day(2026, 7, 26)); domain.KindOf(err) != domain.EInvalid {
				t.Errorf("CheckRun -o %.40q: %v; want a usage error", o, err)
			}
		}
		if got := filesUnder(t, dir); len(got) > 0 {
			t.Errorf("wrote %v", got)
		}
	})
}

// A file whose name kam could not move into processed/ or rejected/ (a
// Windows separator in a name a Linux share allows, a name of spaces) is left
// in the inbox and reported, and the scan goes on with the rest.
func TestInboxNamesThatNoFolderTakesAreLeftAndReported(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no file named a\\b")
	}
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		base := baselineFiles(t)
		drop(t, a, `单位\三月.csv`, []byte(base["d_units.csv"]))
		drop(t, a, "   ", []byte(base["d_units.csv"]))
		drop(t, a, "d_units.csv", []byte(base["d_units.csv"]))
		res := scan(t, a)
		if len(res.Files) != 1 || res.Files[0].Name != "d_units.csv" || res.Files[0].Outcome != ingest.OutcomeLoaded {
			t.Fatalf("files %+v; want d_units.csv loaded alone", res.Files)
		}
		unread := mustUnread(t, s)
		got := map[string]string{}
		for _, u := range unread {
			got[u.Path] = u.Reason
		}
		for _, name := range []string{`单位\三月.csv`, "   "} {
			if !strings.Contains(got[name], "「"+name+"」") || !strings.Contains(got[name], a.Cfg.Paths.Inbox) {
				t.Errorf("%q: unread reason %q; want one naming it and the inbox", name, got[name])
			}
			if _, err := os.Stat(filepath.Join(a.Cfg.Paths.Inbox, name)); err != nil {
				t.Errorf("%q moved: %v", name, err)
			}
		}
	})
}
