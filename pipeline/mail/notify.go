// Package mail owns what kam says by e-mail and its delivery: the report
// mails a run queues in its publish transaction (city and units' parts),
// rejection notices and failed-run alerts, their subjects and bodies, the
// outbox's delivery through SMTP with retries, and the signed links of
// workbooks too large to attach. It knows no job, file format or rule: the
// callers hand it what to say. It may not import ingest, jobs, daemon, web or cmd.
package mail

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"path/filepath"
	"slices"
	"strings"

	"kam/domain"
	"kam/link"
	"kam/pipeline/core"
	"kam/store"
)

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
// ReportMessageID is the Message-ID of report rep's mail to rcpt.
func ReportMessageID(rep store.Report, rcpt string) string {
	return fmt.Sprintf("report-%d.%s.%s@kam", rep.ID, rep.SHA256[:8], shortHash(rcpt))
}

// rejectionMessageID names one rejection by its file record: the same bytes
// moved back from rejected/ and rejected again land on the same name there,
// and their second notice must not collide with the first.
func rejectionMessageID(record int64, fileSHA, movedTo, rcpt string) string {
	return fmt.Sprintf("rejected-%d.%s.%s.%s@kam", record, fileSHA[:min(8, len(fileSHA))], shortHash(movedTo), shortHash(rcpt))
}

func runFailedMessageID(runID int64, rcpt string) string {
	return fmt.Sprintf("run-%d.failed.%s@kam", runID, shortHash(rcpt))
}

// Run is what one run's mail says: the city's files to the report's
// recipients, each unit's own workbooks to that unit's mailboxes (SPEC §5).
type Run struct {
	Job, Title       string // the job's name and its readers' name for it
	Period, Label    string // the period, and as readers say it
	City             []store.Report
	Recipients       []string // the report's and any the run adds
	Headline, Figure string   // Figure: the subject's one figure (empty: the headline)
	Act              *Table
	Parts            []Part
	Shared           []store.Report // go with every unit's mail (the public announcement)
	// Correction says why the run re-issues reports already mailed (SPEC §5.2):
	// its mails are subjected 【更正】 and say so; "" for a first issue.
	Correction string
}

// Part is one unit's own share of a run's mail. A part without Reports is
// mailed the run's Shared files alone (its own workbook had nothing for it).
type Part struct {
	Unit             domain.Unit
	Mailboxes        []string
	Reports          []store.Report
	Headline, Figure string
	Act              *Table
}

// QueueReports queues the run's mail in the transaction that archives its
// reports: the city-wide files to the report's recipients, and each unit's
// own workbook (with the shared files) to that unit's mailboxes.
func QueueReports(tx *store.Tx, a *core.App, r Run) error {
	city := reportMail{reports: r.City, headline: r.Headline, figure: r.Figure, act: r.Act}
	if err := queueReports(a, tx, r, city, uniqueAddresses(r.Recipients)); err != nil {
		return err
	}
	for _, p := range r.Parts {
		m := reportMail{reports: append(slices.Clone(p.Reports), r.Shared...), headline: p.Headline, figure: p.Figure, act: p.Act, unit: p.Unit,
			sharedOnly: len(p.Reports) == 0}
		if err := queueReports(a, tx, r, m, uniqueAddresses(p.Mailboxes)); err != nil {
			return err
		}
	}
	return nil
}

// CorrectionPrefix starts the subject of a re-issued report's mail.
const CorrectionPrefix = "【更正】"

// reportMail is what one mail of a run carries: the city's files, or one unit's.
type reportMail struct {
	reports          []store.Report
	headline, figure string
	act              *Table
	unit             domain.Unit // set for a unit's own workbook
	sharedOnly       bool        // the unit gets the shared files alone: its own part had nothing for it
}

// queueReports queues one mail per recipient for m's reports. Workbooks
// larger together than smtp.max_attachment_mb stay out of the mail, which
// says where they are by name: staff do not see the server's disk.
func queueReports(a *core.App, tx *store.Tx, r Run, m reportMail, rcpts []string) error {
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
	title, label := r.Title, r.Label
	lead := fmt.Sprintf("%s（%s）已生成。", title, label)
	facts := [][2]string{{"报表", title}, {"期间", label}}
	if m.unit.Code != "" {
		name := m.unit.Named()
		lead = fmt.Sprintf("%s（%s）已生成，这是%s的部分。", title, label, name)
		if m.sharedOnly {
			lead = fmt.Sprintf("%s（%s）已生成。%s本次没有需要处理的事项，随信附上全市公开的文件。", title, label, name)
		}
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
			body.Notes = append(body.Notes, overLimitNote(a, "报表目录中的 "+r.FileName, r))
		}
	}
	body.Act = m.act
	subject := Subject(title, label, cmp.Or(m.figure, m.headline))
	if m.unit.Code != "" {
		subject = clip(m.unit.Named()+subject, maxSubjectRunes)
	}
	if r.Correction != "" {
		subject = clip(CorrectionPrefix+subject, maxSubjectRunes)
		body.Lead = fmt.Sprintf("%s（%s）已更正：这是第 %d 版，取代此前发出的版本。", title, label, m.reports[0].Version)
		if m.unit.Code != "" {
			body.Lead += fmt.Sprintf("附件是%s的部分。", m.unit.Named())
		}
		body.Notes = append(body.Notes, "更正原因："+r.Correction+"。与上一版不同的每一行见附件的“变更”工作表。")
	}
	html, text, err := body.render()
	if err != nil {
		return err
	}
	// With a delivery window, the mail waits for it and goes inside that window's digest (SPEC §5.1).
	window := a.Cfg.NextDigest(a.Clock())
	for _, rcpt := range rcpts {
		ml := store.Mail{ReportID: m.reports[0].ID, Kind: r.Job, Title: title, Recipient: rcpt, Subject: subject, HTML: html, Text: text,
			MessageID: ReportMessageID(m.reports[0], rcpt), CreatedAt: a.Clock()}
		if !window.IsZero() {
			ml.Status, ml.NextAttemptAt = store.MailHeld, window
		}
		if attach {
			ml.Reports = ids
		}
		if _, err := tx.QueueMail(ml); err != nil {
			return err
		}
	}
	return nil
}

// Failure is a run that failed, for the administrator.
type Failure struct {
	RunID         int64
	Job, Title    string
	Period, Label string
	Trigger       string // said the readers' way: 手动, 计划, 补跑
	Err           error
}

// QueueRunFailed tells the administrator that a run failed and how to rerun it.
func QueueRunFailed(ctx context.Context, a *core.App, f Failure) error {
	runID, job, period, runErr := f.RunID, f.Job, f.Period, f.Err
	rcpts := uniqueAddresses(a.Cfg.Recipients.Admin)
	if len(rcpts) == 0 {
		return nil
	}
	title, label := f.Title, f.Label
	body := mailBody{
		Title: "kam 作业失败：" + title + " · " + label,
		Lead:  fmt.Sprintf("作业 %s（%s）%s 的运行失败，没有生成报表，也没有发出邮件。", job, title, label),
		Facts: [][2]string{{"作业", job + "（" + title + "）"}, {"期间", label}, {"触发", f.Trigger},
			{"运行编号", fmt.Sprint(runID)}, {"时间", a.Clock().Format("2006-01-02 15:04:05 MST")}},
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
			MessageID: runFailedMessageID(runID, rcpt), CreatedAt: a.Clock()}
	}
	return a.Store.QueueMail(ctx, ms...)
}

// rejectionRowsShown is how many bad rows a rejection notice lists; the error workbook has them all.
const rejectionRowsShown = 10

// Rejection is a file the inbox scan rejected, for its notice.
type Rejection struct {
	Record    int64       // its file record
	Name      string      // the file's name as staff dropped it
	Kind      domain.Kind // what it was read as
	SHA       string      // its SHA-256
	MovedTo   string      // where it went in rejected/
	ErrorBook string      // its error workbook as written; "" when none was (Book is then not attached)
	Reason    string      // a file-level reason, if any
	Unit      string      // the unit whose inbox folder it came from
	Errors    []domain.RowError
	Total     int // all its errors (Errors may hold fewer)
	Book      []byte
}

// QueueRejection sends operations (and the unit, for its own folder's file) a
// notice for a rejected file, with its error workbook attached.
func QueueRejection(ctx context.Context, a *core.App, fr Rejection) error {
	fileSHA, errs, total, book := fr.SHA, fr.Errors, fr.Total, fr.Book
	rcpts := a.Cfg.Recipients.Rejections
	if fr.Unit != "" {
		// A file dropped in inbox/<单位编码>/ is that unit's: its notice goes to the unit too (SPEC §3.2).
		boxes, err := a.Mailboxes(ctx)
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
	// The workbook named is the one written, and none when none was.
	written := fr.ErrorBook != ""
	bookName := filepath.Base(fr.ErrorBook)
	bookFact, next := bookName, "按错误明细逐行改正原文件，改好后重新放入收件目录；整个文件会重新导入"
	if !written {
		bookFact, next = "未能写出（原因见下）", "按本邮件所列错误改正原文件，改好后重新放入收件目录；整个文件会重新导入"
	}
	body := mailBody{
		Title: fmt.Sprintf("文件被退回：%s（%d 处错误）", fr.Name, total),
		Lead:  fmt.Sprintf("收件目录中的文件 %s 没有导入：文件中有错误，整个文件退回，数据库未做任何改动。", fr.Name),
		// Names as staff see them: the server's folders mean nothing to the clerk who made the file.
		Facts: [][2]string{{"文件", fr.Name}, {"识别类型", kind}, {"错误条数", fmt.Sprint(total)},
			{"文件现在", "已移到 kam 的退回目录，名为 " + filepath.Base(fr.MovedTo)}, {"错误明细", bookFact},
			{"下一步", next}},
		Footer: "此邮件由 kam 自动发送，请勿直接回复。",
	}
	if fr.Reason != "" {
		body.Facts = append(body.Facts, [2]string{"原因", fr.Reason})
	}
	body.Errors = errs[:min(len(errs), rejectionRowsShown)]
	if total > len(body.Errors) {
		more := fmt.Sprintf("以上是前 %d 处错误，全部 %d 处见错误明细。", len(body.Errors), total)
		if !written {
			more = fmt.Sprintf("以上是前 %d 处错误，共 %d 处；错误明细未能写出，其余错误在改正后重新导入时列出。", len(body.Errors), total)
		}
		body.Notes = append(body.Notes, more)
	}
	attach := written && int64(len(book)) <= int64(a.Cfg.SMTP.MaxAttachmentMB)<<20
	switch {
	case !written:
	case attach:
		body.Notes = append(body.Notes, "请按附件“错误明细”逐行改正后，将改好的文件重新放入收件目录。")
	default:
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
			MessageID: rejectionMessageID(fr.Record, fileSHA, fr.MovedTo, rcpt), CreatedAt: a.Clock()}
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
	Act      *Table // what the recipient must act on
	Footer   string
}

var mailHTML = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:'Microsoft YaHei','PingFang SC',sans-serif;font-size:14px;color:#222">
` + sectionStart + `
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
` + sectionEnd + `
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
	t.WriteString(textFooter + b.Footer + "\n")
	return h.String(), t.String(), nil
}

// overLimitNote tells a reader where a workbook too large to attach is: a
// signed download link valid http.link_days when the web side has a base URL
// and a key, else the folder and the command to take it from the archive.
func overLimitNote(a *core.App, path string, r store.Report) string {
	h := a.Cfg.HTTP
	if h.BaseURL == "" || h.LinkSecret() == "" {
		return fmt.Sprintf("%s ；kam reports get %d -o %s", path, r.ID, r.FileName)
	}
	exp := a.Clock().AddDate(0, 0, h.LinkDays)
	return fmt.Sprintf("下载 %s（无需登录，%d 天内有效，至 %s）：%s", r.FileName, h.LinkDays, exp.Format("2006-01-02 15:04"),
		link.URL(h.BaseURL, []byte(h.LinkSecret()), r.ID, exp))
}

// LoadNote is a file that loaded in a way its senders should hear of: loaded
// again after it changed (a copy that went on after kam read it), or a re-drop
// that undid the files loaded after it (SPEC §3.3).
type LoadNote struct {
	Name   string // the file's name as staff dropped it
	ID     int64  // its record: one notice per load
	Unit   string // the unit whose inbox folder it came from
	Note   string // what happened, in a sentence
	Rows   int
	Impact string // a revenue file's rows and amounts before → after
}

// QueueLoadNote tells the rejection recipients (and the unit, for its own
// folder's file) what happened to a file that loaded again.
func QueueLoadNote(ctx context.Context, a *core.App, n LoadNote) error {
	rcpts := a.Cfg.Recipients.Rejections
	if n.Unit != "" {
		boxes, err := a.Mailboxes(ctx)
		if err != nil {
			return err
		}
		rcpts = append(append([]string(nil), rcpts...), boxes[n.Unit]...)
	}
	rcpts = uniqueAddresses(rcpts)
	if len(rcpts) == 0 {
		return nil
	}
	body := mailBody{
		Title:  "文件已重新导入：" + n.Name,
		Lead:   n.Note + "。",
		Facts:  [][2]string{{"文件", n.Name}, {"导入行数", fmt.Sprint(n.Rows)}},
		Notes:  []string{"数据库中的这些数据现在与该文件的全部内容一致；之前据此生成的报表如需更新，请重新运行相应作业。"},
		Footer: "此邮件由 kam 自动发送，请勿直接回复。",
	}
	if n.Impact != "" {
		body.Facts = append(body.Facts, [2]string{"收入变化", n.Impact})
	}
	html, text, err := body.render()
	if err != nil {
		return err
	}
	ms := make([]store.Mail, len(rcpts))
	for i, rcpt := range rcpts {
		ms[i] = store.Mail{Kind: "reloaded", Recipient: rcpt, Subject: clip(body.Title, maxSubjectRunes), HTML: html, Text: text,
			MessageID: fmt.Sprintf("reloaded.%d.%s@kam", n.ID, shortHash(rcpt)), CreatedAt: a.Clock()}
	}
	return a.Store.QueueMail(ctx, ms...)
}
