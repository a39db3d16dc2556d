//go:build unix

package pipeline

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kam/config"
	"kam/domain"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/store/storetest"
)

// What staff open in the shared folders — templates, report copies (the
// city's and a unit's), dry-run results, error workbooks — has paths.file_mode
// whatever the umask; a file moved to processed/ or rejected/ keeps the mode
// it came with. (The database and its locks: store's TestSQLiteFilesAreOwnerOnly.)
func TestSharedFilesHaveTheConfiguredMode(t *testing.T) {
	old := syscall.Umask(0o077) // the tightest a service manager sets: kam's own chmod must win
	defer syscall.Umask(old)
	for _, mode := range []fs.FileMode{config.DefaultFileMode, 0o660} {
		t.Run(mode.String(), func(t *testing.T) {
			s := storetest.OpenSQLite(t)
			a := copiesApp(t, s)
			a.Cfg.Paths.FileMode = config.NewFileMode(mode)
			ctx := t.Context()
			want := func(path string, m fs.FileMode) {
				t.Helper()
				fi, err := os.Stat(path)
				if err != nil {
					t.Error(err)
					return
				}
				if got := fi.Mode().Perm(); got != m {
					t.Errorf("%s is %v, want %v", strings.TrimPrefix(path, filepath.Dir(a.Cfg.Paths.Inbox)), got, m)
				}
			}

			unblock := block(t, a) // D1's copy cannot be written now: it is written from the archive later
			out, err := a.RunJob(ctx, "grade", jobs.RunRequest{Period: "2026Q2"})
			mustDo(t, err)
			if len(out.Paths) != 1 || out.MissingCopies != 1 {
				t.Fatalf("published %v, %d missing; want the city's copy, D1's missing", out.Paths, out.MissingCopies)
			}
			want(out.Paths[0], mode)
			unblock()
			_, err = a.Ingest(ctx) // RestoreCopies after the scan
			mustDo(t, err)
			want(filepath.Join(a.Cfg.Paths.Reports, "D1", d1Book), mode)

			dry := filepath.Join(t.TempDir(), "trial.xlsx")
			_, err = a.RunJob(ctx, "grade", jobs.RunRequest{Period: "2026Q2", DryRun: true, DryRunPath: dry})
			mustDo(t, err)
			want(dry, mode)

			paths, err := a.WriteTemplates(ctx, a.TemplatesDir(), domain.LoadOrder)
			mustDo(t, err)
			for _, p := range paths {
				want(p, mode)
			}

			good := drop(t, a, "managers.csv", []byte("工号,姓名,所属单位编码,状态\nM900,王五,D1,在职\n"))
			bad := drop(t, a, "c_managers.csv", []byte("工号,姓名,所属单位编码,状态\nM901,赵六,D1,退休\n"))
			mustDo(t, os.Chmod(good, 0o664))
			mustDo(t, os.Chmod(bad, 0o604))
			res := scan(t, a)
			var moved []string
			for _, f := range res.Files {
				if f.Outcome != ingest.OutcomeLoaded && f.Outcome != ingest.OutcomeRejected {
					t.Fatalf("%s: %s (%s)", f.Name, f.Outcome, f.Reason)
				}
				moved = append(moved, f.MovedTo)
			}
			want(filepath.Join(a.Cfg.Paths.Processed, "managers.csv"), 0o664)
			want(filepath.Join(a.Cfg.Paths.Rejected, "c_managers.csv"), 0o604)
			want(filepath.Join(a.Cfg.Paths.Rejected, "c_managers.csv.errors.xlsx"), mode)
			if len(moved) != 2 {
				t.Errorf("scan moved %v, want both files", moved)
			}
		})
	}
}
