package web

import (
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// privateMariaDB is a MariaDB server of the test's own, on a free port.
type privateMariaDB struct {
	dir  string
	port int
	cmd  *exec.Cmd
}

func startPrivateMariaDB(t *testing.T) *privateMariaDB {
	t.Helper()
	if _, err := exec.LookPath("mariadbd"); err != nil {
		if _, err2 := os.Stat("/usr/sbin/mariadbd"); err2 != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("mariadbd is not installed; CI needs the MariaDB health test")
			}
			t.Skip("mariadbd is not installed")
		}
	}
	dir := t.TempDir()
	out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+filepath.Join(dir, "data"),
		"--user=root", "--skip-test-db", "--auth-root-authentication-method=normal").CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	m := &privateMariaDB{dir: dir, port: port}
	m.start(t)
	t.Cleanup(m.kill)
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/", port))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE kam"); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *privateMariaDB) start(t *testing.T) {
	t.Helper()
	mariadbd := "mariadbd"
	if _, err := exec.LookPath(mariadbd); err != nil {
		mariadbd = "/usr/sbin/mariadbd"
	}
	m.cmd = exec.Command(mariadbd, "--no-defaults", "--datadir="+filepath.Join(m.dir, "data"), fmt.Sprintf("--port=%d", m.port),
		"--socket="+filepath.Join(m.dir, "s.sock"), "--bind-address=127.0.0.1", "--user=root", "--skip-grant-tables",
		"--innodb-buffer-pool-size=32M", "--log-error="+filepath.Join(m.dir, "error.log"))
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", m.port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(m.dir, "error.log"))
	t.Fatalf("the private MariaDB did not come up:\n%s", log)
}

// kill stops only this test's server (SIGKILL: the database goes away at once).
func (m *privateMariaDB) kill() {
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
		m.cmd = nil
	}
}

// /healthz is 200 while the MariaDB answers, 503 数据库不可用 while it is down, 200 again once it is back.
func TestHealthzWhileMariaDBIsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a MariaDB server")
	}
	m := startPrivateMariaDB(t)
	cfg := testConfig(t, t.TempDir())
	cfg.DB.DSN = fmt.Sprintf("mysql://root@tcp(127.0.0.1:%d)/kam", m.port)
	app, c, logs := newApp(t, cfg, testNow)
	k := start(t, app, c, logs) // waits for 200
	seed(t, app)
	// The metrics' SQL on MariaDB: the splits run and the loaded files are counted.
	resp, err := http.Get(k.Base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics on MariaDB: %d %v", resp.StatusCode, err)
	}
	for _, name := range []string{"kam_job_last_success_timestamp_seconds", "kam_job_last_duration_seconds", "kam_job_runs_total", "kam_revenue_rows_loaded_total"} {
		f := fams[name]
		if f == nil || len(f.GetMetric()) == 0 {
			t.Errorf("/metrics on MariaDB lacks %s", name)
		}
	}
	if ms := fams["kam_job_last_success_timestamp_seconds"].GetMetric(); len(ms) > 0 && ms[0].GetGauge().GetValue() < float64(testNow.Add(-time.Hour).Unix()) {
		t.Errorf("last success %v, want about %v", ms[0].GetGauge().GetValue(), testNow.Unix())
	}
	m.kill()
	code, body := get(t, http.DefaultClient, k.Base+"/healthz")
	if code != http.StatusServiceUnavailable || strings.TrimSpace(body) != "数据库不可用" {
		t.Errorf("database down: %d %q, want 503 数据库不可用", code, body)
	}
	if code, _ := get(t, http.DefaultClient, k.Base+"/metrics"); code != http.StatusInternalServerError {
		t.Errorf("/metrics with the database down: %d, want 500 rather than zeros", code)
	}
	m.start(t)
	ok := false
	for i := 0; i < 100 && !ok; i++ {
		code, _ = get(t, http.DefaultClient, k.Base+"/healthz")
		ok = code == http.StatusOK
		if !ok {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !ok {
		t.Errorf("the database is back but /healthz is %d", code)
	}
}
