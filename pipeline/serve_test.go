package pipeline

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"

	"kam/config"
	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/daemon"
	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// secondStore opens another store on the MySQL database s uses, as a second kam instance would.
func secondStore(t *testing.T, s *store.Store) *store.Store {
	t.Helper()
	var name string
	mustDo(t, s.DB().Get(&name, "SELECT DATABASE()"))
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(os.Getenv(storetest.EnvMySQLDSN), "mysql://"))
	mustDo(t, err)
	cfg.DBName = name
	s2, err := store.Open(t.Context(), store.Options{DSN: cfg.FormatDSN(), Log: zerolog.Nop()})
	mustDo(t, err)
	t.Cleanup(func() { s2.Close() })
	return s2
}

// Two instances on one MariaDB database walk the same schedule at the same time, then both
// restart after an outage and catch up together: every (job, period) runs exactly once.
func TestTwoInstancesRunEachPeriodOnce(t *testing.T) {
	s1 := storetest.OpenMySQL(t)
	s2 := secondStore(t, s1)
	r := &recorder{file: true}
	var scheds []*daemon.Scheduler
	var clocks []*clock
	ranBy := map[*core.App]int{}
	var mu sync.Mutex
	for _, s := range []*store.Store{s1, s2} {
		a := newTestApp(t, s, time.Time{})
		a.Cfg.Recipients.Reports["grades"] = []string{"ops@example.com"}
		a.Cfg.Recipients.Reports["tender"] = []string{"ops@example.com"}
		sched, clk := testScheduler(t, a, r, time.Time{})
		for name, j := range sched.Plan.Jobs {
			run := j.Run
			j.Run = func(ctx context.Context, a *core.App, period string, asOf domain.Date, out *jobs.Output) error {
				mu.Lock()
				ranBy[a]++
				mu.Unlock()
				time.Sleep(3 * time.Millisecond) // long enough for the other instance to arrive meanwhile
				return run(ctx, a, period, asOf, out)
			}
			sched.Plan.Jobs[name] = j
		}
		scheds, clocks = append(scheds, sched), append(clocks, clk)
	}
	loc := scheds[0].Plan.Loc
	due, err := scheds[0].Plan.Due(time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 3, 15, 0, 0, 0, 0, loc))
	mustDo(t, err)

	both := func(fn func(i int)) {
		var wg sync.WaitGroup
		for i := range scheds {
			wg.Go(func() { fn(i) })
		}
		wg.Wait()
	}
	// Both instances meet each firing at the same moment, as two daemons on one schedule do.
	for _, f := range due {
		both(func(i int) {
			clocks[i].Set(f.At)
			scheds[i].Fire(t.Context(), f.Job)
		})
	}
	both(func(i int) {
		clocks[i].Set(time.Date(2026, 5, 1, 9, 0, 0, 0, loc)) // both down from 15 March to 1 May
		scheds[i].CatchUp(t.Context(), t.Context())
	})

	runs := map[string]int{}
	for _, l := range r.take() {
		f := strings.Fields(l)
		runs[f[2]+" "+f[3]]++
	}
	for k, n := range runs {
		if n != 1 {
			t.Errorf("%s ran %d times", k, n)
		}
	}
	// To 15 March: 73 days of tender, splits and diamond ×3, gold ×2, grade ×1, roster ×2, 10 Mondays of
	// maintenance. The catch-up to 1 May: 48 tender days, roster 2026-02 and 2026-03, splits and diamond
	// 2026-03, grade 2026Q1, 7 Mondays of maintenance (16 March to 27 April).
	if want := 73 + 11 + 10 + 48 + 5 + 7; len(runs) != want {
		t.Errorf("%d (job, period) ran, want %d", len(runs), want)
	}
	var total, succeeded, reports, mails int
	mustDo(t, s1.DB().Get(&total, "SELECT COUNT(*) FROM job_runs"))
	mustDo(t, s1.DB().Get(&succeeded, "SELECT COUNT(DISTINCT job, period) FROM job_runs WHERE outcome = 'succeeded'"))
	mustDo(t, s1.DB().Get(&reports, "SELECT COUNT(*) FROM reports"))
	mustDo(t, s1.DB().Get(&mails, "SELECT COUNT(*) FROM outbox"))
	if total != len(runs) || succeeded != len(runs) || reports != len(runs) {
		t.Errorf("%d runs recorded, %d (job, period) succeeded, %d reports archived; want %d each", total, succeeded, reports, len(runs))
	}
	tenderAndGrade := 0
	for k := range runs {
		if strings.HasPrefix(k, "tender ") || strings.HasPrefix(k, "grade ") {
			tenderAndGrade++
		}
	}
	// Racing through the catch-up, one instance may publish a period after
	// the other has published a newer one. Delivered, no recipient gets a
	// report of an older period after a newer one of the same job: the late
	// older mail is superseded, never sent.
	// An older period published after a newer one is not even queued.
	if mails > tenderAndGrade || mails < tenderAndGrade-48 {
		t.Errorf("%d mails queued, want one per tender and grade report (%d), less those the catch-up race made moot", mails, tenderAndGrade)
	}
	server := startMailServer(t)
	a := scheds[0].App
	a.Cfg.SMTP.Host, a.Cfg.SMTP.Port, a.Cfg.SMTP.TLS, a.Cfg.SMTP.From = "127.0.0.1", server.port(), "none", "kam@example.com"
	if _, err := New(a).Deliver(t.Context()); err != nil {
		t.Fatal(err)
	}
	var sent []struct {
		Recipient string `db:"recipient"`
		Job       string `db:"job"`
		Period    string `db:"period"`
	}
	mustDo(t, s1.DB().Select(&sent, `SELECT o.recipient, r.job, r.period FROM outbox o JOIN reports r ON r.id = o.report_id
		WHERE o.status = 'sent' ORDER BY o.next_attempt_at, o.id`))
	latest := map[string]string{}
	for _, m := range sent {
		k := m.Recipient + " " + m.Job
		if m.Period <= latest[k] {
			t.Errorf("%s: %s %s sent after %s", m.Recipient, m.Job, m.Period, latest[k])
		}
		latest[k] = m.Period
	}
	var superseded int
	mustDo(t, s1.DB().Get(&superseded, "SELECT COUNT(*) FROM outbox WHERE status = 'superseded'"))
	if len(sent)+superseded != mails || len(server.messages()) != len(sent) {
		t.Errorf("%d sent + %d superseded of %d queued; the server got %d", len(sent), superseded, mails, len(server.messages()))
	}
	t.Logf("runs by instance: %d and %d", ranBy[scheds[0].App], ranBy[scheds[1].App])
}

// quietSchedule schedules grade only, so a test's catch-up runs one job.
func quietSchedule(grace time.Duration) config.Schedule {
	return config.Schedule{Jobs: map[string]string{"grade": jobs.DefaultConfig().Schedule.Jobs["grade"]}, Grace: config.Duration{Duration: grace}, CatchUpMonths: 12}
}

// waitFor polls cond until it holds or five seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func runOutcomes(t *testing.T, s *store.Store) []string {
	var out []string
	mustDo(t, s.DB().Select(&out, "SELECT CONCAT(job, ' ', period, ' ', triggered_by, ' ', outcome) FROM job_runs ORDER BY id"))
	return out
}

// Stopped mid-job after the grace period, Serve aborts the run (it rolls back: nothing archived)
// and returns; the next start catches the period up.
func TestServeAbortsAfterGraceAndTheNextStartCompletes(t *testing.T) {
	s := storetest.OpenSQLite(t)
	a := newTestApp(t, s, time.Time{})
	a.Cfg.Schedule = quietSchedule(100 * time.Millisecond)
	r := &recorder{file: true, block: make(chan struct{})}
	sched, _ := testScheduler(t, a, r, time.Date(2026, 7, 12, 9, 0, 0, 0, a.Cfg.Location()))

	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error)
	go func() { served <- sched.Serve(ctx) }()
	waitFor(t, "the run to start", func() bool { return len(r.take()) > 0 })
	stop()
	select {
	case err := <-served:
		mustDo(t, err)
	case <-time.After(3 * time.Second):
		t.Fatal("Serve did not return after the grace period")
	}
	wantEqual(t, "after the abort", runOutcomes(t, s), []string{"grade 2026Q2 catch-up failed"})
	runs, _ := s.RecentRuns(t.Context(), 1)
	if !strings.Contains(runs[0].Error, jobs.ErrShutdown.Error()) {
		t.Errorf("aborted run's error: %q", runs[0].Error)
	}
	if reps, _ := s.ListReports(t.Context(), store.ReportFilter{}, 10); len(reps) != 0 {
		t.Errorf("an aborted run archived %+v", reps)
	}

	r.block = nil
	ctx, stop = context.WithCancel(t.Context())
	go func() { served <- sched.Serve(ctx) }()
	waitFor(t, "the catch-up to succeed", func() bool {
		return len(runOutcomes(t, s)) == 2 && strings.HasSuffix(runOutcomes(t, s)[1], "succeeded")
	})
	stop()
	mustDo(t, <-served)
	wantEqual(t, "after the restart", runOutcomes(t, s), []string{"grade 2026Q2 catch-up failed", "grade 2026Q2 catch-up succeeded"})
	if _, err := os.Stat(filepath.Join(a.Cfg.Paths.Reports, "grade_2026Q2.xlsx")); err != nil {
		t.Error(err)
	}
}

// A run that finishes within the grace period is left to finish.
func TestServeLetsARunFinishWithinGrace(t *testing.T) {
	s := storetest.OpenSQLite(t)
	a := newTestApp(t, s, time.Time{})
	a.Cfg.Schedule = quietSchedule(5 * time.Second)
	r := &recorder{block: make(chan struct{})}
	sched, _ := testScheduler(t, a, r, time.Date(2026, 7, 12, 9, 0, 0, 0, a.Cfg.Location()))
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error)
	go func() { served <- sched.Serve(ctx) }()
	waitFor(t, "the run to start", func() bool { return len(r.take()) > 0 })
	stop()
	time.Sleep(50 * time.Millisecond)
	close(r.block)
	mustDo(t, <-served)
	wantEqual(t, "runs", runOutcomes(t, s), []string{"grade 2026Q2 catch-up succeeded"})
}

func TestSecondServeOnSQLiteIsRefused(t *testing.T) {
	dir := t.TempDir()
	open := func() *App {
		s, err := store.Open(t.Context(), store.Options{SQLitePath: filepath.Join(dir, "kam.db"), Log: zerolog.Nop()})
		mustDo(t, err)
		t.Cleanup(func() { s.Close() })
		a := newTestApp(t, s, time.Now())
		a.Cfg.Schedule = config.Schedule{CatchUpMonths: 12}
		return a
	}
	first, second := open(), open()
	var log lockedBuffer
	first.Log = zerolog.New(&log)
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- first.Serve(ctx) }()
	waitFor(t, "the first serve to start", func() bool { return strings.Contains(log.String(), "kam serve 已启动") })
	// Bounded: a second serve that is wrongly let in would otherwise run until the test times out.
	ctx2, cancel2 := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel2()
	err := second.Serve(ctx2)
	var ue *domain.Error
	if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "另一个 kam serve 正在使用数据库") {
		t.Errorf("second serve: %v", err)
	}
	stop()
	mustDo(t, <-served)
}

// lockedBuffer is a log a test reads while another goroutine writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A taken http.listen fails the start naming the key, and nothing is scheduled.
func TestServeWebOnATakenPortFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	mustDo(t, err)
	defer l.Close()
	a := newTestApp(t, storetest.OpenSQLite(t), time.Now())
	a.Cfg.Schedule = config.Schedule{}
	a.Cfg.HTTP.Listen = l.Addr().String()
	err = a.ServeWeb(t.Context(), daemon.Web{Handler: func(*daemon.Scheduler) (http.Handler, error) { return http.NotFoundHandler(), nil }})
	if err == nil || !strings.Contains(err.Error(), "http.listen") {
		t.Errorf("serve on a taken port: %v", err)
	}
}

// The web side answers while the schedule runs and until after it has
// stopped, so a health check can see the stop; then the port is closed.
func TestServeWebStopsAfterTheScheduler(t *testing.T) {
	a := newTestApp(t, storetest.OpenSQLite(t), time.Now())
	a.Cfg.Schedule = config.Schedule{}
	a.Cfg.HTTP.Listen = "127.0.0.1:0"
	var sched *daemon.Scheduler
	addr := make(chan net.Addr, 1)
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() {
		served <- a.ServeWeb(ctx, daemon.Web{
			Handler: func(s *daemon.Scheduler) (http.Handler, error) {
				sched = s
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !s.Running() {
						w.WriteHeader(http.StatusServiceUnavailable)
					}
				}), nil
			},
			Listening: func(a net.Addr) { addr <- a },
		})
	}()
	base := "http://" + (<-addr).String()
	waitFor(t, "the schedule to run", func() bool { return sched.Running() })
	resp, err := http.Get(base)
	mustDo(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("while running: %d", resp.StatusCode)
	}
	stop()
	mustDo(t, <-served)
	if sched.Running() {
		t.Error("the scheduler still says it runs")
	}
	if _, err := http.Get(base); err == nil {
		t.Error("the web side still answers after Serve returned")
	}
}
