package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"kam/store"
)

// smtpSink is a real SMTP server in the test process: it refuses some
// recipients for good (550) and counts what it accepts, by recipient.
type smtpSink struct {
	mu     sync.Mutex
	refuse map[string]bool
	got    map[string]int
	srv    *smtp.Server
	addr   string
}

func startSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	s := &smtpSink{refuse: map[string]bool{}, got: map[string]int{}}
	s.listen(t, "127.0.0.1:0")
	t.Cleanup(s.stop)
	return s
}

func (s *smtpSink) listen(t *testing.T, addr string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(l)
	s.mu.Lock()
	s.srv, s.addr = srv, l.Addr().String()
	s.mu.Unlock()
}

func (s *smtpSink) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

func (s *smtpSink) port() string { _, p, _ := net.SplitHostPort(s.addr); return p }

func (s *smtpSink) set(change func(s *smtpSink)) { s.mu.Lock(); defer s.mu.Unlock(); change(s) }

func (s *smtpSink) accepted(rcpt string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.got[rcpt] }

type sinkSession struct {
	s  *smtpSink
	to []string
}

func (x *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (x *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.refuse[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	x.to = append(x.to, to)
	return nil
}
func (x *sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	for _, to := range x.to {
		x.s.got[to]++
	}
	return nil
}
func (x *sinkSession) Reset()        { x.to = nil }
func (x *sinkSession) Logout() error { return nil }

// `kam deliver` exits 0 when the queue was empty or mail went, and 1 when
// mail was due and none went because the server refused it or was down;
// `kam status` lists the dead letters; `--retry-dead [--to]` sends them.
func TestDeliverExitStatusAndRetryDead(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KAM_DB_DSN", "")
	t.Setenv("KAM_SMTP_PASSWORD", "")
	sink := startSMTPSink(t)
	sink.refuse["gone@example.cn"] = true
	os.WriteFile("kam.yaml", []byte(fmt.Sprintf("smtp:\n  host: 127.0.0.1\n  port: %s\n  tls: none\n  from: kam@example.cn\n  max_attempts: 3\n"+
		"recipients:\n  admin: [admin@example.cn]\n", sink.port())), 0o644)
	deliver := func(args ...string) (int, string) {
		t.Helper()
		code, out, errOut := kamSplit(t, append([]string{"--config", "kam.yaml", "deliver"}, args...)...)
		t.Logf("kam deliver %v → %d\n%s%s", args, code, out, errOut)
		return code, out + errOut
	}
	if code, out := deliver(); code != 0 || !strings.Contains(out, "已发送 0 封") {
		t.Fatalf("empty queue: exit %d\n%s", code, out)
	}
	st := openTestStore(t, "var/kam.db")
	defer st.Close()
	n := 0
	queue := func(to ...string) {
		t.Helper()
		for _, r := range to {
			n++
			if err := st.QueueMail(context.Background(), store.Mail{Kind: "rejection", Recipient: r, Subject: "文件被退回",
				Text: "x", HTML: "<p>x</p>", MessageID: fmt.Sprintf("m%d@kam", n)}); err != nil {
				t.Fatal(err)
			}
		}
	}

	queue("finance@example.cn", "gone@example.cn")
	if code, out := deliver(); code != 0 || !strings.Contains(out, "已发送 1 封") || !strings.Contains(out, "新增死信 1 封") ||
		!strings.Contains(out, "死信提醒 1 封") || !strings.Contains(out, "kam deliver --retry-dead") {
		t.Errorf("one refused, one sent: exit %d\n%s", code, out)
	}
	// Only a refused mail was due: the administrator's alert went, the mail did not.
	queue("gone@example.cn")
	if code, out := deliver(); code != 1 || !strings.Contains(out, "一封邮件也没有发出") || !strings.Contains(out, "拒收") {
		t.Errorf("all refused: exit %d, want 1\n%s", code, out)
	}
	sink.stop()
	queue("ops@example.cn")
	if code, out := deliver(); code != 1 || !strings.Contains(out, "邮件服务器不可用") || !strings.Contains(out, "等待服务器 1 封") {
		t.Errorf("server down: exit %d, want 1\n%s", code, out)
	}
	sink.listen(t, sink.addr)
	// The mail that waited is tried again a minute after the outage's pass: make that minute pass.
	if _, err := st.DB().Exec("UPDATE outbox SET next_attempt_at = ? WHERE recipient = 'ops@example.cn'", time.Now().Add(-time.Second).UTC()); err != nil {
		t.Fatal(err)
	}
	if code, out := deliver(); code != 0 || !strings.Contains(out, "已发送 1 封") {
		t.Errorf("server back: exit %d\n%s", code, out)
	}

	code, out, errOut := kamSplit(t, "--config", "kam.yaml", "status")
	t.Log(out)
	if code != 0 || !strings.Contains(out, "死信 2 封") || !strings.Contains(out, "gone@example.cn") || !strings.Contains(out, "kam deliver --retry-dead") {
		t.Errorf("status: exit %d\n%s%s", code, out, errOut)
	}

	if code, out := deliver("--retry-dead", "--to", "nobody@example.cn"); code != 0 || !strings.Contains(out, "已把 0 封死信重新排队") {
		t.Errorf("retry nobody's: exit %d\n%s", code, out)
	}
	sink.set(func(s *smtpSink) { delete(s.refuse, "gone@example.cn") })
	if code, out := deliver("--retry-dead", "--to", "Gone@example.cn"); code != 0 || !strings.Contains(out, "已把 2 封死信重新排队") ||
		!strings.Contains(out, "已发送 2 封") {
		t.Errorf("retry gone's: exit %d\n%s", code, out)
	}
	// Each mail once; the administrator one alert per batch (two passes had a dead letter).
	for r, want := range map[string]int{"finance@example.cn": 1, "ops@example.cn": 1, "gone@example.cn": 2, "admin@example.cn": 2} {
		if got := sink.accepted(r); got != want {
			t.Errorf("%s got %d mails, want %d", r, got, want)
		}
	}

	for _, args := range [][]string{{"--to", "x@example.cn"}, {"now"}, {"--retry-dead", "--to"}} {
		if code, out := deliver(args...); code != 2 {
			t.Errorf("deliver %v: exit %d, want 2\n%s", args, code, out)
		}
	}
}
