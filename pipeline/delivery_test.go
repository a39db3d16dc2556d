package pipeline

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	outbox "kam/pipeline/mail"
	"kam/store"
	"kam/store/storetest"
)

// mailServer is a real SMTP server in the test process that keeps what it receives.
type mailServer struct {
	mu      sync.Mutex
	got     []received
	refuse  map[string]bool   // recipients refused for good (550 on RCPT)
	later   map[string]bool   // recipients refused for now (450 on RCPT: mailbox busy)
	busy    bool              // every mail refused with 421 (service not available, closing)
	users   map[string]string // when set, a client must log in as one of these (user → password)
	srv     *smtp.Server
	l       net.Listener
	addr    string
	running bool
}

type received struct {
	from string
	to   []string
	data []byte
}

func startMailServer(t *testing.T) *mailServer {
	m := &mailServer{refuse: map[string]bool{}, later: map[string]bool{}}
	m.listen(t, "127.0.0.1:0")
	t.Cleanup(m.stop)
	return m
}

func (m *mailServer) listen(t *testing.T, addr string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		if m.users != nil {
			return &authSession{smtpSession{m: m}, false}, nil
		}
		return &smtpSession{m: m}, nil
	}))
	srv.Domain, srv.AllowInsecureAuth, srv.MaxMessageBytes = "localhost", true, 64<<20
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(l)
	m.mu.Lock()
	m.srv, m.l, m.addr, m.running = srv, l, l.Addr().String(), true
	m.mu.Unlock()
}

func (m *mailServer) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running {
		m.l.Close() // Serve may not have taken the listener over yet
		m.srv.Close()
		m.running = false
	}
}

func (m *mailServer) port() int {
	_, p, _ := net.SplitHostPort(m.addr)
	var n int
	fmt.Sscan(p, &n)
	return n
}

// set changes how the server answers, between the sessions' reads.
func (m *mailServer) set(change func(m *mailServer)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	change(m)
}

func (m *mailServer) messages() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.got...)
}

type smtpSession struct {
	m    *mailServer
	from string
	to   []string
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.m.busy {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "service not available, closing"}
	}
	s.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	switch {
	case s.m.refuse[to]:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	case s.m.later[to]:
		return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy"}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.got = append(s.m.got, received{s.from, s.to, data})
	s.m.mu.Unlock()
	return nil
}
func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }

// authSession is a session that accepts mail only after AUTH PLAIN.
type authSession struct {
	smtpSession
	in bool
}

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if want, ok := s.m.users[user]; !ok || want != pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.in = true
		return nil
	}), nil
}
func (s *authSession) Mail(from string, o *smtp.MailOptions) error {
	if !s.in {
		return smtp.ErrAuthRequired
	}
	return s.smtpSession.Mail(from, o)
}

// parsedMail is a received message taken apart.
type parsedMail struct {
	To, Subject, MessageID string
	Text, HTML             string
	Files                  map[string][]byte
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	p := parsedMail{To: msg.Header.Get("To"), Subject: subject, MessageID: msg.Header.Get("Message-Id"), Files: map[string][]byte{}}
	var walk func(ctype string, body io.Reader, header map[string][]string)
	walk = func(ctype string, body io.Reader, header map[string][]string) {
		media, params, err := mime.ParseMediaType(ctype)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(media, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				part, err := mr.NextPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(part.Header.Get("Content-Type"), part, part.Header)
			}
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if strings.EqualFold(firstValue(header, "Content-Transfer-Encoding"), "base64") {
			if raw, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(raw)), "")); err != nil {
				t.Fatal(err)
			}
		}
		if disp := firstValue(header, "Content-Disposition"); disp != "" {
			_, dp, err := mime.ParseMediaType(disp)
			if err != nil {
				t.Fatal(err)
			}
			name, err := dec.DecodeHeader(dp["filename"])
			if err != nil {
				t.Fatal(err)
			}
			p.Files[name] = raw
			return
		}
		switch media {
		case "text/plain":
			p.Text = string(raw)
		case "text/html":
			p.HTML = string(raw)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Body, msg.Header)
	return p
}

func firstValue(h map[string][]string, key string) string {
	for k, v := range h {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// mailApp is a test App that sends through m, with a settable clock.
func mailApp(t *testing.T, s *store.Store, m *mailServer) (*App, *clock) {
	a := newTestApp(t, s, time.Time{})
	c := &clock{t: time.Date(2026, 7, 6, 5, 0, 0, 0, a.Cfg.Location())}
	a.Now = c.Now
	a.Cfg.SMTP.Host, a.Cfg.SMTP.Port, a.Cfg.SMTP.TLS, a.Cfg.SMTP.From = "127.0.0.1", m.port(), "none", "kam@example.com"
	a.Cfg.SMTP.MaxAttachmentMB, a.Cfg.SMTP.MaxAttempts = 1, 5
	return a, c
}

// splitsJob writes a workbook and a CSV of the given sizes (random bytes stand in for their content).
func splitsJob(xlsxSize, csvSize int) *jobs.Job {
	return registered("splits", func(ctx context.Context, a *core.App, period string, asOf domain.Date, out *jobs.Output) error {
		out.Headline = "分成合计 ¥12,345.67，差额 0"
		for _, f := range []struct {
			name string
			size int
		}{{"splits_" + period + ".xlsx", xlsxSize}, {"splits_" + period + ".csv", csvSize}} {
			data := make([]byte, f.size)
			rand.Read(data)
			if err := out.AddFile(f.name, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
				return err
			}
		}
		return nil
	})
}

func archived(t *testing.T, s *store.Store, id int64) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := s.ReportContent(context.Background(), id, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReportMailCarriesTheArchivedFiles(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		srv := startMailServer(t)
		a, _ := mailApp(t, s, srv)
		a.Cfg.Recipients.Reports["splits"] = []string{"finance@example.com", "ops@example.com", "Finance@example.com"}
		ctx := t.Context()
		out, err := jobs.RunJob(ctx, a.App, splitsJob(200<<10, 30<<10), jobs.RunRequest{Period: "2026-06"})
		mustDo(t, err)
		if len(out.Reports) != 2 || len(srv.messages()) != 0 {
			t.Fatalf("reports %+v; %d mails sent before delivery", out.Reports, len(srv.messages()))
		}
		res, err := a.Deliver(ctx)
		mustDo(t, err)
		wantEqual(t, "first pass", res, outbox.DeliveryResult{Sent: 2})
		got := srv.messages()
		if len(got) != 2 {
			t.Fatalf("server got %d mails, want 2", len(got))
		}
		for i, rcpt := range []string{"finance@example.com", "ops@example.com"} {
			if got[i].from != "kam@example.com" || len(got[i].to) != 1 || got[i].to[0] != rcpt {
				t.Errorf("envelope %d: from %s to %v", i, got[i].from, got[i].to)
			}
			m := parseMail(t, got[i].data)
			if m.To != "<"+rcpt+">" && m.To != rcpt {
				t.Errorf("To: %q", m.To)
			}
			wantEqual(t, "subject", m.Subject, "收入分成 · 2026 年 6 月 · 分成合计 ¥12,345.67，差额 0")
			wantEqual(t, "Message-ID", m.MessageID, "<"+outbox.ReportMessageID(out.Reports[0], rcpt)+">")
			for _, want := range []string{"收入分成（2026 年 6 月）已生成。", "分成合计 ¥12,345.67，差额 0", "splits_2026-06.xlsx（200.0 KB）", "报表见附件。"} {
				if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
					t.Errorf("body lacks %q:\ntext %s\nhtml %s", want, m.Text, m.HTML)
				}
			}
			if len(m.Files) != 2 {
				t.Fatalf("attachments %d, want 2", len(m.Files))
			}
			for _, rep := range out.Reports {
				onDisk, err := os.ReadFile(filepath.Join(a.Cfg.Paths.Reports, rep.FileName))
				mustDo(t, err)
				if !bytes.Equal(m.Files[rep.FileName], archived(t, s, rep.ID)) || !bytes.Equal(onDisk, m.Files[rep.FileName]) {
					t.Errorf("attachment %s differs from the archived report %d", rep.FileName, rep.ID)
				}
			}
		}
		if res, err := a.Deliver(ctx); err != nil || res != (outbox.DeliveryResult{}) {
			t.Errorf("second pass: %+v %v", res, err)
		}
	})
}

func TestLargeReportIsNotAttachedButNamed(t *testing.T) {
	s := storetest.OpenSQLite(t)
	srv := startMailServer(t)
	a, _ := mailApp(t, s, srv)
	a.Cfg.Recipients.Reports["splits"] = []string{"finance@example.com"}
	out, err := jobs.RunJob(t.Context(), a.App, splitsJob(1<<20, 100), jobs.RunRequest{Period: "2026-06"})
	mustDo(t, err)
	_, err = a.Deliver(t.Context())
	mustDo(t, err)
	got := srv.messages()
	if len(got) != 1 {
		t.Fatalf("%d mails", len(got))
	}
	m := parseMail(t, got[0].data)
	if len(m.Files) != 0 {
		t.Errorf("attached %d files over the limit", len(m.Files))
	}
	xlsx := out.Reports[0]
	if strings.Contains(m.Text+m.HTML, a.Cfg.Paths.Reports) {
		t.Errorf("body names a server path:\n%s", m.Text)
	}
	for _, want := range []string{"超过邮件附件上限 1 MB", "报表目录中的 " + xlsx.FileName,
		fmt.Sprintf("kam reports get %d -o %s", xlsx.ID, xlsx.FileName)} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Text)
		}
	}
}

// tally is a pass's counts without the server's words.
func tally(r outbox.DeliveryResult) outbox.DeliveryResult { r.Server = ""; return r }

// The server is down, then up: each mail is delivered exactly once, the
// outage counted against none of them; a recipient the server refuses for
// good is a dead letter at once, after one attempt of its own.
func TestMailWaitsForTheServerAndGoesOnce(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		srv := startMailServer(t)
		srv.refuse["gone@example.com"] = true
		a, clk := mailApp(t, s, srv)
		a.Cfg.Recipients.Reports["splits"] = []string{"finance@example.com", "ops@example.com", "gone@example.com"}
		ctx := t.Context()
		t0 := clk.Now()
		srv.stop()
		_, err := jobs.RunJob(ctx, a.App, splitsJob(10<<10, 100), jobs.RunRequest{Period: "2026-06"})
		mustDo(t, err)

		res, err := a.Deliver(ctx)
		mustDo(t, err)
		wantEqual(t, "server down", tally(res), outbox.DeliveryResult{Waiting: 3})
		if !strings.Contains(res.Server, "无法连接") || !res.NothingSent() {
			t.Errorf("server down: %q, nothing sent %v", res.Server, res.NothingSent())
		}
		clk.Set(t0.Add(59 * time.Second))
		res, _ = a.Deliver(ctx)
		wantEqual(t, "waiting for the next try", res, outbox.DeliveryResult{})
		clk.Set(t0.Add(time.Minute))
		res, _ = a.Deliver(ctx)
		wantEqual(t, "still down", tally(res), outbox.DeliveryResult{Waiting: 3})

		srv.listen(t, srv.addr)
		clk.Set(t0.Add(2 * time.Minute))
		res, err = a.Deliver(ctx)
		mustDo(t, err)
		wantEqual(t, "server up", res, outbox.DeliveryResult{Sent: 2, Dead: 1})
		clk.Set(t0.Add(24 * time.Hour))
		res, _ = a.Deliver(ctx)
		wantEqual(t, "nothing left", res, outbox.DeliveryResult{})

		seen := map[string]int{}
		for _, r := range srv.messages() {
			seen[parseMail(t, r.data).MessageID]++
		}
		if len(seen) != 2 {
			t.Errorf("delivered %v, want two mails", seen)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s delivered %d times", id, n)
			}
		}
		var rows []struct {
			Recipient string `db:"recipient"`
			Status    string `db:"status"`
			Attempts  int    `db:"attempts"`
			LastError string `db:"last_error"`
		}
		mustDo(t, s.DB().Select(&rows, "SELECT recipient, status, attempts, last_error FROM outbox ORDER BY id"))
		if len(rows) != 3 || rows[0].Status != store.MailSent || rows[0].Attempts != 1 || rows[1].Status != store.MailSent ||
			rows[2].Status != store.MailDead || rows[2].Attempts != 1 || !strings.Contains(rows[2].LastError, "550") {
			t.Errorf("outbox: %+v", rows)
		}
	})
}

// A mail the server refuses for now (450) is tried smtp.max_attempts times,
// backing off, then is a dead letter.
func TestAttemptsRunOut(t *testing.T) {
	s := storetest.OpenSQLite(t)
	srv := startMailServer(t)
	a, clk := mailApp(t, s, srv)
	a.Cfg.SMTP.MaxAttempts = 2
	a.Cfg.Recipients.Reports["splits"] = []string{"finance@example.com"}
	srv.later["finance@example.com"] = true
	_, err := jobs.RunJob(t.Context(), a.App, splitsJob(100, 100), jobs.RunRequest{Period: "2026-06"})
	mustDo(t, err)
	res, _ := a.Deliver(t.Context())
	wantEqual(t, "first attempt", res, outbox.DeliveryResult{Retry: 1})
	clk.Set(clk.Now().Add(time.Minute))
	res, _ = a.Deliver(t.Context())
	wantEqual(t, "last attempt", res, outbox.DeliveryResult{Dead: 1})
	b, err := s.MailBacklog(t.Context())
	mustDo(t, err)
	if b.Queued != 0 || b.Dead != 1 {
		t.Errorf("backlog %+v", b)
	}
}

func TestNoSMTPHostKeepsMailQueued(t *testing.T) {
	s := storetest.OpenSQLite(t)
	a := newTestApp(t, s, time.Date(2026, 7, 6, 5, 0, 0, 0, time.UTC))
	a.Cfg.Recipients.Reports["splits"] = []string{"finance@example.com"}
	_, err := jobs.RunJob(t.Context(), a.App, splitsJob(100, 100), jobs.RunRequest{Period: "2026-06"})
	mustDo(t, err)
	res, err := a.Deliver(t.Context())
	mustDo(t, err)
	b, _ := s.MailBacklog(t.Context())
	if res != (outbox.DeliveryResult{}) || b.Queued != 1 {
		t.Errorf("without smtp.host: %+v, backlog %+v", res, b)
	}
}

func TestRejectedFileNoticeCarriesTheErrorWorkbook(t *testing.T) {
	s := storetest.OpenSQLite(t)
	srv := startMailServer(t)
	a, _ := mailApp(t, s, srv)
	a.Cfg.Recipients.Rejections = []string{"ops@example.com"}
	mustDo(t, os.MkdirAll(a.Cfg.Paths.Inbox, 0o755))
	mustDo(t, os.WriteFile(filepath.Join(a.Cfg.Paths.Inbox, "不明.csv"), []byte("甲,乙\n1,2\n"), 0o644))
	scan, err := a.Ingest(t.Context())
	mustDo(t, err)
	if scan.Count(ingest.OutcomeRejected) != 1 {
		t.Fatalf("scan: %+v", scan.Files)
	}
	_, err = a.Deliver(t.Context())
	mustDo(t, err)
	got := srv.messages()
	if len(got) != 1 || got[0].to[0] != "ops@example.com" {
		t.Fatalf("mails: %+v", got)
	}
	m := parseMail(t, got[0].data)
	book, err := os.ReadFile(filepath.Join(a.Cfg.Paths.Rejected, "不明.csv.errors.xlsx"))
	mustDo(t, err)
	if !bytes.Equal(m.Files["不明.csv.errors.xlsx"], book) {
		t.Errorf("attachments %v: the error workbook is not the one in rejected/", len(m.Files))
	}
	if !strings.HasPrefix(m.Subject, "文件被退回：不明.csv（") || !strings.Contains(m.Text, "整个文件退回") ||
		!strings.Contains(m.Text, "退回目录，名为 不明.csv") || strings.Contains(m.Text+m.HTML, a.Cfg.Paths.Rejected) {
		t.Errorf("notice: %s\n%s", m.Subject, m.Text)
	}
}

// smtp.user and the password (KAM_SMTP_PASSWORD) log in; a wrong password keeps the mail for later.
func TestSMTPLogin(t *testing.T) {
	s := storetest.OpenSQLite(t)
	srv := startMailServer(t)
	srv.users = map[string]string{"kam": "s3cret"}
	a, clk := mailApp(t, s, srv)
	a.Cfg.Recipients.Reports["splits"] = []string{"finance@example.com"}
	a.Cfg.SMTP.User, a.Cfg.SMTP.Password = "kam", "wrong"
	_, err := jobs.RunJob(t.Context(), a.App, splitsJob(100, 100), jobs.RunRequest{Period: "2026-06"})
	mustDo(t, err)
	res, err := a.Deliver(t.Context())
	mustDo(t, err)
	// Kam's login is not the mail's fault: it waits, no attempt counted.
	wantEqual(t, "wrong password", tally(res), outbox.DeliveryResult{Waiting: 1})
	a.Cfg.SMTP.Password = "s3cret"
	clk.Set(clk.Now().Add(time.Minute))
	res, err = a.Deliver(t.Context())
	mustDo(t, err)
	wantEqual(t, "right password", res, outbox.DeliveryResult{Sent: 1})
	if len(srv.messages()) != 1 {
		t.Errorf("server got %d mails", len(srv.messages()))
	}
}
