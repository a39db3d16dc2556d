package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"kam/domain"
	"kam/link"
	"kam/pipeline/daemon"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/store"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"job":    jobs.Title,
	"period": jobs.PeriodLabel,
	"size":   sizeLabel,
	"local":  func(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04") },
}).ParseFS(templateFS, "templates/*.html"))

// What the page lists of each section.
const (
	pageRuns    = 30
	pageFailed  = 20
	pageMail    = 20
	pageReports = 300
)

var runOutcomes = map[string]string{store.RunSucceeded: "成功", store.RunFailed: "失败", store.RunRunning: "运行中", store.RunRefused: "拒绝", store.RunInterrupted: "中断"}

var fileOutcomes = map[store.FileOutcome]string{store.FileLoaded: "已导入", store.FileRejected: "已退回", store.FileDuplicate: "重复"}

var mailStatuses = map[string]string{store.MailQueued: "待发", store.MailSent: "已发送", store.MailFailed: "已放弃", store.MailSuperseded: "已过时"}

func (s *Server) render(w http.ResponseWriter, code int, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		s.app.Log.Error().Err(err).Str("page", name).Msg("网页渲染失败")
		http.Error(w, "页面生成失败", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// fail answers a request kam could not serve with a page saying so; the cause goes to the log only.
func (s *Server) fail(w http.ResponseWriter, code int, msg string, err error) {
	if err != nil {
		s.app.Log.Error().Err(err).Msg(msg)
	}
	s.render(w, code, "message.html", messagePage{Title: http.StatusText(code), Message: msg})
}

type messagePage struct{ Title, Message string }

type statusPage struct {
	User     string
	Now      string
	Zone     string
	Dialect  string
	Runs     []runRow
	Failed   []runRow
	ScanAt   string
	Files    []fileRow
	Backlog  string
	SMTP     string
	Mail     []mailRow
	Firings  []firingRow
	Archive  []archiveJob
	Unit     string // the unit whose own workbooks the archive shows; "" for the city's
	Running  bool
	Problems string
	Loc      *time.Location
}

type runRow struct {
	ID                                                 int64
	Job, Period, Trigger, Started, Took, Outcome, Note string
	Class                                              string
	Rerun                                              string
}

type fileRow struct {
	ID                                  int64
	When, Name, Kind, Outcome, StoredAs string
	Rows, Errors                        int
	HasErrorBook                        bool
}

type mailRow struct {
	ID                                          int64
	Recipient, Subject, Status, Next, LastError string
	Attempts                                    int
}

type firingRow struct{ What, Spec, Next string }

type archiveJob struct {
	Job     string
	Periods []archivePeriod
}

type archivePeriod struct {
	Period  string
	Reports []store.Report
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, user string) {
	p, err := s.statusData(r.Context(), user, strings.TrimSpace(r.URL.Query().Get("unit")))
	if err != nil {
		s.fail(w, http.StatusServiceUnavailable, "读取状态失败：数据库不可用", err)
		return
	}
	s.render(w, http.StatusOK, "status.html", p)
}

// statusData reads the page; unit, when set, shows that unit's own workbooks
// in the archive instead of the city-wide ones.
func (s *Server) statusData(ctx context.Context, user, unit string) (statusPage, error) {
	st, loc := s.app.Store, s.app.Cfg.Location()
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	now := s.now()
	p := statusPage{User: user, Now: when(now), Zone: loc.String(), Dialect: st.Dialect(), Running: s.sched != nil && s.sched.Running(), Loc: loc, Unit: unit}
	p.Problems = s.unhealthy(ctx)

	runs, err := st.RecentRuns(ctx, pageRuns)
	if err != nil {
		return p, err
	}
	row := func(r store.Run) runRow {
		took := ""
		if r.FinishedAt.Valid {
			took = tookLabel(r.FinishedAt.Time.Sub(r.StartedAt))
		}
		note := r.Headline
		if r.Outcome != store.RunSucceeded {
			note = r.Error
		}
		return runRow{ID: r.ID, Job: jobs.Title(r.Job), Period: jobs.PeriodLabel(r.Job, r.Period),
			Trigger: jobs.TriggerLabel(r.Trigger), Started: when(r.StartedAt), Took: took,
			Outcome: label(runOutcomes, r.Outcome), Class: r.Outcome, Note: note,
			Rerun: fmt.Sprintf("kam run %s --period %s", r.Job, r.Period)}
	}
	for _, r := range runs {
		p.Runs = append(p.Runs, row(r))
	}
	failed, err := st.FailedRuns(ctx, pageFailed)
	if err != nil {
		return p, err
	}
	for _, r := range failed {
		p.Failed = append(p.Failed, row(r))
	}

	files, err := st.LastScanFiles(ctx)
	if err != nil {
		return p, err
	}
	if len(files) > 0 {
		p.ScanAt = when(time.UnixMicro(files[0].ScanID))
	}
	for _, f := range files {
		kind := domain.KindLabels[f.Kind]
		if kind == "" {
			kind = "无法识别"
		}
		p.Files = append(p.Files, fileRow{ID: f.ID, When: when(f.StartedAt), Name: f.Name, Kind: kind,
			Outcome: label(fileOutcomes, f.Outcome), StoredAs: f.StoredAs, Rows: f.Rows, Errors: f.ErrorCount,
			HasErrorBook: f.Outcome == store.FileRejected})
	}

	b, err := st.MailBacklog(ctx)
	if err != nil {
		return p, err
	}
	p.Backlog = fmt.Sprintf("待发 %d 封", b.Queued)
	if b.OldestQueued.Valid {
		p.Backlog += "（最早排队于 " + when(b.OldestQueued.Time) + "）"
	}
	p.Backlog += fmt.Sprintf("，已放弃 %d 封，已发送 %d 封", b.Failed, b.Sent)
	if b.LastSent.Valid {
		p.Backlog += "（最近一封 " + when(b.LastSent.Time) + "）"
	}
	if s.app.Cfg.SMTP.Host == "" {
		p.SMTP = "未配置 smtp.host：邮件只排队，不发送。"
	} else {
		p.SMTP = fmt.Sprintf("邮件服务器 %s:%d（%s）", s.app.Cfg.SMTP.Host, s.app.Cfg.SMTP.Port, s.app.Cfg.SMTP.TLS)
	}
	unsent, err := st.UnsentMail(ctx, pageMail)
	if err != nil {
		return p, err
	}
	for _, m := range unsent {
		next := ""
		if m.Status == store.MailQueued {
			next = when(m.NextAttemptAt)
		}
		p.Mail = append(p.Mail, mailRow{ID: m.ID, Recipient: m.Recipient, Subject: m.Subject,
			Status: label(mailStatuses, m.Status), Next: next, LastError: m.LastError, Attempts: m.Attempts})
	}

	if s.sched != nil {
		for _, e := range s.sched.Plan.Entries {
			what := jobs.Title(e.Name)
			switch e.Name {
			case daemon.TaskIngest:
				what = "扫描收件目录"
			case daemon.TaskDelivery:
				what = "投递邮件"
			}
			p.Firings = append(p.Firings, firingRow{What: what, Spec: e.Spec, Next: when(s.sched.Plan.Next(e, now))})
		}
	}

	reports, err := st.ListReports(ctx, store.ReportFilter{Unit: unit, CityOnly: unit == ""}, pageReports)
	if err != nil {
		return p, err
	}
	byJob := map[string]map[string][]store.Report{}
	for _, r := range reports {
		if byJob[r.Job] == nil {
			byJob[r.Job] = map[string][]store.Report{}
		}
		byJob[r.Job][r.Period] = append(byJob[r.Job][r.Period], r)
	}
	jobs := make([]string, 0, len(byJob))
	for j := range byJob {
		jobs = append(jobs, j)
	}
	sort.Strings(jobs)
	for _, j := range jobs {
		aj := archiveJob{Job: j}
		for per, rs := range byJob[j] {
			aj.Periods = append(aj.Periods, archivePeriod{Period: per, Reports: rs})
		}
		sort.Slice(aj.Periods, func(a, b int) bool { return aj.Periods[a].Period > aj.Periods[b].Period })
		p.Archive = append(p.Archive, aj)
	}
	return p, nil
}

// download serves an archived report to a logged-in user.
func (s *Server) download(w http.ResponseWriter, r *http.Request, user string) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, http.StatusNotFound, "没有这个编号的归档报表", nil)
		return
	}
	s.serveReport(w, r, id, user)
}

// signedDownload serves the report a signed link grants, without a login.
func (s *Server) signedDownload(w http.ResponseWriter, r *http.Request) {
	id, exp, err := link.Check(s.key, r.URL.Path, s.now())
	switch {
	case errors.Is(err, link.ErrExpired):
		s.app.Log.Warn().Int64("report", id).Time("expired", exp).Msg("过期的下载链接被拒绝")
		s.render(w, http.StatusForbidden, "message.html", messagePage{Title: "链接已过期",
			Message: fmt.Sprintf("这个下载链接已于 %s 过期。请联系 kam 管理员重新获取报表。", exp.In(s.app.Cfg.Location()).Format("2006-01-02 15:04"))})
		return
	case err != nil:
		s.app.Log.Warn().Str("from", r.RemoteAddr).Msg("无效的下载链接被拒绝")
		s.render(w, http.StatusForbidden, "message.html", messagePage{Title: "链接无效",
			Message: "这个下载链接无效：它不完整，或者被改动过。请使用邮件中的原始链接，或联系 kam 管理员。"})
		return
	}
	s.serveReport(w, r, id, "signed link")
}

// serveReport copies the archived bytes to a temporary file, checked against
// their SHA-256, and only then serves them: a corrupt report is a 500 with
// nothing of it sent.
func (s *Server) serveReport(w http.ResponseWriter, r *http.Request, id int64, who string) {
	tmp, err := os.CreateTemp("", "kam-download-*")
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "无法准备下载", err)
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	rep, err := s.app.Store.ReportContent(r.Context(), id, tmp)
	switch {
	case errors.Is(err, store.ErrNoReport):
		s.fail(w, http.StatusNotFound, "没有这个编号的归档报表", nil)
		return
	case err != nil:
		s.fail(w, http.StatusInternalServerError, "无法取出归档报表（内容与记录的 SHA-256 不符，或数据库不可用），未发送任何内容", err)
		return
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		s.fail(w, http.StatusInternalServerError, "无法准备下载", err)
		return
	}
	s.app.Log.Info().Int64("report", id).Str("file", rep.FileName).Str("by", who).Msg("报表已下载")
	s.sendFile(w, r, rep.FileName, rep.CreatedAt, tmp)
}

func (s *Server) sendFile(w http.ResponseWriter, r *http.Request, name string, mod time.Time, f io.ReadSeeker) {
	ct := "application/octet-stream"
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".csv":
		ct = "text/csv; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	http.ServeContent(w, r, "", mod, f)
}

// errorWorkbook serves the error workbook beside a rejected file of the last scan.
func (s *Server) errorWorkbook(w http.ResponseWriter, r *http.Request, user string) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	files, err := s.app.Store.LastScanFiles(r.Context())
	if err != nil {
		s.fail(w, http.StatusServiceUnavailable, "读取文件记录失败：数据库不可用", err)
		return
	}
	for _, f := range files {
		if f.ID != id || f.Outcome != store.FileRejected {
			continue
		}
		path := ingest.ErrorBookPath(f.StoredAs)
		rejected, _ := filepath.Abs(s.app.Cfg.Paths.Rejected)
		if abs, _ := filepath.Abs(path); !strings.HasPrefix(abs, rejected+string(filepath.Separator)) {
			break
		}
		book, err := os.Open(path)
		if err != nil {
			s.fail(w, http.StatusNotFound, "错误明细表已不在退回目录中", nil)
			return
		}
		defer book.Close()
		fi, err := book.Stat()
		if err != nil {
			s.fail(w, http.StatusInternalServerError, "无法读取错误明细表", err)
			return
		}
		s.sendFile(w, r, filepath.Base(path), fi.ModTime(), book)
		return
	}
	s.fail(w, http.StatusNotFound, "最近一次扫描中没有这个被退回的文件", nil)
}

// tookLabel rounds a run's duration to what a person wants to know: 0.4s, 12s, 3m5s.
func tookLabel(d time.Duration) string {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func sizeLabel(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d 字节", n)
}

func label[K comparable](labels map[K]string, k K) string {
	if l, ok := labels[k]; ok {
		return l
	}
	return strings.TrimSpace(fmt.Sprint(k))
}
