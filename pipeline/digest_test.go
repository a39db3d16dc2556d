package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kam/config"
	"kam/gen"
	"kam/pipeline/core"
	"kam/pipeline/daemon"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	outbox "kam/pipeline/mail"
	"kam/store"
	"kam/store/storetest"
)

// digestSections are the report subjects a received mail carries: a digest's
// sections (==== n. subject ====), or a single report mail's own subject.
func digestSections(m parsedMail) []string {
	if !strings.HasPrefix(m.Subject, "kam 日报 ") {
		return []string{m.Subject}
	}
	var out []string
	for _, g := range regexp.MustCompile(`(?m)^==== \d+\. (.+) ====\r?$`).FindAllStringSubmatch(m.Text, -1) {
		out = append(out, g[1])
	}
	return out
}

// statusCounts is the outbox's mails by status.
func statusCounts(t *testing.T, s *store.Store) map[string]int {
	t.Helper()
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	mustDo(t, s.DB().Select(&rows, `SELECT status, COUNT(*) AS n FROM outbox GROUP BY status`))
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out
}

// foldedFiles is, per digest's Message-ID, the workbooks of the report mails folded into it.
func foldedFiles(t *testing.T, s *store.Store) map[string][]string {
	t.Helper()
	var rows []struct {
		MessageID string `db:"message_id"`
		File      string `db:"file_name"`
	}
	mustDo(t, s.DB().Select(&rows, `SELECT d.message_id, r.file_name FROM outbox d
		JOIN outbox f ON f.digest_id = d.id JOIN outbox_reports x ON x.outbox_id = f.id JOIN reports r ON r.id = x.report_id
		WHERE d.kind = 'digest'`))
	out := map[string][]string{}
	for _, r := range rows {
		out["<"+r.MessageID+">"] = append(out["<"+r.MessageID+">"], r.File)
	}
	return out
}

// A month of `kam serve` on the default schedule, on kam gen data, with a real SMTP server: the
// scheduler's firings are walked on a fixed clock (the delivery task a minute after each run, the
// window at 08:30 each day). Every unit and the city's recipient get at most one mail a day,
// none of them only saying 0; every report mail went inside exactly one mail with its workbooks;
// a rejected file's notice goes at once while report mails wait for the window.
func TestDigestAMonthOfServe(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		a := newTestApp(t, s, time.Time{})
		a.Cfg.Mail.DigestAt = config.DefaultDigestAt
		loc := a.Cfg.Location()
		start, end := time.Date(2026, 7, 1, 0, 0, 0, 0, loc), time.Date(2026, 8, 1, 0, 0, 0, 0, loc)
		clk := &clock{t: start}
		a.Now = clk.Now
		srv := startMailServer(t)
		a.Cfg.SMTP.Host, a.Cfg.SMTP.Port, a.Cfg.SMTP.TLS, a.Cfg.SMTP.From = "127.0.0.1", srv.port(), "none", "kam@example.com"
		r := &a.Cfg.Recipients
		for key := range r.Reports {
			r.Reports[key] = []string{"city@x.cn"}
		}
		r.Rejections = []string{"ops@x.cn"}
		if _, err := gen.Run(ctx, gen.Options{Out: a.Cfg.Paths.Inbox, Customers: 120, Months: 14, Seed: 5, End: 202606, Now: start}); err != nil {
			t.Fatal(err)
		}
		scan, err := a.Ingest(ctx)
		mustDo(t, err)
		if scan.Count(ingest.OutcomeRejected) != 0 {
			t.Fatalf("scan: %+v", scan.Files)
		}
		unitOf := mailEveryUnit(t, a) // mailbox → unit

		sched, err := daemon.NewScheduler(a.App)
		mustDo(t, err)
		type event struct {
			at   time.Time
			task string
		}
		var events []event
		due, err := sched.Plan.Due(start, end)
		mustDo(t, err)
		for _, f := range due {
			events = append(events, event{f.At, f.Job}, event{f.At.Add(time.Minute), daemon.TaskDelivery})
		}
		for _, e := range sched.Plan.Entries {
			if e.Name == daemon.TaskDigest {
				for w := sched.Plan.Next(e, start); w.Before(end); w = sched.Plan.Next(e, w) {
					events = append(events, event{w, e.Name})
				}
			}
		}
		rejectAt := time.Date(2026, 7, 15, 7, 45, 0, 0, loc) // after the tender's run, before the window
		events = append(events, event{rejectAt, daemon.TaskIngest}, event{rejectAt.Add(time.Minute), daemon.TaskDelivery})
		slices.SortStableFunc(events, func(x, y event) int { return x.at.Compare(y.at) })

		type got struct {
			day  string
			mail parsedMail
			to   string
		}
		var mails []got
		seen := 0
		for _, e := range events {
			clk.Set(e.at)
			if e.at.Equal(rejectAt) {
				mustDo(t, os.WriteFile(filepath.Join(a.Cfg.Paths.Inbox, "收入更正.csv"),
					[]byte("客户编号,月份,业务种类,收入单位编码,收入金额\nNOSUCH,2026-06,函件,XX,abc\n"), 0o644))
			}
			sched.Fire(ctx, e.task)
			msgs := srv.messages()
			for _, m := range msgs[seen:] {
				mails = append(mails, got{e.at.Format(time.DateOnly), parseMail(t, m.data), m.to[0]})
			}
			seen = len(msgs)
			if e.at.Equal(rejectAt.Add(time.Minute)) {
				// The notice went at once; the morning's report mails still wait for 08:30.
				last := mails[len(mails)-1]
				if last.to != "ops@x.cn" || !strings.HasPrefix(last.mail.Subject, "文件被退回") {
					t.Errorf("at %s the last mail is %q to %s; want the rejection notice to ops at once", e.at, last.mail.Subject, last.to)
				}
				b, err := s.MailBacklog(ctx)
				mustDo(t, err)
				if want := time.Date(2026, 7, 15, 8, 30, 0, 0, loc); b.Held == 0 || !b.NextWindow.Time.Equal(want) {
					t.Errorf("backlog at the rejection: %d held until %s, want the tender's mails held until %s", b.Held, b.NextWindow.Time, want)
				}
			}
		}

		// At most one mail a day to each mailbox (the rejection notice aside), none saying only 0.
		perDay := map[string]int{}
		quiet := map[string]bool{} // titles whose mail must have something to act on
		for _, name := range []string{"tender", "roster", "review-gold"} {
			j, _ := jobs.Lookup(name)
			quiet[j.Title] = true
		}
		digests, multi, sampleN := 0, 0, 0
		var sample parsedMail
		for _, m := range mails {
			if m.to == "ops@x.cn" {
				continue
			}
			if perDay[m.to+" "+m.day]++; perDay[m.to+" "+m.day] == 2 {
				t.Errorf("%s got more than one mail on %s", m.to, m.day)
			}
			sections := digestSections(m.mail)
			if strings.HasPrefix(m.mail.Subject, "kam 日报 ") {
				digests++
				if !strings.HasPrefix(m.mail.Subject, "kam 日报 "+m.day+"：") || !strings.Contains(m.mail.Subject, "份报表）") {
					t.Errorf("digest subject %q on %s", m.mail.Subject, m.day)
				}
				if len(sections) < 2 {
					t.Errorf("%s: a digest of %d sections: %q", m.to, len(sections), m.mail.Text)
				}
				if _, ok := unitOf[m.to]; ok && len(sections) > sampleN {
					sample, sampleN = m.mail, len(sections)
				}
			}
			if _, ok := unitOf[m.to]; !ok {
				continue
			}
			if len(sections) > 1 {
				multi++
			}
			for _, sub := range sections {
				for title := range quiet {
					if !strings.Contains(sub, title) {
						continue
					}
					if fig := sub[strings.LastIndex(sub, " · ")+len(" · "):]; !strings.ContainsAny(fig, "123456789") {
						t.Errorf("%s on %s: %q says nothing to act on", m.to, m.day, sub)
					}
				}
			}
		}
		if digests == 0 || multi == 0 {
			t.Fatalf("%d digests, %d to units with several reports: the month should fold some", digests, multi)
		}

		// Every report mail went, inside exactly one mail; each digest carries its reports' workbooks.
		counts := statusCounts(t, s)
		if counts[store.MailHeld] != 0 || counts[store.MailQueued] != 0 || counts[store.MailDead] != 0 {
			t.Errorf("after the month: %v; want nothing held, queued or dead", counts)
		}
		files := foldedFiles(t, s)
		for _, m := range mails {
			if want, ok := files[m.mail.MessageID]; ok {
				var gotFiles []string
				for f := range m.mail.Files {
					gotFiles = append(gotFiles, f)
				}
				if !slices.Equal(sorted(gotFiles), sorted(want)) {
					t.Errorf("%s %s carries %q, want its reports' %q", m.to, m.mail.Subject, sorted(gotFiles), sorted(want))
				}
				delete(files, m.mail.MessageID)
			}
		}
		if len(files) != 0 {
			t.Errorf("digests never received: %v", files)
		}
		var reportMails int
		mustDo(t, s.DB().Get(&reportMails, `SELECT COUNT(*) FROM outbox WHERE report_id IS NOT NULL`))
		t.Logf("a month: %d report mails → %d mails received (%d digests); by status %v", reportMails, len(mails), digests, counts)
		t.Logf("a unit's digest as received:\nSubject: %s\n\n%s", sample.Subject, sample.Text)
	})
}

// digestApps are n instances (Apps with their schedulers) on the store s
// uses — the same SQLite file, or each its own connections to MySQL — with
// the recorder's jobs, the default window, a real SMTP server and their own clocks.
func digestApps(t *testing.T, s *store.Store, srv *mailServer, n int, r *recorder, at time.Time) ([]*App, []*daemon.Scheduler, []*clock) {
	t.Helper()
	var apps []*App
	var scheds []*daemon.Scheduler
	var clocks []*clock
	for i := range n {
		st := s
		if i > 0 && s.Dialect() == "mysql" {
			st = secondStore(t, s)
		}
		a := newTestApp(t, st, time.Time{})
		a.Cfg.Mail.DigestAt = config.DefaultDigestAt
		a.Cfg.SMTP.Host, a.Cfg.SMTP.Port, a.Cfg.SMTP.TLS, a.Cfg.SMTP.From = "127.0.0.1", srv.port(), "none", "kam@example.com"
		for key := range a.Cfg.Recipients.Reports {
			a.Cfg.Recipients.Reports[key] = []string{"fin@x.cn"}
		}
		a.Cfg.Recipients.Rejections = []string{"ops@x.cn"}
		sched, clk := testScheduler(t, a, r, at)
		plan, err := sched.Plan.WithDigest(a.Cfg.Mail.DigestAt)
		mustDo(t, err)
		sched.Plan = plan
		apps, scheds, clocks = append(apps, a), append(scheds, sched), append(clocks, clk)
	}
	return apps, scheds, clocks
}

// runAt runs the recorder's job on sched for period, as the schedule would at clk's time.
func runAt(t *testing.T, sched *daemon.Scheduler, job, period string) {
	t.Helper()
	_, err := jobs.RunJob(t.Context(), sched.App, sched.Plan.Jobs[job], jobs.RunRequest{Period: period, AsOf: sched.App.Today(), Trigger: jobs.TriggerManual})
	mustDo(t, err)
}

// Two instances meet the same window: the recipient gets one digest with every workbook. A
// crash after the fold (the server down when the digest would go, then a new instance)
// sends it once. What the window hook queues goes in that window's digest.
func TestDigestTwoInstancesAndACrashSendEachOnce(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		srv := startMailServer(t)
		r := &recorder{file: true}
		loc := time.FixedZone("CST", 8*3600)
		_, scheds, clocks := digestApps(t, s, srv, 2, r, time.Date(2026, 7, 6, 5, 0, 0, 0, loc))
		toFin := func() []parsedMail {
			var out []parsedMail
			for _, m := range srv.messages() {
				if m.to[0] == "fin@x.cn" {
					out = append(out, parseMail(t, m.data))
				}
			}
			return out
		}

		// 6 July: three reports for fin@x.cn, held; both instances fire the window together.
		runAt(t, scheds[0], "splits", "2026-06")
		runAt(t, scheds[1], "roster", "2026-06")
		runAt(t, scheds[0], "grade", "2026Q2")
		if n := statusCounts(t, s)[store.MailHeld]; n != 3 {
			t.Fatalf("%d mails held, want the 3 reports'", n)
		}
		window := time.Date(2026, 7, 6, 8, 30, 0, 0, loc)
		var wg sync.WaitGroup
		for i := range scheds {
			clocks[i].Set(window)
			wg.Go(func() { scheds[i].FireDeliveryWindow(ctx) })
		}
		wg.Wait()
		for i := range scheds { // and the every-minute delivery after it
			clocks[i].Set(window.Add(time.Minute))
			scheds[i].Fire(ctx, daemon.TaskDelivery)
		}
		got := toFin()
		if len(got) != 1 {
			t.Fatalf("fin@x.cn got %d mails at the window, want one digest", len(got))
		}
		want := []string{"grade_2026Q2.xlsx", "roster_2026-06.xlsx", "splits_2026-06.xlsx"}
		if names := fileNames(got[0]); !slices.Equal(names, want) || got[0].Subject != "kam 日报 2026-07-06：收入分成、客户经理名册、季度客户分级（3 份报表）" {
			t.Errorf("the digest %q carries %q, want %q", got[0].Subject, names, want)
		}

		// 7 July: two more; the server is down at the window, so the digest is folded but not sent.
		for i := range clocks {
			clocks[i].Set(time.Date(2026, 7, 7, 7, 30, 0, 0, loc))
		}
		runAt(t, scheds[0], "tender", "2026-07-07")
		runAt(t, scheds[0], "review-diamond", "2026-06")
		srv.stop()
		window = time.Date(2026, 7, 7, 8, 30, 0, 0, loc)
		clocks[0].Set(window)
		scheds[0].FireDeliveryWindow(ctx)
		counts := statusCounts(t, s)
		if counts[store.MailHeld] != 0 || counts[store.MailQueued] != 1 || counts[store.MailFolded] != 5 {
			t.Fatalf("after a window with the server down: %v; want the two folded into one queued digest", counts)
		}
		// A restart: a new instance, the server back, the every-minute delivery.
		srv.listen(t, srv.addr)
		restarted, rs, rclocks := digestApps(t, s, srv, 1, r, window.Add(2*time.Minute))
		for range 2 {
			res, err := outbox.Deliver(ctx, restarted[0].App)
			mustDo(t, err)
			if res.Digests != 0 {
				t.Errorf("the restart composed %d digests; the fold was done", res.Digests)
			}
		}
		got = toFin()
		if len(got) != 2 || !slices.Equal(fileNames(got[1]), []string{"review-diamond_2026-06.xlsx", "tender_2026-07-07.xlsx"}) {
			t.Fatalf("after the restart fin@x.cn got %d mails (the last with %q), want the folded digest once", len(got), fileNames(got[len(got)-1]))
		}

		// 8 July: the window hook runs before the fold, so what it queues goes in this window.
		rclocks[0].Set(time.Date(2026, 7, 8, 7, 30, 0, 0, loc))
		runAt(t, rs[0], "tender", "2026-07-08")
		hooked := 0
		rs[0].AtDeliveryWindow = func(ctx context.Context, a *core.App) error {
			hooked++
			_, err := jobs.RunJob(ctx, a, rs[0].Plan.Jobs["review-gold"], jobs.RunRequest{Period: "2026-06", AsOf: a.Today()})
			return err
		}
		rclocks[0].Set(time.Date(2026, 7, 8, 8, 30, 0, 0, loc))
		rs[0].Fire(ctx, daemon.TaskDigest)
		got = toFin()
		if hooked != 1 || len(got) != 3 || !slices.Equal(fileNames(got[2]), []string{"review-gold_2026-06.xlsx", "tender_2026-07-08.xlsx"}) {
			t.Errorf("hook ran %d times; fin@x.cn has %d mails, the last with %q; want the hook's report in the window's digest",
				hooked, len(got), fileNames(got[len(got)-1]))
		}
	})
}

// fileNames are a received mail's attachments, sorted.
func fileNames(m parsedMail) []string {
	var out []string
	for f := range m.Files {
		out = append(out, f)
	}
	return sorted(out)
}

// Notices never wait for the window; with mail.digest_at empty every report goes as its own
// mail at once, as before digests.
func TestDigestNoticesAtOnceAndOffMeansOneMailPerReport(t *testing.T) {
	for _, tc := range []struct {
		name, digestAt string
	}{{"digest", config.DefaultDigestAt}, {"off", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
				ctx := t.Context()
				srv := startMailServer(t)
				loc := time.FixedZone("CST", 8*3600)
				apps, scheds, _ := digestApps(t, s, srv, 1, &recorder{file: true}, time.Date(2026, 7, 6, 5, 0, 0, 0, loc))
				a, sched := apps[0], scheds[0]
				a.Cfg.Mail.DigestAt = tc.digestAt
				runAt(t, sched, "splits", "2026-06")
				runAt(t, sched, "roster", "2026-06")
				mustDo(t, os.MkdirAll(a.Cfg.Paths.Inbox, 0o755))
				mustDo(t, os.WriteFile(filepath.Join(a.Cfg.Paths.Inbox, "bad.csv"),
					[]byte("客户编号,月份,业务种类,收入单位编码,收入金额\nNOSUCH,2026-06,函件,XX,abc\n"), 0o644))
				sched.Fire(ctx, daemon.TaskIngest)
				sched.Fire(ctx, daemon.TaskDelivery)
				var to []string
				var subjects []string
				for _, m := range srv.messages() {
					to = append(to, m.to[0])
					subjects = append(subjects, parseMail(t, m.data).Subject)
				}
				b, err := s.MailBacklog(ctx)
				mustDo(t, err)
				switch tc.digestAt {
				case "":
					if !slices.Equal(sorted(to), []string{"fin@x.cn", "fin@x.cn", "ops@x.cn"}) || b.Held != 0 {
						t.Errorf("digests off: mails to %q (%q), %d held; want each report's own and the notice at once", to, subjects, b.Held)
					}
					for i, sub := range subjects {
						if to[i] == "fin@x.cn" && strings.HasPrefix(sub, "kam 日报") {
							t.Errorf("digests off, yet %q", sub)
						}
					}
				default:
					if !slices.Equal(to, []string{"ops@x.cn"}) || b.Held != 2 || !b.NextWindow.Time.Equal(time.Date(2026, 7, 6, 8, 30, 0, 0, loc)) {
						t.Errorf("digests on: mails to %q, %d held until %s; want the notice alone at once, the reports held until 08:30", to, b.Held, b.NextWindow.Time)
					}
				}
			})
		})
	}
}

// A day whose window holds one report mail sends it as it is, not as a digest of one; an older
// period of a job folded with a newer one is superseded, not sent.
func TestDigestOfOneIsTheMailItselfAndOlderPeriodsAreMoot(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		srv := startMailServer(t)
		loc := time.FixedZone("CST", 8*3600)
		_, scheds, clocks := digestApps(t, s, srv, 1, &recorder{file: true}, time.Date(2026, 7, 6, 5, 0, 0, 0, loc))
		runAt(t, scheds[0], "tender", "2026-07-05")
		runAt(t, scheds[0], "tender", "2026-07-06")
		clocks[0].Set(time.Date(2026, 7, 6, 8, 30, 0, 0, loc))
		scheds[0].Fire(ctx, daemon.TaskDigest)
		msgs := srv.messages()
		if len(msgs) != 1 {
			t.Fatalf("%d mails, want the newer tender's alone", len(msgs))
		}
		m := parseMail(t, msgs[0].data)
		if strings.HasPrefix(m.Subject, "kam 日报") || !slices.Equal(fileNames(m), []string{"tender_2026-07-06.xlsx"}) {
			t.Errorf("got %q with %q; want the 2026-07-06 tender's own mail", m.Subject, fileNames(m))
		}
		if c := statusCounts(t, s); c[store.MailSuperseded] != 1 || c[store.MailSent] != 1 {
			t.Errorf("outbox %v; want the older tender superseded, the newer sent", c)
		}
	})
}
