package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"path/filepath"
	"slices"
	"strings"

	"kam/domain"
	"kam/store"
)

// jobTitles names each report for the people who receive it.
var jobTitles = map[string]string{
	"grade":          "季度客户分级",
	"tender":         "竞标公告",
	"review-diamond": "钻石客户用邮分析",
	"review-gold":    "黄金客户用邮分析",
	"splits":         "收入分成",
	"roster":         "客户经理名册",
}

// JobTitle is the report's Chinese name, or the job's own name.
func JobTitle(job string) string {
	if t, ok := jobTitles[job]; ok {
		return t
	}
	return job
}

// PeriodLabel writes a period the way readers say it: 2026 年第 2 季度, 2026 年 6 月,
// 2026 年 5—6 月 (the bimonthly gold pack), 2026 年 6 月 15 日.
func PeriodLabel(job, period string) string {
	if q, err := domain.ParseQuarter(period); err == nil {
		return fmt.Sprintf("%d 年第 %d 季度", q.Year, q.Q)
	}
	if d, err := domain.ParseDate(period); err == nil {
		t := d.Time()
		return fmt.Sprintf("%d 年 %d 月 %d 日", t.Year(), int(t.Month()), t.Day())
	}
	if m, err := domain.ParseMonth(period); err == nil {
		if job == "review-gold" {
			return fmt.Sprintf("%d 年 %d—%d 月", m.Year(), int(m.Mon())-1, int(m.Mon()))
		}
		return fmt.Sprintf("%d 年 %d 月", m.Year(), int(m.Mon()))
	}
	return period
}

// triggerLabels says what started a run.
var triggerLabels = map[string]string{TriggerManual: "手动", TriggerSchedule: "计划", TriggerCatchUp: "补跑"}

// TriggerLabel is the Chinese word for a run's trigger.
func TriggerLabel(t string) string {
	if l, ok := triggerLabels[t]; ok {
		return l
	}
	return t
}

// reportRecipients is who receives a job's report.
func (a *App) reportRecipients(job string) []string {
	r := a.Cfg.Recipients
	lists := map[string][]string{
		"grade": r.Grades, "tender": r.Tender, "review-diamond": r.ReviewDiamond,
		"review-gold": r.ReviewGold, "splits": r.Splits, "roster": r.Roster,
	}
	return uniqueAddresses(lists[job])
}

func uniqueAddresses(list []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, addr := range list {
		addr = strings.TrimSpace(addr)
		if addr == "" || seen[strings.ToLower(addr)] {
			continue
		}
		seen[strings.ToLower(addr)] = true
		out = append(out, addr)
	}
	return out
}

// shortHash is 8 hex digits of SHA-256, enough to tell recipients and files apart in a Message-ID.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(s)))
	return hex.EncodeToString(sum[:4])
}

// Message-IDs are fixed by what a mail is about and who gets it, so a resend
// after a crash carries the same id and the receiving side can recognise it.
func reportMessageID(rep store.Report, rcpt string) string {
	return fmt.Sprintf("report-%d.%s.%s@kam", rep.ID, rep.SHA256[:8], shortHash(rcpt))
}

func rejectionMessageID(fileSHA, movedTo, rcpt string) string {
	return fmt.Sprintf("rejected.%s.%s.%s@kam", fileSHA[:min(8, len(fileSHA))], shortHash(movedTo), shortHash(rcpt))
}

func runFailedMessageID(runID int64, rcpt string) string {
	return fmt.Sprintf("run-%d.failed.%s@kam", runID, shortHash(rcpt))
}

// queueReportMail queues the run's mail in the transaction that archives its
// reports: the city-wide files to the report's recipients (and AlsoTo), and
// each unit's own workbook to that unit's mailboxes (SPEC §5).
func (a *App) queueReportMail(tx *store.Tx, job string, out *Output, _ []string) error {
	var city []store.Report
	own := map[string][]store.Report{}
	for _, r := range out.Reports {
		switch {
		case slices.ContainsFunc(out.shared, func(x store.Report) bool { return x.ID == r.ID }):
		case r.Unit == "":
			city = append(city, r)
		default:
			own[r.Unit] = append(own[r.Unit], r)
		}
	}
	rcpts := uniqueAddresses(append(a.reportRecipients(job), out.AlsoTo...))
	if err := a.queueReports(tx, job, out.Period, reportMail{reports: city, headline: out.Headline, counts: out.Counts, act: out.Act}, rcpts); err != nil {
		return err
	}
	for _, p := range out.Parts {
		m := reportMail{reports: append(own[p.Unit.Code], out.shared...), headline: p.Headline, counts: p.Counts, act: p.Act, unit: p.Unit}
		if err := a.queueReports(tx, job, out.Period, m, uniqueAddresses(p.Mailboxes)); err != nil {
			return err
		}
	}
	return nil
}

// reportMail is what one mail of a run carries: the city's files, or one unit's.
type reportMail struct {
	reports  []store.Report
	headline string
	counts   map[string]int64
	act      *MailTable
	unit     domain.Unit // set for a unit's own workbook
}

// queueReports queues one mail per recipient for m's reports. Workbooks
// larger together than smtp.max_attachment_mb stay out of the mail, which
// says where they are by name: staff do not see the server's disk.
func (a *App) queueReports(tx *store.Tx, job, period string, m reportMail, rcpts []string) error {
	if len(rcpts) == 0 || len(m.reports) == 0 {
		return nil
	}
	var total int64
	ids := make([]int64, len(m.reports))
	for i, r := range m.reports {
		total += r.Size
		ids[i] = r.ID
	}
	attach := total <= int64(a.Cfg.SMTP.MaxAttachmentMB)<<20
	title, label := JobTitle(job), PeriodLabel(job, period)
	lead := fmt.Sprintf("%s（%s）已生成。", title, label)
	facts := [][2]string{{"报表", title}, {"期间", label}}
	if m.unit.Code != "" {
		name := strings.TrimSpace(m.unit.Code + " " + m.unit.Name)
		lead = fmt.Sprintf("%s（%s）已生成，这是%s的部分。", title, label, name)
		facts = append(facts, [2]string{"单位", name})
	}
	body := mailBody{
		Title:    title + " · " + label,
		Lead:     lead,
		Headline: m.headline,
		Facts:    facts,
		Footer:   fmt.Sprintf("此邮件由 kam 自动发送，请勿直接回复。运行编号 %d。", m.reports[0].RunID),
	}
	for _, r := range m.reports {
		body.Facts = append(body.Facts, [2]string{"文件", fmt.Sprintf("%s（%s）", r.FileName, sizeLabel(r.Size))})
	}
	if attach {
		body.Notes = append(body.Notes, "报表见附件。")
	} else {
		body.Notes = append(body.Notes, fmt.Sprintf("报表共 %s，超过邮件附件上限 %d MB，未随信附上。请到 kam 服务器的报表目录取用，或在服务器上从归档取出：",
			sizeLabel(total), a.Cfg.SMTP.MaxAttachmentMB))
		for _, r := range m.reports {
			body.Notes = append(body.Notes, a.overLimitNote("报表目录中的 "+r.FileName, r))
		}
	}
	body.Act = m.act
	subject := mailSubject(job, period, m.counts, m.headline)
	if m.unit.Code != "" {
		subject = clip(m.unit.Code+" "+subject, maxSubjectRunes)
	}
	html, text, err := body.render()
	if err != nil {
		return err
	}
	for _, rcpt := range rcpts {
		ml := store.Mail{ReportID: m.reports[0].ID, Kind: job, Recipient: rcpt, Subject: subject, HTML: html, Text: text,
			MessageID: reportMessageID(m.reports[0], rcpt), CreatedAt: a.now()}
		if attach {
			ml.Reports = ids
		}
		if _, err := tx.QueueMail(ml); err != nil {
			return err
		}
	}
	return nil
}

// queueRunFailed tells the administrator that a run failed and how to rerun it.
func (a *App) queueRunFailed(ctx context.Context, runID int64, job, period, trigger string, runErr error) error {
	rcpts := uniqueAddresses(a.Cfg.Recipients.Admin)
	if len(rcpts) == 0 {
		return nil
	}
	title, label := JobTitle(job), PeriodLabel(job, period)
	body := mailBody{
		Title: "kam 作业失败：" + title + " · " + label,
		Lead:  fmt.Sprintf("作业 %s（%s）%s 的运行失败，没有生成报表，也没有发出邮件。", job, title, label),
		Facts: [][2]string{{"作业", job + "（" + title + "）"}, {"期间", label}, {"触发", TriggerLabel(trigger)},
			{"运行编号", fmt.Sprint(runID)}, {"时间", a.now().Format("2006-01-02 15:04:05 MST")}},
		Notes: []string{"错误：" + runErr.Error(),
			fmt.Sprintf("处理后可在服务器上重新运行：kam run %s --period %s", job, period),
			"计划运行失败的期间，kam serve 下次启动时也会自动补跑。"},
		Footer: "此邮件由 kam 自动发送，请勿直接回复。",
	}
	html, text, err := body.render()
	if err != nil {
		return err
	}
	ms := make([]store.Mail, len(rcpts))
	for i, rcpt := range rcpts {
		ms[i] = store.Mail{Kind: "run-failed", Recipient: rcpt, Subject: body.Title, HTML: html, Text: text,
			MessageID: runFailedMessageID(runID, rcpt), CreatedAt: a.now()}
	}
	return a.Store.QueueMail(ctx, ms...)
}

// rejectionRowsShown is how many bad rows a rejection notice lists; the error workbook has them all.
const rejectionRowsShown = 10

// queueRejection sends operations a notice for a rejected file, with its error workbook attached.
func (a *App) queueRejection(ctx context.Context, fr FileResult, fileSHA string, errs []domain.RowError, total int, book []byte) error {
	rcpts := a.Cfg.Recipients.Rejections
	if fr.Unit != "" {
		// A file dropped in inbox/<单位编码>/ is that unit's: its notice goes to the unit too (SPEC §3.2).
		boxes, err := a.unitMailboxes(ctx)
		if err != nil {
			return err
		}
		rcpts = append(append([]string(nil), rcpts...), boxes[fr.Unit]...)
	}
	rcpts = uniqueAddresses(rcpts)
	if len(rcpts) == 0 {
		return nil
	}
	kind := "无法识别"
	if l, ok := domain.KindLabels[fr.Kind]; ok {
		kind = l
	}
	bookName := filepath.Base(fr.ErrorBook)
	body := mailBody{
		Title: fmt.Sprintf("文件被退回：%s（%d 处错误）", fr.Name, total),
		Lead:  fmt.Sprintf("收件目录中的文件 %s 没有导入：文件中有错误，整个文件退回，数据库未做任何改动。", fr.Name),
		// Names as staff see them: the server's folders mean nothing to the clerk who made the file.
		Facts: [][2]string{{"文件", fr.Name}, {"识别类型", kind}, {"错误条数", fmt.Sprint(total)},
			{"文件现在", "已移到 kam 的退回目录，名为 " + filepath.Base(fr.MovedTo)}, {"错误明细", bookName},
			{"下一步", "按错误明细逐行改正原文件，改好后重新放入收件目录；整个文件会重新导入"}},
		Footer: "此邮件由 kam 自动发送，请勿直接回复。",
	}
	if fr.Reason != "" {
		body.Facts = append(body.Facts, [2]string{"原因", fr.Reason})
	}
	body.Errors = errs[:min(len(errs), rejectionRowsShown)]
	if total > len(body.Errors) {
		body.Notes = append(body.Notes, fmt.Sprintf("以上是前 %d 处错误，全部 %d 处见错误明细。", len(body.Errors), total))
	}
	attach := int64(len(book)) <= int64(a.Cfg.SMTP.MaxAttachmentMB)<<20
	if attach {
		body.Notes = append(body.Notes, "请按附件“错误明细”逐行改正后，将改好的文件重新放入收件目录。")
	} else {
		body.Notes = append(body.Notes, fmt.Sprintf("错误明细共 %s，超过邮件附件上限，未随信附上，在 kam 的退回目录中，名为 %s（可请管理员取出）。改正后请将文件重新放入收件目录。",
			sizeLabel(int64(len(book))), bookName))
	}
	html, text, err := body.render()
	if err != nil {
		return err
	}
	ms := make([]store.Mail, len(rcpts))
	for i, rcpt := range rcpts {
		ms[i] = store.Mail{Kind: "rejection", Recipient: rcpt, Subject: clip(body.Title, maxSubjectRunes), HTML: html, Text: text,
			MessageID: rejectionMessageID(fileSHA, fr.MovedTo, rcpt), CreatedAt: a.now()}
		if attach {
			ms[i].AttachmentName, ms[i].Attachment = bookName, book
		}
	}
	return a.Store.QueueMail(ctx, ms...)
}

// sizeLabel writes a file size for people: 856 字节, 12.3 KB, 4.5 MB.
func sizeLabel(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d 字节", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
}

// mailBody is what every kam mail says, rendered as HTML and as plain text.
type mailBody struct {
	Title    string
	Lead     string
	Headline string
	Facts    [][2]string
	Errors   []domain.RowError
	Notes    []string
	Act      *MailTable // what the recipient must act on
	Footer   string
}

var mailHTML = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:'Microsoft YaHei','PingFang SC',sans-serif;font-size:14px;color:#222">
<p>{{.Lead}}</p>
{{- if .Headline}}
<p style="font-size:16px"><b>{{.Headline}}</b></p>
{{- end}}
<table style="border-collapse:collapse">
{{- range .Facts}}
<tr><td style="padding:2px 16px 2px 0;color:#666">{{index . 0}}</td><td>{{index . 1}}</td></tr>
{{- end}}
</table>
{{- if .Errors}}
<table style="border-collapse:collapse;margin-top:12px" border="1" cellpadding="4">
<tr><th>行号</th><th>列</th><th>值</th><th>错误</th></tr>
{{- range .Errors}}
<tr><td>{{if .Row}}{{.Row}}{{end}}</td><td>{{.Column}}</td><td>{{.Value}}</td><td>{{.Reason}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- with .Act}}{{if .Rows}}
<p style="margin-top:12px"><b>{{.Caption}}</b></p>
<table style="border-collapse:collapse" border="1" cellpadding="4">
<tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{- range .Rows}}
<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{- end}}
</table>
{{- else if .Empty}}
<p>{{.Empty}}</p>
{{- end}}{{end}}
{{- range .Notes}}
<p>{{.}}</p>
{{- end}}
<p style="color:#888;font-size:12px">{{.Footer}}</p>
</body></html>
`))

func (b mailBody) render() (html, text string, err error) {
	var h bytes.Buffer
	if err := mailHTML.Execute(&h, b); err != nil {
		return "", "", fmt.Errorf("邮件正文: %w", err)
	}
	var t strings.Builder
	t.WriteString(b.Lead + "\n\n")
	if b.Headline != "" {
		t.WriteString(b.Headline + "\n\n")
	}
	for _, f := range b.Facts {
		t.WriteString(f[0] + "：" + f[1] + "\n")
	}
	if len(b.Errors) > 0 {
		t.WriteString("\n")
		for _, e := range b.Errors {
			if e.Row == 0 { // the whole file, not one row
				t.WriteString(e.Column + "「" + e.Value + "」：" + e.Reason + "\n")
				continue
			}
			t.WriteString(e.Error() + "\n")
		}
	}
	t.WriteString(b.Act.text())
	for _, n := range b.Notes {
		t.WriteString("\n" + n + "\n")
	}
	t.WriteString("\n-- \n" + b.Footer + "\n")
	return h.String(), t.String(), nil
}
