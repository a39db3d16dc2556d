package web

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"kam/domain"
	"kam/link"
	"kam/pipeline"
	"kam/pipeline/daemon"
	"kam/pipeline/jobs"
	"kam/store"
)

var testNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func seeded(t *testing.T) *kamWeb {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	app, c, logs := newApp(t, cfg, testNow)
	seed(t, app)
	return start(t, app, c, logs)
}

func login(t *testing.T, k *kamWeb, c *http.Client, password string) *http.Response {
	t.Helper()
	resp, err := c.PostForm(k.Base+"/login", url.Values{"name": {testUser}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestLoginGuardsThePageAndDownloads(t *testing.T) {
	k := seeded(t)
	c := client(t)
	for _, path := range []string{"/", "/reports/1", "/files/1/errors"} {
		resp, err := c.Get(k.Base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Errorf("%s without a login: %d → %q, want 303 → /login", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp := login(t, k, c, "wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong password: %d, want 401", resp.StatusCode)
	}
	resp := login(t, k, c, testPassword)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == cookieName {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || len(cookie.Value) < 64 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over http, a 32-byte token", cookie)
	}
	code, page := get(t, c, k.Base+"/")
	if code != http.StatusOK {
		t.Fatalf("page: %d", code)
	}
	for _, want := range []string{"最近的运行", "分成", "2026 年 10 月", "成功", "不明.csv", "已退回", "错误明细表", "待发", "报表归档", "splits_2026-10.xlsx", "kam 大客户管理流水线"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, testLinkKey) || strings.Contains(k.Log.String(), testLinkKey) || strings.Contains(k.Log.String(), testPassword) {
		t.Error("a secret is on the page or in the log")
	}
	// The error workbook of the rejected file downloads.
	m := regexp.MustCompile(`href="(/files/\d+/errors)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no error workbook link")
	}
	code, book := get(t, c, k.Base+m[1])
	if code != http.StatusOK || !strings.HasPrefix(book, "PK") {
		t.Errorf("error workbook: %d, %d bytes %s", code, len(book), book)
	}
	// Logging out ends the session on the server, not only in the browser.
	req, _ := http.NewRequest(http.MethodPost, k.Base+"/logout", nil)
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %v %v", resp, err)
	}
	again := client(t)
	u, _ := url.Parse(k.Base)
	again.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: cookie.Value}})
	if resp, err := again.Get(k.Base + "/"); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the old session after logout: %v %v, want 303", resp.StatusCode, err)
	}
}

func TestDownloadIsCheckedAgainstItsSHA256(t *testing.T) {
	k := seeded(t)
	c := client(t)
	login(t, k, c, testPassword)
	reps, err := k.App.Store.ListReports(context.Background(), store.ReportFilter{Job: "splits", Period: "2026-10"}, 10)
	if err != nil || len(reps) == 0 {
		t.Fatalf("reports %v %v", reps, err)
	}
	r := reps[0]
	var want bytes.Buffer
	if _, err := k.App.Store.ReportContent(context.Background(), r.ID, &want); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(k.Base + "/reports/" + itoa(r.ID))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("download %d: %d, %d bytes, want the archived %d", r.ID, resp.StatusCode, len(got), want.Len())
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, url.PathEscape(r.FileName)) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if code, _ := get(t, c, k.Base+"/reports/999999"); code != http.StatusNotFound {
		t.Errorf("unknown report: %d, want 404", code)
	}
	// Corrupt one stored chunk: the download is refused whole.
	if _, err := k.App.Store.DB().Exec(`UPDATE report_chunks SET data = ? WHERE report_id = ? AND seq = 0`, []byte("not the workbook"), r.ID); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, c, k.Base+"/reports/"+itoa(r.ID))
	if code != http.StatusInternalServerError || strings.Contains(body, "not the workbook") || !strings.Contains(body, "SHA-256") {
		t.Errorf("corrupt report: %d %q, want 500 saying why and none of its bytes", code, body)
	}
}

func TestSignedLinks(t *testing.T) {
	k := seeded(t)
	reps, err := k.App.Store.ListReports(context.Background(), store.ReportFilter{}, 1)
	if err != nil || len(reps) == 0 {
		t.Fatal(reps, err)
	}
	var want bytes.Buffer
	k.App.Store.ReportContent(context.Background(), reps[0].ID, &want)
	p := link.Path([]byte(testLinkKey), reps[0].ID, testNow.AddDate(0, 0, 30))
	anon := client(t) // no login
	if code, body := get(t, anon, k.Base+p); code != http.StatusOK || body != want.String() {
		t.Errorf("a signed link: %d, %d bytes, want the archived %d", code, len(body), want.Len())
	}
	tampered := strings.Replace(p, "/"+itoa(reps[0].ID)+"/", "/"+itoa(reps[0].ID+1)+"/", 1)
	if code, body := get(t, anon, k.Base+tampered); code != http.StatusForbidden || !strings.Contains(body, "链接无效") {
		t.Errorf("a tampered link: %d %q, want 403 saying it is invalid", code, body)
	}
	k.Clock.Set(testNow.AddDate(0, 0, 31))
	if code, body := get(t, anon, k.Base+p); code != http.StatusForbidden || !strings.Contains(body, "已过期") {
		t.Errorf("an expired link: %d %q, want 403 saying it expired", code, body)
	}
	if strings.Contains(k.Log.String(), p[strings.LastIndex(p, "/")+1:]) {
		t.Error("a link's MAC is in the log")
	}
}

// An over-limit workbook's mail carries a signed link that downloads it.
func TestOverLimitMailCarriesASignedLink(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Recipients.Reports["splits"] = []string{"finance@example.cn"}
	app, c, logs := newApp(t, cfg, testNow)
	k := start(t, app, c, logs)
	app.Cfg.HTTP.BaseURL = k.Base
	app.Cfg.SMTP.MaxAttachmentMB = 0 // every workbook is over the limit (config allows 1 MB at least)
	seed(t, app)
	due, err := app.Store.DueMail(context.Background(), testNow.Add(time.Hour), 1000)
	var mails []store.Mail
	for _, m := range due {
		if m.Recipient == "finance@example.cn" { // the units' statements go to their own mailboxes
			mails = append(mails, m)
		}
	}
	if err != nil || len(mails) != 1 {
		t.Fatalf("mails %v %v", len(mails), err)
	}
	m := regexp.MustCompile(regexp.QuoteMeta(k.Base)+`/d/\d+/\d+/[0-9a-f]{64}`).FindAllString(mails[0].Text, -1)
	if len(m) != 2 { // splits writes a workbook and a CSV
		t.Fatalf("want two links in the mail:\n%s", mails[0].Text)
	}
	if strings.Contains(mails[0].Text, testLinkKey) || strings.Contains(mails[0].HTML, testLinkKey) {
		t.Error("the link key is in the mail")
	}
	for _, u := range m {
		if code, body := get(t, client(t), u); code != http.StatusOK || len(body) == 0 {
			t.Errorf("%s: %d", u, code)
		}
	}
}

func TestHealthz(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Schedule.Jobs["tender"] = "30 7 * * *"
	cfg.Schedule.CatchUpMonths = 0
	app, c, logs := newApp(t, cfg, time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)) // 16:00 in Asia/Shanghai
	k := startUnchecked(t, app, c, logs)
	// Tender fired at 07:30 today and yesterday; yesterday's is more than its period (a day) late.
	code, body := get(t, http.DefaultClient, k.Base+"/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "tender") || !strings.Contains(body, "超过一个周期") {
		t.Errorf("an overdue job: %d %q, want 503 naming it", code, body)
	}
	if _, err := app.RunJob(context.Background(), "tender", jobs.RunRequest{Period: "2026-11-30", AsOf: domain.DateOf(2026, 11, 30), Trigger: jobs.TriggerManual}); err != nil && domain.KindOf(err) != domain.ERefused {
		t.Fatal(err)
	}
	k.App.Store.DB().Exec(`UPDATE job_runs SET outcome = 'succeeded' WHERE job = 'tender'`) // refused on an empty store; count it done
	if code, body := get(t, http.DefaultClient, k.Base+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("healthy: %d %q", code, body)
	}
	k.Stop(t)
	if resp, err := http.Get(k.Base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("/healthz still answers (%d) after serve returned", resp.StatusCode)
	}
}

// startUnchecked is start without waiting for a healthy answer.
func startUnchecked(t *testing.T, app *pipeline.App, c *clock, logs *syncBuffer) *kamWeb {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	k := &kamWeb{App: app, Clock: c, Log: logs, stop: cancel, done: make(chan error, 1)}
	var srv *Server
	go func() {
		k.done <- app.ServeWeb(ctx, daemon.Web{
			Handler: func(s *daemon.Scheduler) (http.Handler, error) {
				var err error
				srv, err = New(app, s, "test")
				return srv, err
			},
			Listening: func(a net.Addr) { addr <- a.String() },
		})
	}()
	k.Base = "http://" + <-addr
	t.Cleanup(func() { k.Stop(t) })
	for i := 0; i < 100 && !srv.sched.Running(); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	return k
}

func TestSchedulerNotRunningIsUnhealthy(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	app, _, _ := newApp(t, cfg, testNow)
	s, err := app.NewScheduler()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(app, s, "test")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptestGet(srv, "/healthz")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "计划任务已停止") {
		t.Errorf("scheduler not running: %d %q", rec.Code, rec.Body.String())
	}
	app.Store.Close()
	rec = httptestGet(srv, "/healthz")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "数据库不可用") {
		t.Errorf("database closed: %d %q", rec.Code, rec.Body.String())
	}
}

func TestBeyondLoopbackNeedsAUser(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.HTTP.Users = nil
	app, _, _ := newApp(t, cfg, testNow)
	for listen, refused := range map[string]bool{"0.0.0.0:8080": true, ":8080": true, "10.1.2.3:80": true,
		"127.0.0.1:8080": false, "localhost:8080": false, "[::1]:8080": false} {
		app.Cfg.HTTP.Listen = listen
		_, err := New(app, nil, "test")
		if refused && (err == nil || domain.KindOf(err) != domain.EInvalid) {
			t.Errorf("%s without users: %v, want a usage error", listen, err)
		}
		if !refused && err != nil {
			t.Errorf("%s without users: %v", listen, err)
		}
	}
	// A user in the database (kam user add) is a user too.
	addUser(t, app.Store, "王五", "王五的密码 88", "")
	app.Cfg.HTTP.Listen = "0.0.0.0:8080"
	if _, err := New(app, nil, "test"); err != nil {
		t.Errorf("beyond loopback with a database user: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	k := seeded(t)
	ctx := context.Background()
	// A failed run and a queued mail as well.
	id, err := k.App.Store.StartRun(ctx, "grade", "2026Q3", jobs.TriggerSchedule, testNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.App.Store.FinishRun(ctx, id, store.RunFailed, nil, "测试", testNow.Add(-time.Hour+3*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := k.App.Store.QueueMail(ctx, store.Mail{Kind: "rejection", Recipient: "a@example.cn", Subject: "s",
		MessageID: "m1@kam", CreatedAt: testNow.Add(-90 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(k.Base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		f, ok := fams[name]
		if !ok {
			return 0, false
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			switch {
			case m.Gauge != nil:
				return m.GetGauge().GetValue(), true
			case m.Counter != nil:
				return m.GetCounter().GetValue(), true
			}
		}
		return 0, false
	}
	runs, err := k.App.Store.RecentRuns(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var splits store.Run
	for _, r := range runs {
		if r.Job == "splits" {
			splits = r
		}
	}
	files, _ := k.App.Store.LastScanFiles(ctx)
	unitReports, err := k.App.Store.ListReports(ctx, store.ReportFilter{Job: "splits", Unit: ""}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	unitReports = slices.DeleteFunc(unitReports, func(r store.Report) bool { return r.Unit == "" })
	var loaded, rejected, revenueRows float64
	for _, f := range files {
		switch f.Outcome {
		case store.FileLoaded:
			loaded++
			if f.Kind == domain.KindRevenue {
				revenueRows += float64(f.Rows)
			}
		case store.FileRejected:
			rejected++
		}
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"kam_job_runs_total", map[string]string{"job": "splits", "outcome": "succeeded"}, 1},
		{"kam_job_runs_total", map[string]string{"job": "grade", "outcome": "failed"}, 1},
		{"kam_job_last_success_timestamp_seconds", map[string]string{"job": "splits"}, float64(splits.FinishedAt.Time.UnixMilli()) / 1000},
		{"kam_job_last_duration_seconds", map[string]string{"job": "grade"}, 3},
		{"kam_files_total", map[string]string{"outcome": "loaded"}, loaded},
		{"kam_files_total", map[string]string{"outcome": "rejected"}, rejected},
		{"kam_files_total", map[string]string{"outcome": "duplicate"}, 0},
		{"kam_revenue_rows_loaded_total", nil, revenueRows},
		{"kam_mail_queue_depth", nil, 1 + float64(len(unitReports))}, // the city's mail, and one per unit statement
		{"kam_mail_oldest_queued_age_seconds", nil, 90},
		{"kam_mail_held", nil, 0}, // digests off here: nothing waits for a window
		{"kam_build_info", map[string]string{"version": "test"}, 1},
	}
	for _, c := range checks {
		got, ok := value(c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if revenueRows == 0 || loaded < 7 {
		t.Errorf("the seed loaded %v files, %v revenue rows", loaded, revenueRows)
	}
	if _, ok := value("kam_job_last_success_timestamp_seconds", map[string]string{"job": "grade"}); ok {
		t.Error("grade never succeeded but has a last success time")
	}
	if fams["kam_job_runs_total"].GetType().String() != "COUNTER" || fams["kam_mail_queue_depth"].GetType().String() != "GAUGE" {
		t.Error("wrong metric types")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func httptestGet(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// Behind an https base_url the session cookie is Secure.
func TestSecureCookieBehindHTTPS(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.HTTP.BaseURL = "https://kam.example.cn"
	app, _, _ := newApp(t, cfg, testNow)
	srv, err := New(app, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"name": {testUser}, "password": {testPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	srv.ServeHTTP(rec, req)
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cookies) != 1 || !cookies[0].Secure || !cookies[0].HttpOnly {
		t.Errorf("login behind https: %d %+v, want a Secure HttpOnly cookie", rec.Code, cookies)
	}
}

// The page's archive shows the city's workbooks; ?unit= shows one unit's own, and only its.
func TestArchiveByUnit(t *testing.T) {
	k := seeded(t)
	c := client(t)
	login(t, k, c, testPassword)
	reps, err := k.App.Store.ListReports(context.Background(), store.ReportFilter{Job: "splits"}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var mine store.Report
	for _, r := range reps {
		if r.Unit != "" {
			mine = r
			break
		}
	}
	if mine.Unit == "" {
		t.Fatalf("no unit statement archived: %+v", reps)
	}
	_, city := get(t, c, k.Base+"/")
	if !strings.Contains(string(city), "splits_2026-10.xlsx") || strings.Contains(string(city), mine.FileName) {
		t.Errorf("the city's archive should list splits_2026-10.xlsx and no unit's statement")
	}
	code, unit := get(t, c, k.Base+"/?unit="+url.QueryEscape(mine.Unit))
	if code != http.StatusOK || !strings.Contains(string(unit), mine.FileName) || strings.Contains(string(unit), "splits_2026-10.xlsx") {
		t.Errorf("?unit=%s: %d; want %s and not the city's workbook", mine.Unit, code, mine.FileName)
	}
	for _, r := range reps {
		if r.Unit != "" && r.Unit != mine.Unit && strings.Contains(string(unit), r.FileName) {
			t.Errorf("?unit=%s lists %s of unit %s", mine.Unit, r.FileName, r.Unit)
		}
	}
	// A unit code is read as the store holds it (SPEC §3.3): lower case is the same unit.
	lower := strings.ToLower(mine.Unit)
	if code, page := get(t, c, k.Base+"/?unit="+url.QueryEscape(lower)); code != http.StatusOK || page != unit {
		t.Errorf("?unit=%s: %d; want the page of ?unit=%s", lower, code, mine.Unit)
	}
}

// The page lists the stored ids and codes kam no longer reads as stored, as kam status does; none, no section.
func TestStatusPageListsStoredCodeProblems(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	app, c, logs := newApp(t, cfg, testNow)
	k := start(t, app, c, logs)
	cl := client(t)
	login(t, k, cl, testPassword)
	if _, page := get(t, cl, k.Base+"/"); strings.Contains(page, `id="codes"`) {
		t.Errorf("a clean store shows code problems:\n%s", page)
	}
	if err := app.Store.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.PutUnits([]domain.Unit{{Code: "ZQ14", Name: "虎门镇区局", Kind: domain.District}, {Code: "zq15", Name: "长安镇区局", Kind: domain.District}})
	}); err != nil {
		t.Fatal(err)
	}
	_, page := get(t, cl, k.Base+"/")
	for _, want := range []string{`id="codes"`, "已存的编号需要核对", "单位资料中的单位编码「zq15」（数据库 units.code）：kam 现在把它读作「ZQ15」"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "「ZQ14」（数据库") {
		t.Error("the page lists ZQ14, which is stored as kam reads it")
	}
}
