package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"

	"kam/domain"
	"kam/pipeline/jobs"
	"kam/store"
)

const alertsFile = "../contrib/prometheus/kam-alerts.yml"

// pending are metrics a rule may name before this branch exports them, with
// the work that adds them; once exported they are checked like the rest.
var pending = map[string]string{}

// contrib/prometheus/kam-alerts.yml is read by Prometheus's own rule parser,
// and every alert's expression is evaluated by Prometheus's query engine on
// real /metrics scrapes of kam serve, ingested as Prometheus ingests them (the
// job and instance labels; kam's own job label becomes exported_job). Every
// selector must name a metric and label values kam exports, the job rules
// must cover every registered job, every alert must stay silent on a healthy
// kam and fire on a sick one: a job overdue, a job that failed and never
// succeeded, a file rejected, mail stuck, a dead letter, a file left in the inbox, a report 待更正, no scrape.
func TestAlertRulesFireOnWhatKamExports(t *testing.T) {
	groups, errs := rulefmt.ParseFile(alertsFile, false, model.UTF8Validation, parser.NewParser(parser.Options{}), nil)
	if len(errs) > 0 {
		t.Fatalf("Prometheus's rule parser refuses %s: %v", alertsFile, errors.Join(errs...))
	}
	var rules []rulefmt.Rule
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("%s: a recording rule (%s) where alerts are expected", alertsFile, r.Record)
			}
			rules = append(rules, r)
		}
	}

	// A healthy kam: data loaded (one file rejected on the way), every job run but roster, mail queued.
	cfg := testConfig(t, t.TempDir())
	app, c, logs := newApp(t, cfg, testNow)
	seed(t, app)
	ctx := context.Background()
	// The data end in 2026-10; roster first runs when sick; seed ran splits.
	periods := map[string]string{"grade": "2026Q3", "review-diamond": "2026-10", "review-gold": "2026-10", "tender": "2026-11-30"}
	for _, j := range jobs.All() {
		if j.Name == "roster" || j.Name == "splits" {
			continue
		}
		if _, err := app.RunJob(ctx, j.Name, jobs.RunRequest{Period: periods[j.Name], Trigger: jobs.TriggerManual, AllowIncomplete: true}); err != nil {
			t.Fatalf("run %s: %v", j.Name, err)
		}
	}
	k := start(t, app, c, logs)
	healthyAt := c.Now()
	healthy := scrape(t, k)

	// Sick, 40 days on: nothing has run since, roster fails at its first run, a file was
	// rejected, and a file lies in the inbox for an hour; queued mail was never sent.
	c.Add(40 * 24 * time.Hour)
	app.FailPublish = func() error { return errors.New("磁盘已满（测试）") }
	if _, err := app.RunJob(ctx, "roster", jobs.RunRequest{Period: "2026-10", Trigger: jobs.TriggerManual, AllowIncomplete: true}); err == nil {
		t.Fatal("roster succeeded with its publish failing")
	}
	app.FailPublish = nil
	mustWrite(t, filepath.Join(cfg.Paths.Inbox, "坏文件.csv"), "甲,乙\n1,2\n")
	if _, err := app.Ingest(ctx); err != nil {
		t.Fatal(err)
	}
	// One mail refused for good: a dead letter.
	var dead int64
	mustDo(t, app.Store.DB().Get(&dead, "SELECT MIN(id) FROM outbox WHERE status = 'queued'"))
	mustDo(t, app.Store.MailAttemptFailed(ctx, dead, "550 5.1.1 mailbox unavailable", c.Now(), true))
	// A late revenue file changes the October splits already published: 待更正.
	mustDo(t, app.Store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.RecordFile(store.FileRecord{Name: "revenue_2026-10_补录.csv", SHA256: "late", Size: 1,
			Kind: domain.KindRevenue, Outcome: store.FileLoaded, StartedAt: c.Now()}); err != nil {
			return err
		}
		return tx.PutRevenue([]domain.Revenue{{Customer: "KH0000001", Month: 202610, Line: "函件", Unit: "DG000", Amount: 100_000}})
	}))
	if _, err := jobs.MarkStale(ctx, app.App); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(cfg.Paths.Inbox, "还在复制.csv")
	mustWrite(t, left, "客户编号,月份\n")
	mustDo(t, os.Chtimes(left, c.Now().Add(-time.Hour), c.Now().Add(-time.Hour)))
	sickAt := c.Now()
	sick := scrape(t, k)

	// up is Prometheus's own series for every target.
	up := []labels.Labels{labels.FromStrings(labels.MetricName, "up", "job", "kam", "instance", strings.TrimPrefix(k.Base, "http://"))}
	exported := map[string]bool{}
	for _, s := range slices.Concat(healthy, sick, up) {
		exported[s.Get(labels.MetricName)] = true
	}
	for name, work := range pending {
		if exported[name] {
			continue
		}
		for e := range exported {
			if strings.HasPrefix(e, strings.TrimSuffix(name, "_total")) {
				t.Errorf("kam exports %s, not %s as the rules expect: rename one", e, name)
			}
		}
		t.Logf("%s is not exported yet (%s): its rule is parsed and evaluated, not required to fire", name, work)
	}

	// Every registered job is in a rule on its last success, and every job a rule names exists.
	covered := map[string]bool{}
	for _, r := range rules {
		expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr)
		if err != nil {
			t.Fatalf("%s: %v", r.Alert, err)
		}
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			vs, ok := n.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			if _, later := pending[vs.Name]; later && !exported[vs.Name] {
				return nil
			}
			if !exported[vs.Name] {
				t.Errorf("%s names %s, which kam does not export (it exports %v)", r.Alert, vs.Name, slices.Sorted(maps.Keys(exported)))
				return nil
			}
			if !matchesAny(vs.LabelMatchers, healthy, sick, up) {
				t.Errorf("%s: %s matches no series kam exports", r.Alert, vs)
			}
			for _, m := range vs.LabelMatchers {
				if vs.Name != "kam_job_last_success_timestamp_seconds" || m.Name != "exported_job" {
					continue
				}
				for _, j := range jobs.All() {
					if m.Matches(j.Name) {
						covered[j.Name] = true
					}
				}
				for _, v := range strings.Split(m.Value, "|") {
					if _, ok := jobs.Lookup(v); !ok {
						t.Errorf("%s names job %q, which is not registered", r.Alert, v)
					}
				}
			}
			return nil
		})
	}
	for _, j := range jobs.All() {
		if !covered[j.Name] {
			t.Errorf("no rule watches job %s's last success", j.Name)
		}
	}

	eng := promql.NewEngine(promql.EngineOpts{MaxSamples: 1_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	fired := func(db *memSeries, at time.Time, r rulefmt.Rule) []string {
		q, err := eng.NewInstantQuery(ctx, db, nil, r.Expr, at)
		if err != nil {
			t.Fatalf("%s: %v", r.Alert, err)
		}
		defer q.Close()
		res := q.Exec(ctx)
		if res.Err != nil {
			t.Fatalf("%s: %v", r.Alert, res.Err)
		}
		v, err := res.Vector()
		if err != nil {
			t.Fatalf("%s: %v", r.Alert, err)
		}
		var out []string
		for _, s := range v {
			out = append(out, s.Metric.String())
		}
		return out
	}
	// Two hours of scrapes a minute apart: healthy throughout, or healthy then sick for the last half hour.
	well := newMemSeries()
	well.scraped(healthy, healthyAt.Add(-2*time.Hour), healthyAt, 1)
	ill := newMemSeries()
	ill.scraped(healthy, sickAt.Add(-2*time.Hour), sickAt.Add(-31*time.Minute), 1)
	ill.scraped(sick, sickAt.Add(-30*time.Minute), sickAt, 0)
	for _, r := range rules {
		if got := fired(well, healthyAt, r); len(got) > 0 {
			t.Errorf("%s fires on a healthy kam: %v", r.Alert, got)
		}
		got := fired(ill, sickAt, r)
		t.Logf("%s on the sick kam: %v", r.Alert, got)
		if len(got) == 0 && !slices.ContainsFunc(slices.Collect(maps.Keys(pending)), func(m string) bool { return strings.Contains(r.Expr, m) && !exported[m] }) {
			t.Errorf("%s does not fire on a sick kam", r.Alert)
		}
	}
	// The job rules name the sick jobs: roster failed and never succeeded; 40 days on, the daily and
	// monthly jobs are overdue, and 100 days on (nothing run since the healthy scrape) every job is.
	later := newMemSeries()
	later.scraped(healthy, healthyAt.Add(100*24*time.Hour-2*time.Hour), healthyAt.Add(100*24*time.Hour), 1)
	for _, want := range []struct {
		alert string
		db    *memSeries
		at    time.Time
		jobs  []string
	}{
		{"KamJobNeverSucceeded", ill, sickAt, []string{"roster"}},
		{"KamJobFailed", ill, sickAt, []string{"roster"}},
		{"KamJobOverdue", ill, sickAt, []string{"tender", "splits", "review-diamond"}},
		{"KamJobOverdue", later, healthyAt.Add(100 * 24 * time.Hour), []string{"tender", "splits", "review-diamond", "review-gold", "grade"}},
	} {
		for _, r := range rules {
			if r.Alert != want.alert {
				continue
			}
			got := fired(want.db, want.at, r)
			for _, j := range want.jobs {
				if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, `exported_job="`+j+`"`) }) {
					t.Errorf("%s at %s does not name job %s: %v", want.alert, want.at.Format(time.DateOnly), j, got)
				}
			}
		}
	}
}

// scrape reads /metrics as Prometheus would, and labels each series with the
// target's job and instance: kam's own job label becomes exported_job.
func scrape(t *testing.T, k *kamWeb) []labels.Labels {
	t.Helper()
	code, body := get(t, client(t), k.Base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics %d: %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	target := map[string]string{"job": "kam", "instance": strings.TrimPrefix(k.Base, "http://")}
	var out []labels.Labels
	for name, f := range families {
		for _, m := range f.GetMetric() {
			b := labels.NewBuilder(labels.EmptyLabels())
			b.Set(labels.MetricName, name)
			for _, l := range m.GetLabel() {
				n := l.GetName()
				if _, clash := target[n]; clash {
					n = "exported_" + n
				}
				b.Set(n, l.GetValue())
			}
			for n, v := range target {
				b.Set(n, v)
			}
			var v float64
			switch {
			case m.Gauge != nil:
				v = m.Gauge.GetValue()
			case m.Counter != nil:
				v = m.Counter.GetValue()
			case m.Untyped != nil:
				v = m.Untyped.GetValue()
			default:
				t.Fatalf("%s: kam exports only gauges and counters", name)
			}
			b.Set("__value__", fmt.Sprint(v)) // carried to memSeries.scraped, removed there
			out = append(out, b.Labels())
		}
	}
	return out
}

// matchesAny: some series of the scrapes has every matcher.
func matchesAny(ms []*labels.Matcher, scrapes ...[]labels.Labels) bool {
	for _, sc := range scrapes {
		for _, s := range sc {
			if !slices.ContainsFunc(ms, func(m *labels.Matcher) bool { return !m.Matches(s.Get(m.Name)) }) {
				return true
			}
		}
	}
	return false
}

func mustWrite(t *testing.T, path, body string) {
	t.Helper()
	mustDo(t, os.MkdirAll(filepath.Dir(path), 0o755))
	mustDo(t, os.WriteFile(path, []byte(body), 0o644))
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// memSeries is a Prometheus storage of the test's scrapes, for the query engine.
type memSeries struct {
	series map[string]*storage.SeriesEntry
	lsets  map[string]labels.Labels
	points map[string][]chunks.Sample
}

func newMemSeries() *memSeries {
	return &memSeries{series: map[string]*storage.SeriesEntry{}, lsets: map[string]labels.Labels{}, points: map[string][]chunks.Sample{}}
}

// scraped adds the scrape's values once a minute from..to; up is Prometheus's: 1 scraped, 0 not.
func (m *memSeries) scraped(scrape []labels.Labels, from, to time.Time, up float64) {
	var target labels.Labels
	for ts := from; !ts.After(to); ts = ts.Add(time.Minute) {
		for _, s := range scrape {
			var v float64
			fmt.Sscan(s.Get("__value__"), &v)
			ls := labels.NewBuilder(s).Del("__value__").Labels()
			m.add(ls, ts, v)
			target = labels.FromStrings(labels.MetricName, "up", "job", s.Get("job"), "instance", s.Get("instance"))
		}
		m.add(target, ts, up)
	}
}

func (m *memSeries) add(ls labels.Labels, ts time.Time, v float64) {
	k := ls.String()
	m.lsets[k] = ls
	m.points[k] = append(m.points[k], sample{t: ts.UnixMilli(), f: v})
}

func (m *memSeries) Querier(mint, maxt int64) (storage.Querier, error) { return m, nil }

func (m *memSeries) Select(_ context.Context, _ bool, _ *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	keys := slices.Sorted(maps.Keys(m.lsets))
	var out []storage.Series
	for _, k := range keys {
		ls := m.lsets[k]
		if slices.ContainsFunc(ms, func(mt *labels.Matcher) bool { return !mt.Matches(ls.Get(mt.Name)) }) {
			continue
		}
		out = append(out, storage.NewListSeries(ls, m.points[k]))
	}
	return &seriesSet{list: out, i: -1}
}

func (m *memSeries) LabelValues(context.Context, string, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

func (m *memSeries) LabelNames(context.Context, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

func (m *memSeries) Close() error { return nil }

type seriesSet struct {
	list []storage.Series
	i    int
}

func (s *seriesSet) Next() bool                        { s.i++; return s.i < len(s.list) }
func (s *seriesSet) At() storage.Series                { return s.list[s.i] }
func (s *seriesSet) Err() error                        { return nil }
func (s *seriesSet) Warnings() annotations.Annotations { return nil }

// sample is one float sample (chunks.Sample).
type sample struct {
	t int64
	f float64
}

func (s sample) T() int64                      { return s.t }
func (s sample) ST() int64                     { return 0 }
func (s sample) F() float64                    { return s.f }
func (s sample) H() *histogram.Histogram       { return nil }
func (s sample) FH() *histogram.FloatHistogram { return nil }
func (s sample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s sample) Copy() chunks.Sample           { return s }

// The rule parser and query engine are the tests' alone: none of Prometheus's
// server packages may reach the kam binary.
func TestPrometheusStaysOutOfTheBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "kam/cmd/kam").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/prometheus/prometheus/") {
			t.Errorf("kam imports %s", p)
		}
	}
}
