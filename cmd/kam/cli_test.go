package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// kamSplit runs one command line in-process and returns its exit status, stdout and stderr apart.
func kamSplit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// dirEntries lists everything under dir, recursively.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if p != dir {
			names = append(names, p)
		}
		return nil
	})
	return names
}

// A command line kam cannot accept is refused before anything is opened: no
// var/, no kam.db, no migration.
func TestBadCommandLineCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("KAM_DB_DSN", "")
	cases := [][]string{
		{},
		{"frobnicate"},
		{"--config"},
		{"run"},
		{"run", "payroll"},
		{"run", "grade", "--period", "2026Q5"},
		{"run", "grade", "--period", "2099Q1"},
		{"run", "review-gold", "--period", "2026-05"},
		{"run", "tender", "--as-of", "2026-02-30"},
		{"run", "grade", "--bogus"},
		{"run", "grade", "extra"},
		{"run", "all", "--period", "2026Q2"},
		{"run", "all", "--as-of", "2099-01-01"},
		{"status", "now"},
		{"ingest", "now"},
		{"migrate", "now"},
		{"serve", "now"},
		{"reports"},
		{"reports", "frob"},
		{"reports", "list", "--job", "payroll"},
		{"reports", "list", "--period", "Q2"},
		{"reports", "list", "--limit", "0"},
		{"reports", "get", "1"},
		{"reports", "get", "x", "-o", "out.xlsx"},
		{"user"},
		{"user", "frob"},
		{"user", "add"},
		{"user", "add", "two words"},
		{"user", "add", "a", "--unit", "D 01"},
		{"user", "list", "extra"},
		{"user", "remove", "a", "b"},
		{"user", "passwd", "--bogus", "a"},
		{"gen"},
		{"gen", "--out", "x", "--months", "0"},
		{"version", "now"},
		{"help", "frobnicate"},
		{"status", "--config", "missing.yaml"},
	}
	for _, args := range cases {
		code, out, errOut := kamSplit(t, args...)
		if code != 2 {
			t.Errorf("kam %s: exit %d, want 2\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		if strings.Contains(errOut, "flag ") || strings.Contains(errOut, "no such file") {
			t.Errorf("kam %s speaks English:\n%s", strings.Join(args, " "), errOut)
		}
		if left := dirEntries(t, dir); len(left) > 0 {
			t.Fatalf("kam %s left %v in an empty folder", strings.Join(args, " "), left)
		}
	}
}

// --config works before or after the command, and after the command's own flags.
func TestGlobalFlagsAfterTheCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	os.WriteFile("x.yaml", []byte("db:\n  sqlite_path: other/k.db\npaths:\n  inbox: other/inbox\n  processed: other/processed\n  rejected: other/rejected\n  reports: other/reports\n"), 0o644)
	for _, args := range [][]string{
		{"status", "--config", "x.yaml"},
		{"--config", "x.yaml", "status"},
		{"status", "--config=x.yaml"},
		{"reports", "list", "--period", "2026q2", "--config", "x.yaml"},
	} {
		if code, out, errOut := kamSplit(t, args...); code != 0 {
			t.Errorf("kam %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	// Refused for the data (nothing ingested), but run against the config's store.
	if code, _, errOut := kamSplit(t, "run", "grade", "--config", "x.yaml", "--period", "2026Q2"); code != 1 {
		t.Errorf("run grade --config after the command: exit %d, want 1 (refused: no data)\n%s", code, errOut)
	}
	if _, err := os.Stat("other/k.db"); err != nil {
		t.Errorf("the config's database: %v", err)
	}
	if _, err := os.Stat("var"); err == nil {
		t.Error("var/ was created: the config after the command was ignored")
	}
}

// Help and version print to stdout and exit 0, for kam and every command.
func TestHelpAndVersion(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("KAM_DB_DSN", "")
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, _ := kamSplit(t, args...)
		if code != 0 || !strings.HasPrefix(out, "kam ") || !strings.Contains(out, "go1.") {
			t.Errorf("kam %s: exit %d %q", args[0], code, out)
		}
	}
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, out, _ := kamSplit(t, args...)
		if code != 0 || !strings.Contains(out, "kam version | kam help [COMMAND] | kam COMMAND -h") {
			t.Errorf("kam %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
	}
	if len(commands) < 7 {
		t.Fatalf("only %d commands registered", len(commands))
	}
	for name, c := range commands {
		first := strings.SplitN(c.usage, "\n", 2)[0]
		for _, args := range [][]string{{"help", name}, {name, "-h"}, {name, "--help"}, {"--config", "nope.yaml", name, "-h"}} {
			code, out, errOut := kamSplit(t, args...)
			if code != 0 || !strings.Contains(out, first) || errOut != "" {
				t.Errorf("kam %s: exit %d, stdout %q, stderr %q; want its usage %q", strings.Join(args, " "), code, out, errOut, first)
			}
		}
	}
	if left := dirEntries(t, dir); len(left) > 0 {
		t.Errorf("help left %v", left)
	}
}

// The usage text carries SPEC §6's lines for the commands this build has.
func TestUsageListsSpecCommands(t *testing.T) {
	u := usage()
	for _, line := range []string{
		"kam [--config FILE] serve ",
		"kam [--config FILE] ingest ",
		"kam [--config FILE] run JOB [--period P] [--as-of YYYY-MM-DD] [--dry-run [-o FILE]]",
		"JOB: " + jobs.Usage() + " | all",
		"kam [--config FILE] status ",
		"kam [--config FILE] migrate",
		"kam [--config FILE] deliver [--retry-dead",
		"kam version | kam help [COMMAND] | kam COMMAND -h",
		"kam gen --out DIR [--customers N] [--months M] [--seed S]",
	} {
		if !strings.Contains(u, line) {
			t.Errorf("usage lacks %q\n%s", line, u)
		}
	}
	for name := range commands {
		if !strings.Contains(u, " "+name+" ") && !strings.Contains(u, " "+name+"\n") {
			t.Errorf("usage does not list the command %s", name)
		}
	}
}

// sample generates and ingests a small, fixed dataset (2026-01..2026-10: complete for grading 2026Q3) in the current folder.
func sample(t *testing.T, config string) {
	t.Helper()
	if code, out, errOut := kamSplit(t, "--config", config, "gen", "--out", "var/inbox", "--customers", "300", "--months", "10", "--end", "2026-10"); code != 0 {
		t.Fatalf("gen: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := kamSplit(t, "--config", config, "ingest"); code != 0 {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errOut)
	}
}

func openTestStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{SQLitePath: path, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

type runRecord struct {
	Job     string `db:"job"`
	Period  string `db:"period"`
	Outcome string `db:"outcome"`
}

// Every exit path of `kam run` and `kam run all`: its status, its run record and its mail.
func TestRunExitPaths(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	os.WriteFile("kam.yaml", []byte("recipients:\n  splits: [finance@example.cn]\n  grades: [ops@example.cn]\n  tender: [ops@example.cn]\n  admin: [admin@example.cn]\n"), 0o644)
	sample(t, "kam.yaml")
	ctx := context.Background()
	check := openTestStore(t, "var/kam.db")
	defer check.Close()
	runs := func() []runRecord {
		var rs []runRecord
		if err := check.DB().SelectContext(ctx, &rs, "SELECT job, period, outcome FROM job_runs ORDER BY id"); err != nil {
			t.Fatal(err)
		}
		return rs
	}
	mail := func(recipient string) int {
		var n int
		if err := check.DB().GetContext(ctx, &n, "SELECT COUNT(*) FROM outbox WHERE recipient = ?", recipient); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// busy holds lock on the store the command is handed, as another run of this kam would.
	busy := func(lock string) func() {
		held := openTestStore(t, "var/kam.db")
		l, err := held.LockRun(ctx, lock, func(error) {})
		if err != nil {
			t.Fatal(err)
		}
		openStore = func(context.Context, store.Options) (*store.Store, error) { return held, nil }
		return func() { l.Release(); openStore = store.Open; held.Close() }
	}
	breakStore := func() func() {
		// The splits job reads the agreements' parties; without them it cannot work.
		if _, err := check.DB().ExecContext(ctx, "DROP TABLE agreement_parties"); err != nil {
			t.Fatal(err)
		}
		return func() {}
	}
	njobs := len(jobs.All())

	cases := []struct {
		name     string
		args     []string
		setup    func() func()
		code     int
		outcomes []string // the outcomes of the run records this command adds
		say      string   // in its output
		mailTo   string   // who got mail from it ("" nobody)
	}{
		{name: "done", args: []string{"run", "splits", "--period", "2026-10"}, code: 0,
			outcomes: []string{store.RunSucceeded}, say: "分成合计", mailTo: "finance@example.cn"},
		{name: "refused for the data", args: []string{"run", "splits", "--period", "2025-01"}, code: 1,
			outcomes: []string{store.RunRefused}, say: "还没有导入收入数据"},
		{name: "busy", args: []string{"run", "splits", "--period", "2026-09"}, setup: func() func() { return busy("job:splits:2026-09") },
			code: 1, say: "正由另一个 kam 运行"},
		{name: "usage", args: []string{"run", "splits", "--period", "2026-13"}, code: 2, say: "--period"},
		{name: "usage: future period", args: []string{"run", "splits", "--period", "2099-01"}, code: 2, say: "尚未结束"},
		{name: "run all: usage before any job", args: []string{"run", "all", "--as-of", "2099-01-01"}, code: 2, say: "尚未结束"},
		// One job busy: every other job still runs and the worst outcome is the exit status.
		{name: "run all: one busy", args: []string{"run", "all", "--as-of", "2026-11-05"}, setup: func() func() { return busy("job:grade:2026Q3") },
			code: 1, say: "grade           忙"},
		{name: "internal", args: []string{"run", "splits", "--period", "2026-08"}, setup: breakStore, code: 1,
			outcomes: []string{store.RunFailed}, say: "agreement_parties", mailTo: "admin@example.cn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(runs())
			mailBefore := map[string]int{}
			for _, r := range []string{"finance@example.cn", "admin@example.cn", "ops@example.cn"} {
				mailBefore[r] = mail(r)
			}
			if tc.setup != nil {
				defer tc.setup()()
			}
			code, out, errOut := kamSplit(t, append([]string{"--config", "kam.yaml"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out+errOut, tc.say) {
				t.Errorf("output does not say %q:\n%s%s", tc.say, out, errOut)
			}
			added := runs()[before:]
			if strings.HasPrefix(tc.name, "run all: one busy") {
				lines := strings.Count(strings.TrimSpace(keepJobLines(out)), "\n") + 1
				// A job whose period was issued earlier on the same data issues nothing and records no run (SPEC §5.2).
				unchanged := strings.Count(out, " 未变  ")
				if lines != njobs || len(added) != njobs-1-unchanged {
					t.Errorf("run all: %d job lines and %d run records, want %d and %d\n%s", lines, len(added), njobs, njobs-1-unchanged, out)
				}
				for _, r := range added {
					if r.Job == "grade" {
						t.Errorf("the busy job was recorded: %+v", r)
					}
				}
				return
			}
			var got []string
			for _, r := range added {
				got = append(got, r.Outcome)
			}
			if !slices.Equal(got, tc.outcomes) {
				t.Errorf("run records %v, want %v", got, tc.outcomes)
			}
			for r, n := range mailBefore {
				queued := mail(r) > n
				if queued != (r == tc.mailTo) {
					t.Errorf("mail to %s queued: %v (want mail to %q only)", r, queued, tc.mailTo)
				}
			}
		})
	}
}

// keepJobLines keeps run all's one line per job, dropping the paths under them.
func keepJobLines(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, "  ") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// status and reports read a database kam may not write: opened read-only, no migration, the file untouched.
func TestReadOnlyCommandsOnAReadOnlyDatabase(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	os.WriteFile("kam.yaml", []byte("db:\n  sqlite_path: db/kam.db\n"), 0o644)
	sample(t, "kam.yaml")
	if code, out, errOut := kamSplit(t, "--config", "kam.yaml", "run", "splits", "--period", "2026-10"); code != 0 {
		t.Fatalf("run splits: exit %d\n%s%s", code, out, errOut)
	}
	before, err := os.Stat("db/kam.db")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod("db/kam.db", 0o444)
	os.Chmod("db", 0o555)
	t.Cleanup(func() { os.Chmod("db", 0o755); os.Chmod("db/kam.db", 0o644) })
	if os.Geteuid() == 0 {
		t.Log("running as root: chmod does not stop writes; checking the read-only open and an untouched file instead")
	}
	var opened []store.Options
	openStore = func(ctx context.Context, o store.Options) (*store.Store, error) {
		opened = append(opened, o)
		return store.Open(ctx, o)
	}
	t.Cleanup(func() { openStore = store.Open })

	for _, args := range [][]string{
		{"status"},
		{"reports", "list"},
		{"reports", "list", "--job", "splits", "--period", "2026-10"},
		{"reports", "get", "1", "-o", "out.bin"},
	} {
		opened = nil
		code, out, errOut := kamSplit(t, append([]string{"--config", "kam.yaml"}, args...)...)
		if code != 0 {
			t.Errorf("kam %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		if len(opened) != 1 || !opened[0].ReadOnly {
			t.Errorf("kam %s opened %+v, want one read-only open", strings.Join(args, " "), opened)
		}
	}
	// Whoever runs the test, SQLite itself refuses a write through a read-only open.
	ro, err := store.Open(context.Background(), store.Options{SQLitePath: "db/kam.db", ReadOnly: true, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.DB().Exec("DELETE FROM reports"); err == nil {
		t.Error("a read-only store deleted rows")
	}
	ro.Close()
	after, err := os.Stat("db/kam.db")
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Errorf("the database file changed: %v %d → %v %d", before.ModTime(), before.Size(), after.ModTime(), after.Size())
	}
	if _, err := os.Stat("out.bin"); err != nil {
		t.Errorf("reports get wrote nothing: %v", err)
	}
	// A command that writes is not opened read-only.
	opened = nil
	code, _, errOut := kamSplit(t, "--config", "kam.yaml", "run", "splits", "--period", "2026-09")
	if len(opened) != 1 || opened[0].ReadOnly {
		t.Errorf("run opened %+v, want one read-write open", opened)
	}
	if os.Geteuid() != 0 && code != 1 {
		t.Errorf("run on a read-only database: exit %d, want 1\n%s", code, errOut)
	}
}

// A database file with no schema yet (or one behind) is migrated, read-only command or not.
func TestReadOnlyCommandOnANewDatabaseFileMigratesIt(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	os.Mkdir("var", 0o755)
	os.WriteFile("var/kam.db", nil, 0o644)
	if code, out, errOut := kamSplit(t, "status"); code != 0 || !strings.Contains(out, "还没有运行记录") {
		t.Fatalf("status on an empty database file: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := kamSplit(t, "reports", "list"); code != 0 {
		t.Fatalf("reports list after: exit %d\n%s%s", code, out, errOut)
	}
}

// reports list checks its job and reads periods as run does; reports get and gen never overwrite without --force.
func TestReportsAndGenRefuseWhatTheyShould(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	sample(t, "")
	if code, out, errOut := kamSplit(t, "run", "grade", "--period", "2026Q3"); code != 0 {
		t.Fatalf("run grade: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut := kamSplit(t, "reports", "list", "--job", "payrol")
	if code != 2 || !strings.Contains(errOut, "payrol") || !strings.Contains(errOut, "grade | review-diamond") {
		t.Errorf("unknown job: exit %d\n%s", code, errOut)
	}
	_, upper, _ := kamSplit(t, "reports", "list", "--period", "2026Q3")
	_, lower, _ := kamSplit(t, "reports", "list", "--period", "2026q3")
	if !strings.Contains(upper, "grades_2026Q3.xlsx") || upper != lower {
		t.Errorf("--period 2026q3 lists differently from 2026Q3:\n%s\n---\n%s", lower, upper)
	}

	os.WriteFile("kept.xlsx", []byte("mine"), 0o644)
	code, _, errOut = kamSplit(t, "reports", "get", "1", "-o", "kept.xlsx")
	if b, _ := os.ReadFile("kept.xlsx"); code != 2 || string(b) != "mine" || !strings.Contains(errOut, "--force") {
		t.Errorf("get over an existing file: exit %d, file %q\n%s", code, b, errOut)
	}
	if code, out, errOut := kamSplit(t, "reports", "get", "-o", "kept.xlsx", "--force", "1"); code != 0 {
		t.Errorf("get --force: exit %d\n%s%s", code, out, errOut)
	}
	if b, _ := os.ReadFile("kept.xlsx"); !bytes.HasPrefix(b, []byte("PK")) {
		t.Errorf("get --force did not write the workbook: %q…", b[:min(4, len(b))])
	}

	os.MkdirAll("again", 0o755)
	os.WriteFile("again/units.csv", []byte("mine"), 0o644)
	code, _, errOut = kamSplit(t, "gen", "--out", "again", "--customers", "20", "--months", "1", "--end", "2026-10")
	if b, _ := os.ReadFile("again/units.csv"); code != 2 || string(b) != "mine" || !strings.Contains(errOut, "--force") {
		t.Errorf("gen into a folder with files: exit %d, units.csv %q\n%s", code, b, errOut)
	}
	if code, out, errOut := kamSplit(t, "gen", "--out", "again", "--customers", "20", "--months", "1", "--end", "2026-10", "--force"); code != 0 {
		t.Errorf("gen --force: exit %d\n%s%s", code, out, errOut)
	}
}

// On MySQL the lock is the server's: a run another process holds exits 1 as busy and records nothing.
func TestBusyInAnotherKamOnMySQL(t *testing.T) {
	dsn := storetest.NewMySQLDatabase(t)
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "mysql://"+dsn)
	other, err := store.Open(context.Background(), store.Options{DSN: dsn, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.LockRun(context.Background(), "job:splits:2026-09", func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	code, out, errOut := kamSplit(t, "run", "splits", "--period", "2026-09")
	if code != 1 || !strings.Contains(errOut, "正由另一个 kam 运行") {
		t.Errorf("exit %d, want 1 (busy)\n%s%s", code, out, errOut)
	}
	code, out, errOut = kamSplit(t, "run", "all", "--as-of", "2026-10-05")
	if code != 1 || !strings.Contains(out, "splits          忙") {
		t.Errorf("run all: exit %d, want 1 with splits busy\n%s%s", code, out, errOut)
	}
	var n int
	if err := other.DB().GetContext(context.Background(), &n, "SELECT COUNT(*) FROM job_runs WHERE job = 'splits'"); err != nil || n != 0 {
		t.Errorf("busy runs recorded: %d (%v)", n, err)
	}
}
