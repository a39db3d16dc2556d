// Package crashtest kills kam at random moments and checks that a restart
// ends in the same state as a run that was never killed (issue: runs that are
// safe to kill). It drives the real binary against SQLite and a MariaDB server
// it starts itself, never the shared one.
//
//	KAM_CRASH_TRIALS=50 go test ./crashtest/ -run Crash -v   (make crashtest)
//
// make test runs 10 trials per store; without KAM_CRASH_TRIALS the tests skip.
//
// TestGaleraCluster (cluster_test.go, make clustertest) runs two instances on a
// private 3-node MariaDB Galera cluster it starts (galera_test.go) with the same
// installations, mail server and checks.
package crashtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	_ "github.com/go-sql-driver/mysql"
	"github.com/xuri/excelize/v2"
	_ "modernc.org/sqlite"
)

// trials is how many kill trials per store KAM_CRASH_TRIALS asks for.
func trials(t *testing.T) int {
	s := os.Getenv("KAM_CRASH_TRIALS")
	if s == "" {
		t.Skip("KAM_CRASH_TRIALS is not set (make test and make crashtest set it)")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("KAM_CRASH_TRIALS=%q", s)
	}
	return n
}

// harness is what every trial of one store shares: the binary, the dataset,
// the mail server and (for MariaDB) the private server.
type harness struct {
	t     *testing.T
	bin   string
	data  string // kam gen output plus a correction file
	mail  *mailSink
	mysql string // DSN of the private MariaDB server without database; "" for SQLite
	n     int
	kills int // kills that hit a live process
	// catchUpMonths is schedule.catch_up_months: 0, serve runs no job, only scans and delivers.
	catchUpMonths int
	// digestAt is mail.digest_at; "" leaves its default (08:30: report mails are
	// held, and kam deliver folds them into digests at once).
	digestAt string
	phases   map[string]int
	elapsed  map[string]time.Duration // a clean run's duration of each phase
}

func TestCrashSQLite(t *testing.T) {
	trials(t)
	newHarness(t, "").run()
}

func TestCrashMariaDB(t *testing.T) {
	trials(t)
	newHarness(t, startMariaDB(t)).run()
}

func newHarness(t *testing.T, mysqlDSN string) *harness {
	h := &harness{t: t, mail: startMailSink(t), mysql: mysqlDSN, phases: map[string]int{}, elapsed: map[string]time.Duration{}}
	h.bin = filepath.Join(t.TempDir(), "kam")
	build := exec.Command("go", "build", "-o", h.bin, "kam/cmd/kam")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	h.data = t.TempDir()
	gen := exec.Command(h.bin, "gen", "--out", h.data, "--customers", "300", "--months", "4", "--seed", "7")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("kam gen: %v\n%s", err, out)
	}
	// A correction of a few rows of one month: the shrink guard's case.
	files, _ := filepath.Glob(filepath.Join(h.data, "revenue_*.csv"))
	slices.Sort(files)
	body, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(body, []byte("\n"))
	if err := os.WriteFile(filepath.Join(h.data, "收入更正.csv"), bytes.Join(lines[:min(20, len(lines))], nil), 0o644); err != nil {
		t.Fatal(err)
	}
	return h
}

// env is one kam installation: its folders, config and database.
type env struct {
	dir, config, dsn, dbName string
}

func (h *harness) newEnv(name string) env {
	h.n++
	dbName := ""
	if h.mysql != "" {
		dbName = fmt.Sprintf("crash_%d_%d", os.Getpid(), h.n)
		admin, err := sql.Open("mysql", h.mysql)
		if err != nil {
			h.t.Fatal(err)
		}
		defer admin.Close()
		if _, err := admin.Exec("CREATE DATABASE " + dbName + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
			h.t.Fatal(err)
		}
	}
	return h.envOn(name, h.mysql, dbName)
}

// envOn is an installation in folder name on database dbName of server (a DSN
// without database, "" for SQLite): two installations on one database are two
// kam instances sharing it, each with its own folders. The inbox holds the dataset.
func (h *harness) envOn(name, server, dbName string) env {
	dir := filepath.Join(h.t.TempDir(), name)
	e := env{dir: dir, config: filepath.Join(dir, "kam.yaml"), dbName: dbName}
	db := fmt.Sprintf("  sqlite_path: %s\n", filepath.Join(dir, "kam.db"))
	if server != "" {
		e.dsn = strings.Replace(server, "/?", "/"+dbName+"?", 1)
		db = fmt.Sprintf("  dsn: \"mysql://%s\"\n", e.dsn)
	}
	cfg := "db:\n" + db + fmt.Sprintf(`paths:
  inbox: %[1]s/inbox
  processed: %[1]s/processed
  rejected: %[1]s/rejected
  reports: %[1]s/reports
ingest:
  quiet_period: 0s
schedule:
  ingest: "@every 1s"
  delivery: "@every 1s"
  catch_up_months: %[3]d
  shutdown_grace: 5s
smtp:
  host: 127.0.0.1
  port: %[2]d
  tls: none
  from: kam@example.com
recipients:
  grades: [ops@example.com]
  tender: [ops@example.com]
  review_diamond: [ops@example.com]
  review_gold: [ops@example.com]
  splits: [finance@example.com]
  roster: [ops@example.com]
  rejections: [clerk@example.com]
  admin: [admin@example.com]
log:
  format: json
http:
  listen: ""
`, dir, h.mail.port, h.catchUpMonths)
	if h.digestAt != "" {
		cfg += fmt.Sprintf("mail:\n  digest_at: %q\n", h.digestAt)
	}
	must(h.t, os.MkdirAll(filepath.Join(dir, "inbox"), 0o755))
	must(h.t, os.WriteFile(e.config, []byte(cfg), 0o644))
	entries, err := os.ReadDir(h.data)
	must(h.t, err)
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(h.data, en.Name()))
		must(h.t, err)
		must(h.t, os.WriteFile(filepath.Join(dir, "inbox", en.Name()), b, 0o644))
	}
	return e
}

// The phases of an installation's work, in order; serve runs until stopped.
var phases = []string{"migrate", "ingest", "run", "serve", "deliver"}

func (h *harness) command(e env, phase string) *exec.Cmd {
	args := map[string][]string{
		"migrate": {"migrate"}, "ingest": {"ingest"}, "run": {"run", "all"}, "serve": {"serve"}, "deliver": {"deliver"},
	}[phase]
	cmd := exec.Command(h.bin, append([]string{"--config", e.config}, args...)...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), "KAM_DB_DSN=")
	if e.dsn != "" {
		cmd.Env = append(cmd.Env, "KAM_DB_DSN=mysql://"+e.dsn)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// finish runs every phase to its end (serve for a moment, then SIGTERM).
func (h *harness) finish(e env) {
	for _, p := range phases {
		start := time.Now()
		cmd := h.command(e, p)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if p == "serve" {
			must(h.t, cmd.Start())
			time.Sleep(1500 * time.Millisecond)
			must(h.t, cmd.Process.Signal(syscall.SIGTERM))
			if err := cmd.Wait(); err != nil {
				h.t.Fatalf("kam serve: %v\n%s", err, out.String())
			}
		} else if err := cmd.Run(); err != nil {
			// run all exits 1 when a job is refused for its data: that is an outcome, not a failure here.
			if ee, ok := err.(*exec.ExitError); !(ok && p == "run" && ee.ExitCode() == 1) {
				h.t.Fatalf("kam %s: %v\n%s", p, err, out.String())
			}
		}
		if _, ok := h.elapsed[p]; !ok {
			h.elapsed[p] = time.Since(start)
		}
	}
}

// crash runs the phases before phase, then phase, killed with SIGKILL after delay.
func (h *harness) crash(e env, phase string, delay time.Duration) {
	for _, p := range phases {
		if p == phase {
			break
		}
		cmd := h.command(e, p)
		if p == "serve" {
			continue // a crash trial of a later phase skips the daemon
		}
		_ = cmd.Run()
	}
	cmd := h.command(e, phase)
	must(h.t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done: // finished before the kill
	case <-time.After(delay):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if err := <-done; err != nil {
			h.kills++
		}
	}
	h.phases[phase]++
}

func (h *harness) run() {
	t := h.t
	clean := h.newEnv("clean")
	h.finish(clean)
	want := h.snapshot(clean)
	if len(want.reports) == 0 || want.tables["revenue"] == "" {
		t.Fatalf("the clean run produced nothing: %+v", want)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	n := trials(t)
	diffs := 0
	for i := range n {
		phase := phases[rng.IntN(len(phases)-1)] // deliver is tried at every restart
		delay := time.Duration(rng.Int64N(int64(max(h.elapsed[phase], 50*time.Millisecond))))
		e := h.newEnv(fmt.Sprintf("trial%d", i))
		h.crash(e, phase, delay)
		h.finish(e)
		got := h.snapshot(e)
		if d := want.diff(got); d != "" {
			diffs++
			t.Errorf("trial %d (kill in %s after %v):\n%s", i, phase, delay, d)
		}
		h.checkMail(e)
	}
	t.Logf("RESULT store=%s trials=%d kills_hit=%d differences=%d phases=%v", h.storeName(), n, h.kills, diffs, h.phases)
}

func (h *harness) storeName() string {
	if h.mysql != "" {
		return "MariaDB"
	}
	return "SQLite"
}

// state is what a finished installation holds.
type state struct {
	tables  map[string]string // table → rows and sums
	reports map[string]string // job period file → hash of every sheet's cells but 说明
	files   map[string]string // dropped file → the folder it ended in
	running int
}

func (h *harness) open(e env) *sql.DB {
	if e.dsn != "" {
		db, err := sql.Open("mysql", e.dsn)
		must(h.t, err)
		return db
	}
	db, err := sql.Open("sqlite", filepath.Join(e.dir, "kam.db"))
	must(h.t, err)
	return db
}

// tableSums are per table the rows and sums compared; run ids, times and
// file ids differ between installations and are left out.
var tableSums = map[string]string{
	"units":         "SELECT COUNT(*), COALESCE(SUM(LENGTH(code)+LENGTH(name)),0) FROM units",
	"managers":      "SELECT COUNT(*), COALESCE(SUM(LENGTH(staff_id)+LENGTH(status)),0) FROM managers",
	"customers":     "SELECT COUNT(*), COALESCE(SUM(LENGTH(id)+LENGTH(status)+LENGTH(territory_unit)),0) FROM customers",
	"claims":        "SELECT COUNT(*), COALESCE(SUM(LENGTH(id)),0) FROM claims",
	"revenue":       "SELECT COUNT(*), COALESCE(SUM(amount),0), COALESCE(SUM(month),0) FROM revenue",
	"grades":        "SELECT COUNT(*), COALESCE(SUM(cumulative),0), COALESCE(SUM(level),0) FROM grades",
	"announcements": "SELECT COUNT(*), COALESCE(SUM(LENGTH(claim_id)),0) FROM announcements",
	"succeeded":     "SELECT COUNT(DISTINCT job, period) FROM job_runs WHERE outcome = 'succeeded'",
}

func (h *harness) snapshot(e env) state {
	db := h.open(e)
	defer db.Close()
	s := state{tables: map[string]string{}, reports: map[string]string{}, files: map[string]string{}}
	for table, q := range tableSums {
		if table == "succeeded" && e.dsn == "" {
			q = "SELECT COUNT(*) FROM (SELECT DISTINCT job, period FROM job_runs WHERE outcome = 'succeeded')"
		}
		rows, err := db.Query(q)
		must(h.t, err)
		cols, err := rows.Columns()
		must(h.t, err)
		vals := make([]any, len(cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if !rows.Next() {
			h.t.Fatalf("%s: no row (%v)", table, rows.Err())
		}
		if err := rows.Scan(ptrs...); err != nil {
			h.t.Fatalf("%s: %v", table, err)
		}
		rows.Close()
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		s.tables[table] = fmt.Sprint(vals)
	}
	// The latest archived copy of each report; its sheets' cells must agree.
	rows, err := db.Query(`SELECT job, period, file_name, id, unit, sha256 FROM reports r WHERE id = (SELECT MAX(id) FROM reports x
		WHERE x.job = r.job AND x.period = r.period AND x.file_name = r.file_name)`)
	must(h.t, err)
	type rep struct {
		key, unit, sha string
		id             int64
	}
	var reps []rep
	for rows.Next() {
		var job, period, name, unit, sha string
		var id int64
		must(h.t, rows.Scan(&job, &period, &name, &id, &unit, &sha))
		reps = append(reps, rep{job + " " + period + " " + name, unit, sha, id})
	}
	must(h.t, rows.Err())
	rows.Close()
	for _, r := range reps {
		out := filepath.Join(h.t.TempDir(), "r.bin")
		if r.unit != "" {
			// The units' hundreds of workbooks are read straight from the archive, checked
			// against their SHA-256 as kam reports get does; the city's go through the command.
			must(h.t, os.WriteFile(out, archivedBytes(h.t, db, r.id, r.sha), 0o600))
			s.reports[r.key] = cellsHash(h.t, out)
			continue
		}
		cmd := exec.Command(h.bin, "--config", e.config, "reports", "get", strconv.FormatInt(r.id, 10), "-o", out)
		cmd.Dir = e.dir
		if b, err := cmd.CombinedOutput(); err != nil {
			h.t.Fatalf("reports get %d: %v\n%s", r.id, err, b)
		}
		s.reports[r.key] = cellsHash(h.t, out)
	}
	must(h.t, db.QueryRow("SELECT COUNT(*) FROM job_runs WHERE outcome = 'running'").Scan(&s.running))
	entries, err := os.ReadDir(h.data)
	must(h.t, err)
	for _, en := range entries {
		var where []string
		for _, dir := range []string{"inbox", "processed", "rejected"} {
			if _, err := os.Stat(filepath.Join(e.dir, dir, en.Name())); err == nil {
				where = append(where, dir)
			}
		}
		s.files[en.Name()] = strings.Join(where, "+")
	}
	return s
}

// archivedBytes reads report id's chunks in order and checks them against its SHA-256.
func archivedBytes(t *testing.T, db *sql.DB, id int64, want string) []byte {
	rows, err := db.Query("SELECT data FROM report_chunks WHERE report_id = ? ORDER BY seq", id)
	must(t, err)
	defer rows.Close()
	var all []byte
	for rows.Next() {
		var chunk []byte
		must(t, rows.Scan(&chunk))
		all = append(all, chunk...)
	}
	must(t, rows.Err())
	if sum := sha256.Sum256(all); hex.EncodeToString(sum[:]) != want {
		t.Fatalf("archived report %d does not match its SHA-256", id)
	}
	return all
}

// cellsHash hashes every cell of every sheet but 说明 (which names the run and
// the generation time); a CSV is hashed whole.
func cellsHash(t *testing.T, path string) string {
	sum := sha256.New()
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	if err != nil { // a CSV
		b, err := os.ReadFile(path)
		must(t, err)
		sum.Write(b)
		return hex.EncodeToString(sum.Sum(nil))
	}
	defer f.Close()
	for _, sh := range f.GetSheetList() {
		if sh == "说明" {
			continue
		}
		rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
		must(t, err)
		fmt.Fprintf(sum, "%s%q", sh, rows)
	}
	return hex.EncodeToString(sum.Sum(nil))
}

func (want state) diff(got state) string {
	var b strings.Builder
	for k, v := range want.tables {
		if got.tables[k] != v {
			fmt.Fprintf(&b, "  table %s: %s, want %s\n", k, got.tables[k], v)
		}
	}
	keys := func(m map[string]string) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if !slices.Equal(keys(want.reports), keys(got.reports)) {
		fmt.Fprintf(&b, "  reports %v, want %v\n", keys(got.reports), keys(want.reports))
	}
	for k, v := range want.reports {
		if g, ok := got.reports[k]; ok && g != v {
			fmt.Fprintf(&b, "  report %s differs\n", k)
		}
	}
	for k, v := range want.files {
		if got.files[k] != v {
			fmt.Fprintf(&b, "  file %s in %q, want %q\n", k, got.files[k], v)
		}
	}
	if got.running != 0 {
		fmt.Fprintf(&b, "  %d runs left running\n", got.running)
	}
	return b.String()
}

// checkMail: every mail queued was delivered at least once, recognised by its
// Message-ID — a report mail folded into a digest by its digest's.
func (h *harness) checkMail(e env) {
	db := h.open(e)
	defer db.Close()
	rows, err := db.Query(`SELECT o.message_id, o.status, COALESCE(d.message_id, '') FROM outbox o
		LEFT JOIN outbox d ON d.id = o.digest_id`)
	must(h.t, err)
	defer rows.Close()
	for rows.Next() {
		var id, status, digest string
		must(h.t, rows.Scan(&id, &status, &digest))
		if status == "superseded" {
			continue
		}
		if status == "folded" {
			id = digest
		}
		if !h.mail.seen(id) {
			h.t.Errorf("%s: mail %s (%s) never reached the server", e.dir, id, status)
		}
	}
}

// mailSink is a real SMTP server in this process that remembers Message-IDs.
type mailSink struct {
	mu   sync.Mutex
	ids  map[string]int
	port int
}

func startMailSink(t *testing.T) *mailSink {
	m := &mailSink{ids: map[string]int{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{m: m}, nil }))
	srv.Domain, srv.AllowInsecureAuth, srv.MaxMessageBytes = "localhost", true, 64<<20
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	m.port = l.Addr().(*net.TCPAddr).Port
	return m
}

func (m *mailSink) seen(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ids[strings.Trim(id, "<>")] > 0
}

// count is how many times the mail with Message-ID id arrived.
func (m *mailSink) count(id string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ids[strings.Trim(id, "<>")]
}

// reset forgets every mail received: installations number their reports from 1, so Message-IDs recur.
func (m *mailSink) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ids = map[string]int{}
}

type sinkSession struct{ m *mailSink }

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *sinkSession) Reset()                               {}
func (s *sinkSession) Logout() error                        { return nil }
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Message-ID") {
			s.m.mu.Lock()
			s.m.ids[strings.Trim(strings.TrimSpace(v), "<>")]++
			s.m.mu.Unlock()
		}
		if strings.TrimSpace(line) == "" {
			break // end of the header
		}
	}
	return nil
}

// mariaDB is a private MariaDB server on a free port, killed at cleanup.
type mariaDB struct {
	t         *testing.T
	dir, data string
	port      int
	srv       *exec.Cmd
	log       bytes.Buffer
}

// startMariaDB starts a private MariaDB server and returns a root DSN without
// a database.
func startMariaDB(t *testing.T) string { return newMariaDB(t).dsn() }

func newMariaDB(t *testing.T) *mariaDB {
	if _, err := exec.LookPath("mariadbd"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mariadbd is not installed")
		}
		t.Skip("mariadbd is not installed")
	}
	m := &mariaDB{t: t, dir: t.TempDir()}
	m.data = filepath.Join(m.dir, "data")
	install := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+m.data, "--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	m.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	m.start()
	t.Cleanup(m.kill)
	return m
}

func (m *mariaDB) dsn() string { return fmt.Sprintf("root@tcp(127.0.0.1:%d)/?parseTime=true", m.port) }

// start runs the server on its data folder and waits until it answers.
func (m *mariaDB) start() {
	args := []string{"--no-defaults", "--datadir=" + m.data, "--port=" + strconv.Itoa(m.port), "--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(m.dir, "s.sock"), "--local-infile=1", "--innodb-buffer-pool-size=64M"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	m.log.Reset()
	m.srv = exec.Command("mariadbd", args...)
	m.srv.Stdout, m.srv.Stderr = &m.log, &m.log
	must(m.t, m.srv.Start())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		db, err := sql.Open("mysql", m.dsn())
		if err == nil {
			err = db.PingContext(ctx)
			db.Close()
		}
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			m.t.Fatalf("private MariaDB did not start: %v\n%s", err, m.log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// kill stops the server at once, as a crash or a power cut would.
func (m *mariaDB) kill() {
	if m.srv != nil && m.srv.Process != nil {
		_ = m.srv.Process.Kill()
		_, _ = m.srv.Process.Wait()
		m.srv = nil
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
