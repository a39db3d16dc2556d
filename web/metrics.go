package web

import (
	"context"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kam/pipeline/jobs"
	"kam/store"
)

// collector reads every metric from the store at scrape time, so the numbers
// are right across restarts and for several kam instances on one database.
type collector struct{ s *Server }

var (
	descLastSuccess = prometheus.NewDesc("kam_job_last_success_timestamp_seconds",
		"When the job's latest successful run finished (Unix time).", []string{"job"}, nil)
	descLastDuration = prometheus.NewDesc("kam_job_last_duration_seconds",
		"How long the job's latest finished run took.", []string{"job"}, nil)
	descRuns = prometheus.NewDesc("kam_job_runs_total",
		"Finished runs of the job by outcome (succeeded, failed, refused).", []string{"job", "outcome"}, nil)
	descFiles = prometheus.NewDesc("kam_files_total",
		"Files taken from the inbox by outcome (loaded, rejected, duplicate).", []string{"outcome"}, nil)
	descRevenueRows = prometheus.NewDesc("kam_revenue_rows_loaded_total",
		"Revenue rows in loaded revenue files.", nil, nil)
	descQueue = prometheus.NewDesc("kam_mail_queue_depth",
		"Mails queued and not yet sent.", nil, nil)
	descOldest = prometheus.NewDesc("kam_mail_oldest_queued_age_seconds",
		"Age of the oldest queued mail; 0 when none is queued.", nil, nil)
	descHeld = prometheus.NewDesc("kam_mail_held",
		"Report mails held for the delivery window (mail.digest_at, 待汇总), to go as one digest per recipient.", nil, nil)
	descDead = prometheus.NewDesc("kam_mail_dead_letters",
		"Mails given up (死信: refused for good, or smtp.max_attempts used up) and not queued again by kam deliver --retry-dead.", nil, nil)
	descStale = prometheus.NewDesc("kam_reports_stale",
		"Published reports (job, period) a later file changed the data of: 待更正 until re-issued (SPEC §5.2).", []string{"job"}, nil)
	descBuild = prometheus.NewDesc("kam_build_info",
		"kam's version and the Go it was built with; always 1.", []string{"version", "goversion"}, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLastSuccess, descLastDuration, descRuns, descFiles, descRevenueRows, descQueue, descOldest, descHeld, descDead, descStale, descBuild} {
		ch <- d
	}
}

// Collect reads the store; a database that does not answer fails the scrape
// (promhttp answers 500) rather than reporting zeros.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, c.s.version, runtime.Version())
	m, err := readMetrics(ctx, c.s.app.Store, c.s.now())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descQueue, err)
		return
	}
	for job, t := range m.lastSuccess {
		ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, float64(t.UnixMilli())/1000, job)
	}
	for job, d := range m.lastDuration {
		ch <- prometheus.MustNewConstMetric(descLastDuration, prometheus.GaugeValue, d.Seconds(), job)
	}
	for _, j := range jobs.All() { // every job's outcomes have a series from the start: a first failure shows in increase()
		for _, o := range []string{store.RunSucceeded, store.RunFailed, store.RunRefused, store.RunInterrupted} {
			m.runs[[2]string{j.Name, o}] += 0
		}
	}
	for k, n := range m.runs {
		ch <- prometheus.MustNewConstMetric(descRuns, prometheus.CounterValue, float64(n), k[0], k[1])
	}
	for _, o := range []store.FileOutcome{store.FileLoaded, store.FileRejected, store.FileDuplicate} {
		m.files[string(o)] += 0 // every outcome has a series from the start, so rate() works at once
	}
	for outcome, n := range m.files {
		ch <- prometheus.MustNewConstMetric(descFiles, prometheus.CounterValue, float64(n), outcome)
	}
	ch <- prometheus.MustNewConstMetric(descRevenueRows, prometheus.CounterValue, float64(m.revenueRows))
	ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(m.queued))
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, m.oldestQueued.Seconds())
	ch <- prometheus.MustNewConstMetric(descHeld, prometheus.GaugeValue, float64(m.held))
	ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(m.dead))
	for _, j := range jobs.All() { // every job has a series from the start: an alert on > 0 sees it appear
		m.stale[j.Name] += 0
	}
	for job, n := range m.stale {
		ch <- prometheus.MustNewConstMetric(descStale, prometheus.GaugeValue, float64(n), job)
	}
}

type metrics struct {
	lastSuccess  map[string]time.Time
	lastDuration map[string]time.Duration
	runs         map[[2]string]int64 // (job, outcome)
	files        map[string]int64
	revenueRows  int64
	queued       int
	held         int
	oldestQueued time.Duration
	dead         int
	stale        map[string]int // 待更正 reports per job
}

// readMetrics aggregates the run, file and mail records (read-only SQL the
// store does not offer as a method; both dialects accept it).
func readMetrics(ctx context.Context, st *store.Store, now time.Time) (metrics, error) {
	db := st.DB()
	m := metrics{lastSuccess: map[string]time.Time{}, lastDuration: map[string]time.Duration{},
		runs: map[[2]string]int64{}, files: map[string]int64{}, stale: map[string]int{}}
	var latest []struct {
		Job      string     `db:"job"`
		Outcome  string     `db:"outcome"`
		Started  store.When `db:"started_at"`
		Finished store.When `db:"finished_at"`
	}
	// Per job, the latest finished run and the latest succeeded one.
	err := db.SelectContext(ctx, &latest, `SELECT job, outcome, started_at, finished_at FROM job_runs
		WHERE id IN (SELECT MAX(id) FROM job_runs WHERE finished_at IS NOT NULL GROUP BY job)
		   OR id IN (SELECT MAX(id) FROM job_runs WHERE outcome = 'succeeded' GROUP BY job)
		ORDER BY id`)
	if err != nil {
		return m, err
	}
	for _, r := range latest {
		if !r.Finished.Valid {
			continue
		}
		if r.Outcome == store.RunSucceeded {
			m.lastSuccess[r.Job] = r.Finished.Time
		}
		if r.Started.Valid {
			m.lastDuration[r.Job] = r.Finished.Time.Sub(r.Started.Time) // ordered by id: the latest wins
		}
	}
	var runs []struct {
		Job     string `db:"job"`
		Outcome string `db:"outcome"`
		N       int64  `db:"n"`
	}
	if err := db.SelectContext(ctx, &runs, `SELECT job, outcome, COUNT(*) AS n FROM job_runs
		WHERE outcome <> 'running' GROUP BY job, outcome`); err != nil {
		return m, err
	}
	for _, r := range runs {
		m.runs[[2]string{r.Job, r.Outcome}] = r.N
	}
	var files []struct {
		Outcome string `db:"outcome"`
		N       int64  `db:"n"`
	}
	if err := db.SelectContext(ctx, &files, `SELECT outcome, COUNT(*) AS n FROM files GROUP BY outcome`); err != nil {
		return m, err
	}
	for _, f := range files {
		m.files[f.Outcome] = f.N
	}
	if err := db.GetContext(ctx, &m.revenueRows, `SELECT COALESCE(SUM(row_count), 0) FROM files
		WHERE outcome = 'loaded' AND kind = 'revenue'`); err != nil {
		return m, err
	}
	b, err := st.MailBacklog(ctx)
	if err != nil {
		return m, err
	}
	m.queued, m.held, m.dead = b.Queued, b.Held, b.Dead
	if b.OldestQueued.Valid {
		m.oldestQueued = max(now.Sub(b.OldestQueued.Time), 0)
	}
	stale, err := st.StaleIssues(ctx)
	if err != nil {
		return m, err
	}
	for _, is := range stale {
		m.stale[is.Job]++
	}
	return m, nil
}
