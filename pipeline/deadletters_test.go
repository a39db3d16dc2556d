package pipeline

import (
	"strings"
	"testing"
	"time"

	"kam/pipeline/jobs"
	outbox "kam/pipeline/mail"
	"kam/status"
	"kam/store"
	"kam/store/storetest"
)

// sentTo counts the mails the server accepted per envelope recipient.
func sentTo(srv *mailServer) map[string]int {
	n := map[string]int{}
	for _, r := range srv.messages() {
		for _, to := range r.to {
			n[to]++
		}
	}
	return n
}

// alerts are the dead-letter alerts the server accepted, taken apart.
func alerts(t *testing.T, srv *mailServer) []parsedMail {
	t.Helper()
	var out []parsedMail
	for _, r := range srv.messages() {
		if m := parseMail(t, r.data); strings.HasPrefix(m.Subject, "kam 邮件死信") {
			out = append(out, m)
		}
	}
	return out
}

// outboxKinds counts the outbox's rows by kind and status.
func outboxKinds(t *testing.T, s *store.Store) map[string]int {
	t.Helper()
	var rows []struct {
		Kind   string `db:"kind"`
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	mustDo(t, s.DB().Select(&rows, "SELECT kind, status, COUNT(*) AS n FROM outbox GROUP BY kind, status"))
	out := map[string]int{}
	for _, r := range rows {
		out[r.Kind+" "+r.Status] = r.N
	}
	return out
}

// A 550 on RCPT for two recipients makes their mails dead letters and no one
// else's: the others go, and each administrator gets one alert for the batch,
// in the same pass. A later batch gets its own alert; a retry of one
// recipient's dead letters sends those; dead again after a retry, they are
// reported again; every mail reaches its recipient once.
func TestRefusalIsThatRecipientsDeadLetterWithOneAlertPerBatch(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		srv := startMailServer(t)
		srv.refuse["gone1@example.com"], srv.refuse["gone2@example.com"] = true, true
		a, clk := mailApp(t, s, srv)
		a.Cfg.Recipients.Reports["splits"] = []string{"finance@example.com", "gone1@example.com", "ops@example.com", "gone2@example.com"}
		a.Cfg.Recipients.Admin = []string{"admin@example.com", "boss@example.com"}
		ctx := t.Context()
		t0 := clk.Now()
		_, err := jobs.RunJob(ctx, a.App, splitsJob(100, 100), jobs.RunRequest{Period: "2026-06"})
		mustDo(t, err)

		res, err := a.Deliver(ctx)
		mustDo(t, err)
		wantEqual(t, "first pass", res, outbox.DeliveryResult{Sent: 2, Dead: 2, Alerts: 2})
		if res.NothingSent() {
			t.Error("two mails went, yet nothing sent")
		}
		wantEqual(t, "accepted", sentTo(srv), map[string]int{"finance@example.com": 1, "ops@example.com": 1,
			"admin@example.com": 1, "boss@example.com": 1})
		al := alerts(t, srv)
		if len(al) != 2 {
			t.Fatalf("%d alerts", len(al))
		}
		for _, m := range al {
			for _, want := range []string{"以下 2 封邮件 kam 已不再重试（死信）", "gone1@example.com", "gone2@example.com", "550",
				"kam deliver --retry-dead", "--to 地址"} {
				if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
					t.Errorf("alert lacks %q:\n%s", want, m.Text)
				}
			}
			if strings.Contains(m.Text, "finance@example.com") || m.Subject != "kam 邮件死信：2 封邮件无法投递" {
				t.Errorf("alert %q:\n%s", m.Subject, m.Text)
			}
		}
		clk.Set(t0.Add(time.Hour))
		res, _ = a.Deliver(ctx)
		wantEqual(t, "the batch was reported once", res, outbox.DeliveryResult{})

		// The next period's mail: a new batch, its own alert naming only its dead letters.
		clk.Set(t0.AddDate(0, 1, 0))
		_, err = jobs.RunJob(ctx, a.App, splitsJob(100, 100), jobs.RunRequest{Period: "2026-07"})
		mustDo(t, err)
		res, _ = a.Deliver(ctx)
		wantEqual(t, "second batch", res, outbox.DeliveryResult{Sent: 2, Dead: 2, Alerts: 2})
		if al := alerts(t, srv); len(al) != 4 || !strings.Contains(al[3].Text, "以下 2 封邮件") {
			t.Errorf("alerts after the second batch: %d", len(al))
		}

		// gone1's mailbox exists now: its two dead letters, and only those, go.
		srv.set(func(m *mailServer) { delete(m.refuse, "gone1@example.com") })
		n, err := a.RetryDead(ctx, "GONE1@example.com")
		mustDo(t, err)
		res, _ = a.Deliver(ctx)
		if n != 2 || res != (outbox.DeliveryResult{Sent: 2}) {
			t.Errorf("retry gone1: requeued %d, %+v", n, res)
		}
		// All: gone2's are refused again, dead again, and reported again in one alert each.
		n, err = a.RetryDead(ctx, "")
		mustDo(t, err)
		res, _ = a.Deliver(ctx)
		if n != 2 || res != (outbox.DeliveryResult{Dead: 2, Alerts: 2}) {
			t.Errorf("retry all, gone2 still refused: requeued %d, %+v", n, res)
		}
		srv.set(func(m *mailServer) { delete(m.refuse, "gone2@example.com") })
		n, err = a.RetryDead(ctx, "")
		mustDo(t, err)
		res, _ = a.Deliver(ctx)
		if n != 2 || res != (outbox.DeliveryResult{Sent: 2}) {
			t.Errorf("retry all: requeued %d, %+v", n, res)
		}
		wantEqual(t, "each report mail once", sentTo(srv), map[string]int{"finance@example.com": 2, "ops@example.com": 2,
			"gone1@example.com": 2, "gone2@example.com": 2, "admin@example.com": 3, "boss@example.com": 3})
		wantEqual(t, "outbox", outboxKinds(t, s), map[string]int{"splits sent": 8, outbox.DeadLettersKind + " sent": 6})
	})
}

// A server that refuses everyone — the administrators too — makes every mail
// a dead letter and queues one alert per administrator, which dies as well
// and is reported by none: no loop. `kam deliver` would exit 1. Once the
// server is fixed, a retry sends the mails, not the alert they made out of date.
func TestServerRefusingEveryoneAlertsOnceWithoutALoop(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		srv := startMailServer(t)
		for _, r := range []string{"finance@example.com", "ops@example.com", "admin@example.com"} {
			srv.refuse[r] = true
		}
		a, clk := mailApp(t, s, srv)
		a.Cfg.Recipients.Reports["splits"] = []string{"finance@example.com", "ops@example.com"}
		a.Cfg.Recipients.Admin = []string{"admin@example.com"}
		ctx := t.Context()
		_, err := jobs.RunJob(ctx, a.App, splitsJob(100, 100), jobs.RunRequest{Period: "2026-06"})
		mustDo(t, err)

		res, err := a.Deliver(ctx)
		mustDo(t, err)
		wantEqual(t, "refused", res, outbox.DeliveryResult{Dead: 3})
		if !res.NothingSent() {
			t.Error("nothing went, yet NothingSent is false")
		}
		for i := range 3 {
			clk.Set(clk.Now().Add(time.Hour))
			if res, _ := a.Deliver(ctx); res != (outbox.DeliveryResult{}) {
				t.Errorf("pass %d after: %+v", i+2, res)
			}
		}
		wantEqual(t, "one dead alert", outboxKinds(t, s), map[string]int{"splits dead": 2, outbox.DeadLettersKind + " dead": 1})
		if b, _ := s.MailBacklog(ctx); b.Dead != 3 {
			t.Errorf("backlog %+v", b)
		}

		srv.set(func(m *mailServer) { m.refuse = map[string]bool{} })
		n, err := a.RetryDead(ctx, "")
		mustDo(t, err)
		res, _ = a.Deliver(ctx)
		if n != 2 || res != (outbox.DeliveryResult{Sent: 2}) {
			t.Errorf("retry: requeued %d, %+v", n, res)
		}
		wantEqual(t, "accepted", sentTo(srv), map[string]int{"finance@example.com": 1, "ops@example.com": 1})
		wantEqual(t, "outbox after", outboxKinds(t, s), map[string]int{"splits sent": 2, outbox.DeadLettersKind + " superseded": 1})
	})
}

// The outage: two hours with the server down (connection refused,
// tried every minute), then half an hour of 421. A server that is down is not
// the mail's fault: no attempt is counted, no mail dies, nobody is alerted,
// and every mail goes once the server is back — where before 50 mails reached
// 8 attempts and were given up for good.
func TestOutageCountsAgainstNoMail(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		srv := startMailServer(t)
		a, clk := mailApp(t, s, srv)
		a.Cfg.SMTP.MaxAttempts = 8
		a.Cfg.Recipients.Reports["splits"] = []string{"finance@example.com", "ops@example.com", "audit@example.com"}
		a.Cfg.Recipients.Admin = []string{"admin@example.com"}
		ctx := t.Context()
		t0 := clk.Now()
		_, err := jobs.RunJob(ctx, a.App, splitsJob(100, 100), jobs.RunRequest{Period: "2026-06"})
		mustDo(t, err)

		srv.stop()
		for i := range 120 {
			clk.Set(t0.Add(time.Duration(i) * time.Minute))
			res, err := a.Deliver(ctx)
			mustDo(t, err)
			if tally(res) != (outbox.DeliveryResult{Waiting: 3}) || !strings.Contains(res.Server, "无法连接") {
				t.Fatalf("minute %d of the outage: %+v", i, res)
			}
		}
		srv.listen(t, srv.addr)
		srv.set(func(m *mailServer) { m.busy = true })
		for i := 120; i < 150; i++ {
			clk.Set(t0.Add(time.Duration(i) * time.Minute))
			res, err := a.Deliver(ctx)
			mustDo(t, err)
			if tally(res) != (outbox.DeliveryResult{Waiting: 3}) || !strings.Contains(res.Server, "421") || !res.NothingSent() {
				t.Fatalf("minute %d, server busy: %+v", i, res)
			}
		}
		var attempts []int
		mustDo(t, s.DB().Select(&attempts, "SELECT attempts FROM outbox ORDER BY id"))
		wantEqual(t, "attempts counted", attempts, []int{0, 0, 0})
		wantEqual(t, "outbox", outboxKinds(t, s), map[string]int{"splits queued": 3})
		m, err := status.Gather(ctx, s, a.Cfg, clk.Now(), status.Options{Mail: 10})
		mustDo(t, err)
		if len(m.Mail) != 3 || m.Mail[0].StatusLabel != "待发" || !strings.Contains(m.Mail[0].LastError, "421") || len(m.Dead) != 0 {
			t.Errorf("status during the outage: %+v dead %+v", m.Mail, m.Dead)
		}

		srv.set(func(m *mailServer) { m.busy = false })
		clk.Set(t0.Add(150 * time.Minute))
		res, err := a.Deliver(ctx)
		mustDo(t, err)
		wantEqual(t, "server back", res, outbox.DeliveryResult{Sent: 3})
		wantEqual(t, "each once", sentTo(srv), map[string]int{"finance@example.com": 1, "ops@example.com": 1, "audit@example.com": 1})
	})
}

// A mail refused for now (450) smtp.max_attempts times is a dead letter:
// listed by the status model with its word and the command, reported to the
// administrator once one is configured, and sent by a retry.
func TestDeadAfterMaxAttemptsIsListedAndRetried(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		srv := startMailServer(t)
		srv.later["full@example.com"] = true
		a, clk := mailApp(t, s, srv)
		a.Cfg.SMTP.MaxAttempts = 3
		a.Cfg.Recipients.Reports["splits"] = []string{"full@example.com"}
		ctx := t.Context()
		t0 := clk.Now()
		_, err := jobs.RunJob(ctx, a.App, splitsJob(100, 100), jobs.RunRequest{Period: "2026-06"})
		mustDo(t, err)
		for i, want := range []outbox.DeliveryResult{{Retry: 1}, {Retry: 1}, {Dead: 1}} {
			clk.Set(t0.Add(time.Duration(i) * time.Hour)) // past each back-off
			res, err := a.Deliver(ctx)
			mustDo(t, err)
			wantEqual(t, "attempt", res, want)
		}

		m, err := status.Gather(ctx, s, a.Cfg, clk.Now(), status.Options{Mail: 10})
		mustDo(t, err)
		if len(m.Dead) != 1 || m.Dead[0].StatusLabel != "死信" || m.Dead[0].Attempts != 3 || m.Dead[0].GivenUp != "2026-07-06 07:00" ||
			!strings.Contains(m.Dead[0].LastError, "450") || len(m.Mail) != 0 ||
			!strings.Contains(m.DeadNote, "死信 1 封") || !strings.Contains(m.DeadNote, "kam deliver --retry-dead") ||
			!strings.Contains(m.Backlog, "死信 1 封") {
			t.Errorf("status: %q %q %+v, mail %+v", m.Backlog, m.DeadNote, m.Dead, m.Mail)
		}

		// No administrator when it died: the dead letter waits unreported, then the first pass with one reports it.
		a.Cfg.Recipients.Admin = []string{"admin@example.com"}
		clk.Set(t0.Add(3 * time.Hour))
		res, _ := a.Deliver(ctx)
		wantEqual(t, "reported once an administrator is configured", res, outbox.DeliveryResult{Alerts: 1})
		if al := alerts(t, srv); len(al) != 1 || !strings.Contains(al[0].Text, "full@example.com") {
			t.Errorf("alerts %+v", al)
		}

		srv.set(func(m *mailServer) { delete(m.later, "full@example.com") })
		n, err := a.RetryDead(ctx, "")
		mustDo(t, err)
		res, _ = a.Deliver(ctx)
		if n != 1 || res != (outbox.DeliveryResult{Sent: 1}) {
			t.Errorf("retry: requeued %d, %+v", n, res)
		}
		wantEqual(t, "delivered", sentTo(srv), map[string]int{"full@example.com": 1, "admin@example.com": 1})
	})
}
