// Package status owns the status model: what kam has done and what waits —
// recent and failed runs, the last inbox scan's files, the files kam will not
// read, the units without a mailbox, the stored codes to correct, the mail
// backlog and its dead letters, the schedule and the report archive — gathered
// from the store into plain structs, with every Chinese label of a value (run
// outcomes, mail states, file outcomes, kinds, tasks, jobs, periods, triggers)
// said once, here. `kam status` prints a Model in a terminal and the web page
// renders one in HTML; neither gathers nor labels on its own.
//
// It may not touch HTTP, the terminal or the web: no net/http, no writer of a
// view, no kam/web and no kam/cmd. Its only uses of kam/pipeline are the
// stages' words: the three labels in jobs.go, the tasks' names and the
// command that requeues dead letters; the schedule is passed in as Tasks.
package status

import (
	"context"
	"fmt"
	"sort"
	"time"

	"kam/config"
	"kam/domain"
	"kam/pipeline/mail"
	"kam/store"
)

// Options says what Gather reads, and how much of it.
type Options struct {
	Runs   int // at most this many recent runs
	Failed int // at most this many failed or interrupted runs not yet rerun with success
	Mail   int // at most this many mails not sent

	// Inbox also reads what each revenue file of the last scan did to stored
	// revenue (SPEC §3.2) and the files kam leaves unread in the inbox.
	Inbox bool
	// UnitMailboxes, when set, is each unit's mailboxes (pipeline.UnitMailboxes
	// with the configured ones); the units are then read and those without
	// any counted. Nil leaves the units out.
	UnitMailboxes func([]domain.Unit) map[string][]string

	// Tasks is the schedule, in the plan's order; nil when nothing runs it.
	Tasks []Task

	// Codes also lists the stored ids and codes kam no longer reads as stored (CodeProblems).
	Codes bool

	// Reports is how many archived reports to list, newest first; 0 lists none.
	Reports int
	// ReportUnit lists that unit's own reports instead of the city-wide ones.
	ReportUnit string

	// Scope, when set, is the unit whose part alone the model holds (a user
	// bound to a unit): its own reports, the files dropped in its inbox folder,
	// and no runs, failures or mail, which are the whole city's.
	Scope string
}

// Task is one scheduled task as the caller's plan has it.
type Task struct {
	Name string    // a job, or the inbox scan or mail delivery
	Spec string    // its cron spec
	Next time.Time // when it fires next
}

// Model is kam's status at one moment, labelled for people. Times are
// written in the configured zone as 2006-01-02 15:04, "" when absent.
type Model struct {
	Now     string // when it was gathered
	Zone    string // the configured zone's name
	Dialect string // the store's database: sqlite or mysql

	Runs   []Run // the recent runs, newest first
	Failed []Run // runs failed or interrupted and not rerun with success since, newest first

	ScanAt string // when the last inbox scan began; "" before the first
	Files  []File // the files the last scan handled
	Unread []Unread
	Units  *Units // nil when not asked for, or when kam knows no unit yet
	// Codes are the stored ids and codes to correct (CodeProblems), under
	// CodeProblemsHeading; none when not asked for or none needs it.
	Codes []string

	Backlog  string // 待发 N 封（最早排队于 …），待汇总 N 封（… 合并发出），死信 N 封，已发送 N 封（最近一封 …）
	SMTP     string // the mail server, or that none is configured
	Mail     []Mail // mails neither sent nor dead (queued, or made moot), newest first
	Dead     []Mail // the dead letters (死信), the latest given up first
	DeadNote string // how many dead letters, why, and the command that queues them again; "" when none

	Firings []Firing // the schedule

	// Stale are the published reports a later file changed the data of (待更正), oldest period first.
	Stale     []Stale
	StaleNote string // what 待更正 means and when they are re-issued; "" when none

	Unit    string       // the unit whose own reports Archive lists; "" for the city's
	Archive []ArchiveJob // by job name; each job's periods newest first

	Scope string // the unit whose part alone this model holds; "" for the whole city
}

// Run is one run of a job.
type Run struct {
	ID           int64
	Job          string // the job's name, as `kam run` takes it
	Period       string // the period, as --period takes it
	JobTitle     string // 作业: the report's name
	PeriodLabel  string // 期间, as readers say it
	TriggerLabel string // 触发: 手动, 计划, 补跑
	Started      string // 开始
	Took         string // 用时; "" while it runs
	Outcome      string // as the store records it: succeeded, failed, refused, interrupted, running
	OutcomeLabel string // 结果: 成功, or 成功（报表副本缺 N 份） until kam has written them
	Note         string // 要点 / 错误: a succeeded run's headline, any other's error
	Rerun        string // the command that runs it again
}

// File is one file the last inbox scan handled.
type File struct {
	ID           int64
	When         string // when its load began
	Name         string
	Kind         domain.Kind // "" when its header was not recognised
	KindLabel    string      // 类型
	Outcome      store.FileOutcome
	OutcomeLabel string // 结果
	Rows, Errors int
	StoredAs     string // where it was moved: processed/… or rejected/…
	ErrorBook    string // rejected: the error workbook written for it, "" when none was

	// What a revenue file did to stored revenue, with Options.Inbox.
	Marks   string   // how it came in: （确认替换）（单位 …）
	Change  string   // 收入变化, or 收入变化（未导入：若导入将是） for a file not loaded
	Impacts []Impact // by month and line; none for a file of another kind
}

// Impact is a (month, line) pair of stored revenue before and after a file.
type Impact struct {
	Month, Line           string
	RowsBefore, RowsAfter int64
	Before, After         domain.Money // in fen
}

// Unread is a file left in the inbox that kam will not read.
type Unread struct {
	FirstSeen string
	Path      string // relative to the inbox
	Reason    string
}

// Units says which units have nowhere to receive their own part by mail (SPEC §5).
type Units struct {
	WithMailbox int      // units with at least one mailbox
	Centres     []string // 大客户中心 without one: "code name"
	Small       int      // 营投班组 and 营业窗口 without one
}

// Mail is one mail not sent.
type Mail struct {
	ID          int64
	Recipient   string
	Subject     string
	Status      string // as the store records it: queued, superseded, dead
	StatusLabel string // 状态
	Attempts    int
	Next        string // 下次尝试; only while queued
	GivenUp     string // 放弃于; only a dead letter
	LastError   string
}

// Stale is one (job, period) whose current version a later file made 待更正 (SPEC §5.2).
type Stale struct {
	Job, Period string
	JobTitle    string
	PeriodLabel string
	Label       string // 待更正
	Since       string // when it was marked
	Reason      string // what changed: 收入 2026-06 速递 由 revenue_2026-06_更正.csv 替换
	Reissue     string // the command that re-issues it now
}

// Firing is one scheduled task.
type Firing struct {
	Name  string // the task's name in the schedule
	Title string // 任务
	Spec  string // 计划: its cron spec
	Next  string // 下次
}

// ArchiveJob is one job's archived reports.
type ArchiveJob struct {
	Job      string
	JobTitle string
	Periods  []ArchivePeriod
}

// ArchivePeriod is the reports one job archived for one period.
type ArchivePeriod struct {
	Period      string
	PeriodLabel string
	Reports     []Report // newest first
}

// Report is one archived report.
type Report struct {
	ID       int64
	FileName string
	Version  string // 第 2 版（当前）; "" for a report archived before versions were kept
	Current  bool   // no later version of it is archived
	Size     string // 812 字节, 14 KB, 2.3 MB
	Created  string
	SHA256   string // hex
}

// Gather reads kam's status from st as of now, in cfg's zone.
func Gather(ctx context.Context, st *store.Store, cfg config.Config, now time.Time, opt Options) (Model, error) {
	loc := cfg.Location()
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	if opt.Scope != "" { // a unit's part: the whole city's runs, mail and units are not its
		opt.ReportUnit, opt.Runs, opt.Failed, opt.Mail, opt.UnitMailboxes = opt.Scope, 0, 0, 0, nil
	}
	m := Model{Now: when(now), Zone: loc.String(), Dialect: st.Dialect(), Unit: opt.ReportUnit, Scope: opt.Scope}

	if opt.Runs > 0 {
		runs, err := st.RecentRuns(ctx, opt.Runs)
		if err != nil {
			return m, err
		}
		missing, err := st.MissingCopies(ctx)
		if err != nil {
			return m, err
		}
		for _, r := range runs {
			m.Runs = append(m.Runs, runOf(r, missing[r.ID], when))
		}
	}
	if opt.Failed > 0 {
		failed, err := st.FailedRuns(ctx, opt.Failed)
		if err != nil {
			return m, err
		}
		for _, r := range failed {
			m.Failed = append(m.Failed, runOf(r, 0, when))
		}
	}

	if err := m.gatherFiles(ctx, st, opt, when); err != nil {
		return m, err
	}
	if opt.UnitMailboxes != nil {
		units, err := st.Units(ctx)
		if err != nil {
			return m, err
		}
		m.Units = unitsWithout(units, opt.UnitMailboxes(units))
	}
	if opt.Codes && opt.Scope == "" {
		var err error
		if m.Codes, err = CodeProblems(ctx, st); err != nil {
			return m, err
		}
	}
	if opt.Scope == "" {
		if err := m.gatherMail(ctx, st, cfg.SMTP, opt.Mail, when); err != nil {
			return m, err
		}
	}
	if err := m.gatherStale(ctx, st, when); err != nil {
		return m, err
	}
	for _, t := range opt.Tasks {
		m.Firings = append(m.Firings, Firing{Name: t.Name, Title: TaskLabel(t.Name), Spec: t.Spec, Next: when(t.Next)})
	}
	if opt.Reports > 0 {
		reports, err := st.ListReports(ctx, store.ReportFilter{Unit: opt.ReportUnit, CityOnly: opt.ReportUnit == ""}, opt.Reports)
		if err != nil {
			return m, err
		}
		m.Archive = archiveOf(reports, when)
	}
	return m, nil
}

// gatherStale lists the reports marked 待更正 (jobs.MarkStale, after a scan loads a file).
func (m *Model) gatherStale(ctx context.Context, st *store.Store, when func(time.Time) string) error {
	stale, err := st.StaleIssues(ctx)
	if err != nil {
		return err
	}
	for _, is := range stale {
		m.Stale = append(m.Stale, Stale{Job: is.Job, Period: is.Period, JobTitle: jobTitle(is.Job), PeriodLabel: periodLabel(is.Job, is.Period),
			Label: StaleLabel, Since: when(is.StaleAt), Reason: is.StaleReason, Reissue: fmt.Sprintf("kam run %s --period %s", is.Job, is.Period)})
	}
	if len(m.Stale) > 0 {
		m.StaleNote = fmt.Sprintf("%s %d 份：发布后导入的文件改变了它们读取的数据。kam serve 在下一个投递时段发出新版本（只发给部分有变化的收件人，主题带【更正】）；也可以现在运行右列的命令。",
			StaleLabel, len(m.Stale))
	}
	return nil
}

// runOf is r for people; missingCopies is how many of its report copies the reports folder lacks.
func runOf(r store.Run, missingCopies int, when func(time.Time) string) Run {
	took := ""
	if r.FinishedAt.Valid {
		took = tookLabel(r.FinishedAt.Time.Sub(r.StartedAt))
	}
	note := r.Headline
	if r.Outcome != store.RunSucceeded {
		note = r.Error
	}
	return Run{ID: r.ID, Job: r.Job, Period: r.Period,
		JobTitle: jobTitle(r.Job), PeriodLabel: periodLabel(r.Job, r.Period), TriggerLabel: triggerLabel(r.Trigger),
		Started: when(r.StartedAt), Took: took, Outcome: r.Outcome, OutcomeLabel: RunLabel(r.Outcome, missingCopies), Note: note,
		Rerun: fmt.Sprintf("kam run %s --period %s", r.Job, r.Period)}
}

// gatherFiles reads the last scan's files and, with opt.Inbox, their impacts and the unread files.
func (m *Model) gatherFiles(ctx context.Context, st *store.Store, opt Options, when func(time.Time) string) error {
	files, err := st.LastScanFiles(ctx)
	if err != nil {
		return err
	}
	if len(files) > 0 {
		m.ScanAt = when(time.UnixMicro(files[0].ScanID))
	}
	if opt.Scope != "" {
		opt.Inbox = false // the unread files are the whole inbox's
	}
	for _, f := range files {
		if opt.Scope != "" && f.Unit != opt.Scope {
			continue
		}
		row := File{ID: f.ID, When: when(f.StartedAt), Name: f.Name, Kind: f.Kind, KindLabel: KindLabel(f.Kind),
			Outcome: f.Outcome, OutcomeLabel: FileOutcomeLabel(f.Outcome), Rows: f.Rows, Errors: f.ErrorCount,
			StoredAs: f.StoredAs}
		if f.Outcome == store.FileRejected {
			row.ErrorBook = f.ErrorBook
		}
		if opt.Inbox && f.Kind == domain.KindRevenue && f.ID != 0 {
			im, err := st.FileImpacts(ctx, f.ID)
			if err != nil {
				return err
			}
			for _, r := range im {
				row.Impacts = append(row.Impacts, Impact{Month: r.Month.String(), Line: r.Line,
					RowsBefore: r.RowsBefore, RowsAfter: r.RowsAfter, Before: r.AmountBefore, After: r.AmountAfter})
			}
			if f.Confirmed {
				row.Marks = "（确认替换）"
			}
			if f.Unit != "" {
				row.Marks += "（单位 " + f.Unit + "）"
			}
			row.Change = "收入变化"
			if f.Outcome != store.FileLoaded {
				row.Change = "收入变化（未导入：若导入将是）"
			}
		}
		m.Files = append(m.Files, row)
	}
	if !opt.Inbox {
		return nil
	}
	unread, err := st.UnreadFiles(ctx)
	if err != nil {
		return err
	}
	for _, u := range unread {
		m.Unread = append(m.Unread, Unread{FirstSeen: when(u.FirstSeen), Path: u.Path, Reason: u.Reason})
	}
	return nil
}

// unitsWithout counts the units with a mailbox in boxes and names the centres without one.
func unitsWithout(units []domain.Unit, boxes map[string][]string) *Units {
	if len(units) == 0 {
		return nil
	}
	u := &Units{}
	for _, unit := range units {
		if len(boxes[unit.Code]) > 0 {
			u.WithMailbox++
			continue
		}
		switch unit.Kind {
		case domain.CityCenter, domain.Professional, domain.District:
			u.Centres = append(u.Centres, unit.Code+" "+unit.Name)
		default:
			u.Small++
		}
	}
	return u
}

// gatherMail reads the outbox's backlog, up to n mails queued or made moot,
// and up to n dead letters.
func (m *Model) gatherMail(ctx context.Context, st *store.Store, smtp config.SMTP, n int, when func(time.Time) string) error {
	b, err := st.MailBacklog(ctx)
	if err != nil {
		return err
	}
	m.Backlog = fmt.Sprintf("%s %d 封", MailStatusLabel(store.MailQueued), b.Queued)
	if b.OldestQueued.Valid {
		m.Backlog += "（最早排队于 " + when(b.OldestQueued.Time) + "）"
	}
	if b.Held > 0 {
		m.Backlog += fmt.Sprintf("，%s %d 封", MailStatusLabel(store.MailHeld), b.Held)
		if b.NextWindow.Valid {
			m.Backlog += "（" + when(b.NextWindow.Time) + " 合并发出，或 kam deliver 立即发出）"
		}
	}
	m.Backlog += fmt.Sprintf("，%s %d 封，%s %d 封", MailStatusLabel(store.MailDead), b.Dead, MailStatusLabel(store.MailSent), b.Sent)
	if b.LastSent.Valid {
		m.Backlog += "（最近一封 " + when(b.LastSent.Time) + "）"
	}
	if smtp.Host == "" {
		m.SMTP = "未配置 smtp.host：邮件只排队，不发送。"
	} else {
		m.SMTP = fmt.Sprintf("邮件服务器 %s:%d（%s）", smtp.Host, smtp.Port, smtp.TLS)
	}
	unsent, err := st.UnsentMail(ctx, n)
	if err != nil {
		return err
	}
	for _, u := range unsent {
		next := ""
		if u.Status == store.MailQueued || u.Status == store.MailHeld { // a held mail's is its window
			next = when(u.NextAttemptAt)
		}
		m.Mail = append(m.Mail, mailOf(u, next, ""))
	}
	if b.Dead == 0 {
		return nil
	}
	dead, err := st.DeadMail(ctx, n)
	if err != nil {
		return err
	}
	for _, d := range dead {
		m.Dead = append(m.Dead, mailOf(d, "", when(d.NextAttemptAt)))
	}
	m.DeadNote = fmt.Sprintf("%s %d 封：邮件服务器拒收，或 smtp.max_attempts 次尝试都没有成功（服务器停机不计次数），kam 不再重试。"+
		"处理原因后运行 %s 重新投递（只重发某个收件人的：加 --to 地址）。", MailStatusLabel(store.MailDead), b.Dead, mail.RetryCommand)
	if len(m.Dead) < b.Dead {
		m.DeadNote += fmt.Sprintf("下面是最近的 %d 封。", len(m.Dead))
	}
	return nil
}

// mailOf is a mail as the views list it.
func mailOf(u store.Mail, next, givenUp string) Mail {
	return Mail{ID: u.ID, Recipient: u.Recipient, Subject: u.Subject, Status: u.Status, StatusLabel: MailStatusLabel(u.Status),
		Attempts: u.Attempts, Next: next, GivenUp: givenUp, LastError: u.LastError}
}

// archiveOf groups reports by job, then period, newest period first.
func archiveOf(reports []store.Report, when func(time.Time) string) []ArchiveJob {
	byJob := map[string]map[string][]Report{}
	for _, r := range reports {
		if byJob[r.Job] == nil {
			byJob[r.Job] = map[string][]Report{}
		}
		byJob[r.Job][r.Period] = append(byJob[r.Job][r.Period], Report{ID: r.ID, FileName: r.FileName,
			Version: VersionLabel(r.Version, r.Current), Current: r.Current,
			Size: sizeLabel(r.Size), Created: when(r.CreatedAt), SHA256: r.SHA256})
	}
	jobs := make([]string, 0, len(byJob))
	for j := range byJob {
		jobs = append(jobs, j)
	}
	sort.Strings(jobs)
	var out []ArchiveJob
	for _, j := range jobs {
		aj := ArchiveJob{Job: j, JobTitle: jobTitle(j)}
		for per, rs := range byJob[j] {
			aj.Periods = append(aj.Periods, ArchivePeriod{Period: per, PeriodLabel: periodLabel(j, per), Reports: rs})
		}
		sort.Slice(aj.Periods, func(a, b int) bool { return aj.Periods[a].Period > aj.Periods[b].Period })
		out = append(out, aj)
	}
	return out
}
