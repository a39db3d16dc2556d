package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"

	"kam/pipeline/jobs"
	"kam/store"
)

// chromiumPath finds Debian's chromium; with CI=true a missing one fails the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install -y chromium); CI needs the browser test")
	}
	t.Skip("chromium is not installed; the browser test runs in CI")
	return ""
}

// inbox is an SMTP server in the test process that keeps what it receives.
type inbox struct {
	mu  sync.Mutex
	got [][]byte
}

type inboxSession struct{ in *inbox }

func (s inboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s inboxSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s inboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.in.mu.Lock()
	s.in.got = append(s.in.got, b)
	s.in.mu.Unlock()
	return err
}
func (s inboxSession) Reset()        {}
func (s inboxSession) Logout() error { return nil }

func startInbox(t *testing.T) (*inbox, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return inboxSession{in}, nil }))
	srv.Domain, srv.AllowInsecureAuth, srv.MaxMessageBytes = "localhost", true, 64<<20
	go srv.Serve(l)
	t.Cleanup(func() { l.Close(); srv.Close() })
	return in, l.Addr().(*net.TCPAddr).Port
}

// mailText is the decoded text/plain part of a received message.
func mailText(t *testing.T, raw []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var walk func(ct, cte string, body io.Reader)
	walk = func(ct, cte string, body io.Reader) {
		mt, params, _ := mime.ParseMediaType(ct)
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					return
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			}
		}
		if mt != "text/plain" {
			return
		}
		switch strings.ToLower(cte) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, _ := io.ReadAll(body)
		out.Write(b)
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return out.String()
}

// The administrator logs in and sees the runs, downloads a workbook; a finance
// clerk follows the signed link from a mail; a tampered link is refused; a
// login form posted from another site is refused.
// `KAM_UPDATE_SCREENSHOT=1 go test ./web/ -run TestInTheBrowser` also writes docs/img/web-status.png.
func TestInTheBrowser(t *testing.T) {
	exe := chromiumPath(t)
	in, port := startInbox(t)
	cfg := testConfig(t, t.TempDir())
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS = "127.0.0.1", port, "none"
	cfg.Recipients.Reports["splits"] = []string{"finance@example.cn"}
	cfg.Schedule.Ingest, cfg.Schedule.Delivery = "@every 2m", "@every 1m"
	cfg.Schedule.CatchUpMonths = 0
	app, c, logs := newApp(t, cfg, testNow)
	k := start(t, app, c, logs)
	app.Cfg.HTTP.BaseURL = k.Base
	app.Cfg.SMTP.MaxAttachmentMB = 0 // every workbook is over the limit (config allows 1 MB at least)
	seed(t, app)
	ctx := context.Background()
	// A run interrupted by a kam that died: the page must offer its rerun command.
	id, err := app.Store.StartRun(ctx, "grade", "2026Q3", jobs.TriggerSchedule, testNow.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Store.FinishRun(ctx, id, store.RunFailed, nil, "运行中断：运行它的 kam 进程在运行期间退出，未完成", testNow.Add(-2*time.Hour+time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	var text string
	in.mu.Lock()
	for _, raw := range in.got {
		// finance's mail: the units' statements go to their own mailboxes with links of their own
		if tx := mailText(t, raw); strings.Contains(tx, "/d/") && bytes.Contains(raw, []byte("To: <finance@example.cn>")) {
			text = tx
		}
	}
	in.mu.Unlock()
	signed := regexp.MustCompile(regexp.QuoteMeta(k.Base) + `/d/\d+/\d+/[0-9a-f]{64}`).FindString(text)
	if signed == "" {
		t.Fatalf("no signed link in the mail:\n%s", text)
	}

	reps, err := app.Store.ListReports(ctx, store.ReportFilter{Job: "splits", Period: "2026-10", CityOnly: true}, 10)
	if err != nil || len(reps) == 0 {
		t.Fatal(reps, err)
	}
	archived := map[string][]byte{}
	for _, r := range reps {
		var b bytes.Buffer
		if _, err := app.Store.ReportContent(ctx, r.ID, &b); err != nil {
			t.Fatal(err)
		}
		archived[r.FileName] = b.Bytes()
	}

	actx, cancelA := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000))
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	bctx, cancelT := context.WithTimeout(bctx, 2*time.Minute)
	defer cancelT()
	downloads := t.TempDir()
	waitDownload := func(what string, start func() error) []byte {
		t.Helper()
		progress := chromedp.Events(bctx, browser.DownloadProgress)
		if err := start(); err != nil {
			t.Fatal(what, err)
		}
		for ev, err := range progress {
			if err != nil {
				t.Fatal(err)
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				b, err := os.ReadFile(filepath.Join(downloads, ev.GUID))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			if ev.State == browser.DownloadProgressStateCanceled {
				t.Fatal(what, "download canceled")
			}
		}
		t.Fatal(what, "no download")
		return nil
	}
	yes := true

	// Log in: a wrong password first, then the right one.
	var failed, runs, title, msg string
	err = chromedp.Do(bctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &yes})
			return err
		}),
		chromedp.Navigate(k.Base+"/"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("name"), testUser),
		chromedp.SendKeys(chromedp.ID("password"), "不对"),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("login-failed")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if failed, err = chromedp.Run(bctx, chromedp.Text(chromedp.ID("login-failed"))); err != nil || !strings.Contains(failed, "不正确") {
		t.Fatalf("wrong password: %q %v", failed, err)
	}
	err = chromedp.Do(bctx,
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("runs")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if runs, err = chromedp.Run(bctx, chromedp.Text(chromedp.ID("runs"))); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"分成", "2026 年 10 月", "成功", "手动", "失败"} {
		if !strings.Contains(runs, want) {
			t.Errorf("the runs the browser shows lack %q:\n%s", want, runs)
		}
	}
	if failedRuns, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("failed"))); err != nil || !strings.Contains(failedRuns, "kam run grade --period 2026Q3") {
		t.Errorf("the failed runs lack their rerun command: %q %v", failedRuns, err)
	}
	// The page's style comes from /kam.css under the Content-Security-Policy.
	headerColour, err := chromedp.Run(bctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("header")).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	if headerColour != "rgb(0, 106, 58)" {
		t.Errorf("the header's colour is %q: the stylesheet did not load under the page's policy", headerColour)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	// The committed screenshot changes only when asked for, so a test run leaves the tree clean.
	shotPath := filepath.Join(t.TempDir(), "web-status.png")
	if os.Getenv("KAM_UPDATE_SCREENSHOT") != "" {
		shotPath = filepath.Join("..", "docs", "img", "web-status.png")
	}
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}

	// Download the first workbook in the archive by clicking it.
	name, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("a.download")))
	if err != nil {
		t.Fatal(err)
	}
	got := waitDownload("archive", func() error { return chromedp.Do(bctx, chromedp.Click(chromedp.CSS("a.download"))) })
	if archived[name] == nil || !bytes.Equal(got, archived[name]) {
		t.Errorf("downloaded %s: %d bytes, differs from the archive's %d", name, len(got), len(archived[name]))
	}

	// Log out; the signed link from the mail works without a login.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login"))); err != nil {
		t.Fatal(err)
	}
	got = waitDownload("signed link", func() error {
		if err := chromedp.Do(bctx, chromedp.Navigate(signed)); err != nil && !strings.Contains(err.Error(), "ERR_ABORTED") {
			return err // a download ends the navigation as aborted
		}
		return nil
	})
	found := false
	for _, b := range archived {
		found = found || bytes.Equal(got, b)
	}
	if !found {
		t.Errorf("the signed link gave %d bytes that match no archived report", len(got))
	}

	// A tampered link: 403 and a page saying so.
	tampered := signed[:len(signed)-1] + map[bool]string{true: "0", false: "1"}[signed[len(signed)-1] != '0']
	resp, err := chromedp.Run(bctx, chromedp.NavigateResponse(tampered))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 403 {
		t.Errorf("tampered link: status %d, want 403", resp.Status)
	}
	if title, err = chromedp.Run(bctx, chromedp.Text(chromedp.ID("title"))); err != nil {
		t.Fatal(err)
	}
	if msg, err = chromedp.Run(bctx, chromedp.Text(chromedp.ID("message"))); err != nil {
		t.Fatal(err)
	}
	if title != "链接无效" || !strings.Contains(msg, "改动") {
		t.Errorf("tampered link page: %q %q", title, msg)
	}
	// Another site's page posting kam's login form, with the right password: refused, and no session.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/login"><input name="name" value="%s">`+
			`<input name="password" value="%s"><button id="go" type="submit">go</button></form>`, k.Base, testUser, html.EscapeString(testPassword))
	}))
	defer evil.Close()
	if err := chromedp.Do(bctx, chromedp.Navigate(evil.URL), chromedp.Click(chromedp.ID("go")),
		chromedp.WaitVisible(chromedp.CSS("#message, #runs"))); err != nil { // refused, or (wrongly) logged in
		t.Fatal(err)
	}
	if msg, err = chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#message, #runs"))); err != nil || !strings.Contains(msg, "其他网站") {
		t.Errorf("a cross-site login: %q %v, want it refused", msg, err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(k.Base+"/"), chromedp.WaitVisible(chromedp.ID("login"))); err != nil {
		t.Errorf("after a cross-site login the page should still ask for one: %v", err)
	}

	if strings.Contains(logs.String(), testLinkKey) || strings.Contains(logs.String(), signed[strings.LastIndex(signed, "/")+1:]) {
		t.Error("a secret or a link's MAC is in the log")
	}
	if errors.Is(bctx.Err(), context.DeadlineExceeded) {
		t.Fatal("the browser test ran out of time")
	}
}
