package web

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"kam/config"
	"kam/domain"
	"kam/gen"
	"kam/pipeline"
	"kam/pipeline/core"
	"kam/pipeline/daemon"
	"kam/pipeline/jobs"
	"kam/store"
)

const (
	testUser     = "admin"
	testPassword = "正确的密码 42"
	testLinkKey  = "link-key-never-shown-4b1d"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// syncBuffer is a log sink the server writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// kamWeb is a kam serve running in the test process on a real store.
type kamWeb struct {
	App   *pipeline.App
	Clock *clock
	Log   *syncBuffer
	Base  string // http://127.0.0.1:PORT
	stop  context.CancelFunc
	done  chan error
	once  sync.Once
}

// testConfig is a config on temp folders with nothing scheduled but the given specs.
func testConfig(t *testing.T, dir string) config.Config {
	t.Helper()
	cfg := jobs.DefaultConfig()
	cfg.DB.SQLitePath = filepath.Join(dir, "kam.db")
	cfg.Paths = config.Paths{Inbox: filepath.Join(dir, "inbox"), Processed: filepath.Join(dir, "processed"),
		Rejected: filepath.Join(dir, "rejected"), Reports: filepath.Join(dir, "reports")}
	cfg.Ingest.QuietPeriod = config.Duration{}
	cfg.Ingest.IncompleteWait = config.Duration{} // the tests' clocks stand before their files' times
	cfg.Schedule = config.Schedule{Jobs: map[string]string{}, Grace: config.Duration{Duration: time.Second}}
	cfg.Mail.DigestAt = "" // each report's own mail, as the tests read it
	cfg.HTTP.Listen = "127.0.0.1:0"
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.Users = []config.HTTPUser{{Name: testUser, PasswordHash: string(hash)}}
	cfg.HTTP.LinkKey = testLinkKey
	return cfg
}

// newApp opens a store for cfg (MySQL when dsn is set) with the clock at now.
func newApp(t *testing.T, cfg config.Config, now time.Time) (*pipeline.App, *clock, *syncBuffer) {
	t.Helper()
	t.Setenv("KAM_HTTP_LINK_KEY", "")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := zerolog.New(logs).Level(zerolog.InfoLevel)
	c := &clock{t: now}
	st, err := store.Open(context.Background(), store.Options{DSN: cfg.DB.DSN, SQLitePath: cfg.DB.SQLitePath, Log: log, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return pipeline.New(&core.App{Cfg: cfg, Store: st, Log: log, Now: c.Now}), c, logs
}

// seed fills the store as a bureau's first days would: a generated extract
// plus one file it rejects, scanned once, and a splits run.
func seed(t *testing.T, app *pipeline.App) {
	t.Helper()
	ctx := context.Background()
	if _, err := gen.Run(ctx, gen.Options{Out: app.Cfg.Paths.Inbox, Customers: 60, Months: 3, Seed: 7,
		End: domain.NewMonth(2026, 10), Now: time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app.Cfg.Paths.Inbox, "不明.csv"), []byte("甲,乙\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Ingest(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := app.RunJob(ctx, "splits", jobs.RunRequest{Period: "2026-10", Trigger: jobs.TriggerManual}); err != nil {
		t.Fatal(err)
	}
}

// start runs app.ServeWeb with the web side, as `kam serve` does, until the test ends.
func start(t *testing.T, app *pipeline.App, c *clock, logs *syncBuffer) *kamWeb {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	k := &kamWeb{App: app, Clock: c, Log: logs, stop: cancel, done: make(chan error, 1)}
	go func() {
		k.done <- app.ServeWeb(ctx, daemon.Web{
			Handler:   func(s *daemon.Scheduler) (http.Handler, error) { return New(app, s, "test") },
			Listening: func(a net.Addr) { addr <- a },
		})
	}()
	select {
	case a := <-addr:
		k.Base = "http://" + a.String()
	case err := <-k.done:
		t.Fatalf("serve did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start listening")
	}
	t.Cleanup(func() { k.Stop(t) })
	waitHealthy(t, k)
	return k
}

// waitHealthy waits for the scheduler to be running (it starts just after the listener).
func waitHealthy(t *testing.T, k *kamWeb) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if code, _ := get(t, http.DefaultClient, k.Base+"/healthz"); code == http.StatusOK {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, body := get(t, http.DefaultClient, k.Base+"/healthz")
	t.Fatalf("/healthz %d %q", code, body)
}

// Stop ends serve as SIGTERM does and waits for it.
func (k *kamWeb) Stop(t *testing.T) {
	k.once.Do(func() {
		k.stop()
		select {
		case err := <-k.done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// client is a browser-like client: it keeps cookies and does not follow redirects.
func client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
