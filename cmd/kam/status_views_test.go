package main

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"kam/config"
	"kam/pipeline"
	"kam/pipeline/core"
	"kam/pipeline/daemon"
	"kam/pipeline/jobs"
	"kam/status"
	"kam/store"
	"kam/web"
)

// `kam status` and the web page render one status model, so each shows every
// run, file, mail and task with the same word. They once kept a label map
// each, and the terminal printed a superseded mail as the raw word
// "superseded" where the page said 已过时.
func TestStatusAndThePageShowTheSameLabels(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	now := time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg := jobs.DefaultConfig()
	cfg.DB.DSN, cfg.DB.SQLitePath = "", filepath.Join(dir, "kam.db")
	cfg.Paths = config.Paths{Inbox: filepath.Join(dir, "inbox"), Processed: filepath.Join(dir, "processed"),
		Rejected: filepath.Join(dir, "rejected"), Reports: filepath.Join(dir, "reports")}
	cfg.HTTP.Listen = "127.0.0.1:0"
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	must(err)
	cfg.HTTP.Users = []config.HTTPUser{{Name: "admin", PasswordHash: string(hash)}}
	must(cfg.Validate())
	st, err := store.Open(ctx, store.Options{SQLitePath: cfg.DB.SQLitePath, Log: zerolog.Nop()})
	must(err)
	t.Cleanup(func() { st.Close() })
	app := pipeline.New(&core.App{Cfg: cfg, Store: st, Log: zerolog.Nop()})

	// A run of each outcome, with no note: the outcome is the last cell of its
	// row in kam status. One left running by no kam at all reads as interrupted.
	for i, outcome := range []string{store.RunSucceeded, store.RunFailed, store.RunRefused, store.RunRunning} {
		id, err := st.StartRun(ctx, "splits", "2026-0"+string(rune('1'+i)), jobs.TriggerManual, now.Add(-time.Hour))
		must(err)
		if outcome != store.RunRunning {
			must(st.FinishRun(ctx, id, outcome, nil, "", now.Add(-time.Hour+time.Second)))
		}
	}
	// A succeeded run whose report's copy is not in the reports folder yet.
	id, err := st.StartRun(ctx, "splits", "2026-05", jobs.TriggerManual, now.Add(-time.Hour))
	must(err)
	must(st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ArchiveReport(store.Report{RunID: id, Job: "splits", Period: "2026-05", FileName: "splits_2026-05.csv"}, strings.NewReader("a,b\n")); err != nil {
			return err
		}
		return tx.SucceedRun(id, nil, "", now.Add(-time.Hour+time.Second))
	}))
	// A file of each outcome, all of one scan.
	for i, outcome := range []store.FileOutcome{store.FileLoaded, store.FileRejected, store.FileDuplicate} {
		_, err := st.RecordFile(ctx, store.FileRecord{Name: "file" + string(outcome) + ".csv", SHA256: strings.Repeat(string(rune('a'+i)), 64),
			Kind: "revenue", Outcome: outcome, StoredAs: "x", StartedAt: now, ScanID: now.UnixMicro()})
		must(err)
	}
	// A mail of each state not sent; nothing else on it says the state's raw word.
	for i, s := range []string{store.MailQueued, store.MailDead, store.MailSuperseded} {
		n := string(rune('1' + i))
		must(st.QueueMail(ctx, store.Mail{Kind: "splits", Recipient: "m" + n + "@example.cn", Subject: "收入分成" + n, MessageID: "<" + n + "@kam>"}))
		_, err := st.DB().ExecContext(ctx, `UPDATE outbox SET status = ? WHERE recipient = ?`, s, "m"+n+"@example.cn")
		must(err)
	}
	app.Cfg.Schedule.Ingest, app.Cfg.Schedule.Delivery, app.Cfg.Schedule.Jobs["splits"] = "@every 2m", "@every 1m", "0 5 6 * *"
	sched, err := app.NewScheduler()
	must(err)

	var term bytes.Buffer
	must(cmdStatus(ctx, app, nil, &term))
	page := statusPage(t, app, sched)

	// The same word for each row, in each view; and the words are status's.
	for _, c := range []struct {
		what         string
		term, page   map[string]string
		wantLabelsIn []string
	}{
		{what: "runs", term: termColumn(t, term.String(), "最近的运行", 0, -1), page: pageColumn(t, page, "runs",
			`<tr><td class="num">(\d+)</td>(?:<td>[^<]*</td>){5}<td class="[^"]*">([^<]*)</td>`),
			wantLabelsIn: []string{"成功", "失败", "拒绝", "中断", "成功（报表副本缺 1 份）"}},
		{what: "files", term: termColumn(t, term.String(), "最近一次扫描", 1, 3), page: pageColumn(t, page, "files",
			`<tr><td>[^<]*</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td>`),
			wantLabelsIn: []string{"已导入", "已退回", "重复"}},
		{what: "mail", term: termColumn(t, term.String(), "邮件投递", 0, 3), page: pageColumn(t, page, "mail",
			`<tr><td class="num">(\d+)</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>`),
			wantLabelsIn: []string{"待发", "已过时"}},
		{what: "dead letters", term: termColumn(t, term.String(), "死信", 0, 3), page: pageColumn(t, page, "dead",
			`<tr><td class="num">(\d+)</td><td>[^<]*</td><td>[^<]*</td><td class="failed">([^<]*)</td>`),
			wantLabelsIn: []string{"死信"}},
		{what: "schedule", term: termColumn(t, term.String(), "计划（", 0, 1), page: pageColumn(t, page, "schedule",
			`<tr><td>([^<]*)</td><td><code>([^<]*)</code></td>`),
			wantLabelsIn: []string{"扫描收件目录", "投递邮件", "收入分成"}},
	} {
		if len(c.term) == 0 || !maps.Equal(c.term, c.page) {
			t.Errorf("%s: kam status shows %v, the page %v", c.what, c.term, c.page)
		}
		shown := ""
		for k, v := range c.term {
			shown += k + " " + v + " "
		}
		for _, l := range c.wantLabelsIn {
			if !strings.Contains(shown, l) {
				t.Errorf("%s: no %q among %v", c.what, l, c.term)
			}
		}
	}
	for _, view := range []string{term.String(), page} {
		if strings.Contains(view, store.MailSuperseded) {
			t.Errorf("a view shows the raw state %q:\n%s", store.MailSuperseded, view)
		}
	}
	if got := status.MailStatusLabel(store.MailSuperseded); got != "已过时" {
		t.Errorf("a superseded mail is %q, want 已过时", got)
	}
	// status names the tasks by pipeline's names for them.
	if status.TaskLabel(daemon.TaskIngest) != "扫描收件目录" || status.TaskLabel(daemon.TaskDelivery) != "投递邮件" {
		t.Errorf("pipeline's tasks %q and %q are not status's", daemon.TaskIngest, daemon.TaskDelivery)
	}
}

// statusPage logs in to the web side of app and returns its status page.
func statusPage(t *testing.T, app *pipeline.App, sched *daemon.Scheduler) string {
	t.Helper()
	h, err := web.New(app, sched, "test")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(srv.URL+"/login", url.Values{"name": {"admin"}, "password": {"pw"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = c.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status page: %d\n%s", resp.StatusCode, b)
	}
	return string(b)
}

// termColumn reads the table under the line that starts with heading in
// `kam status`'s output: column key's cell → column val's cell, the last
// cell when val < 0 (an empty cell leaves no column of its own).
func termColumn(t *testing.T, out, heading string, key, val int) map[string]string {
	t.Helper()
	got := map[string]string{}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, heading) {
			continue
		}
		header := -1
		for j := i + 1; j < len(lines) && lines[j] != ""; j++ {
			cells := regexp.MustCompile(` {2,}`).Split(strings.TrimSpace(lines[j]), -1)
			if header < 0 {
				if len(cells) > max(key, val) { // the table's header; lines above it are not rows
					header = j
				}
				continue
			}
			if len(cells) > max(key, val) {
				v := val
				if v < 0 {
					v = len(cells) - 1
				}
				got[cells[key]] = cells[v]
			}
		}
		return got
	}
	t.Fatalf("no %q in kam status:\n%s", heading, out)
	return nil
}

// pageColumn reads the rows of the page's section id: row's first group → its second.
func pageColumn(t *testing.T, page, id, row string) map[string]string {
	t.Helper()
	_, section, ok := strings.Cut(page, `<section id="`+id+`">`)
	if !ok {
		_, section, ok = strings.Cut(page, `<section class="bad" id="`+id+`">`)
	}
	section, _, _ = strings.Cut(section, "</section>")
	if !ok {
		t.Fatalf("no section %s on the page:\n%s", id, page)
	}
	got := map[string]string{}
	for _, m := range regexp.MustCompile(row).FindAllStringSubmatch(section, -1) {
		got[m[1]] = m[2]
	}
	return got
}
