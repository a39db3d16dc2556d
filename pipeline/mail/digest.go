package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"

	"kam/pipeline/core"
	"kam/store"
)

// DigestKind is the kind of the one mail a recipient's held report mails go
// as at a delivery window (mail.digest_at, SPEC §5.1).
const DigestKind = "digest"

// What a digest takes of each report mail: its body without the page around
// it and without the footer. The HTML section is the one div of the body.
const (
	sectionStart = `<div class="kam-section">`
	sectionEnd   = `</div>`
	textFooter   = "\n-- \n"
)

// htmlSection is the part of a report mail's HTML a digest shows as its section.
func htmlSection(html string) string {
	i := strings.Index(html, sectionStart)
	j := strings.LastIndex(html, sectionEnd)
	if i < 0 || j < i {
		return ""
	}
	return html[i+len(sectionStart) : j]
}

// textSection is the plain-text part of a report mail a digest shows as its section.
func textSection(text string) string {
	sec, _, _ := strings.Cut(text, textFooter)
	return strings.TrimSpace(sec)
}

// foldDigests makes the held report mails go: per recipient, one digest
// holding them all (a lone one goes as it is). It takes every held mail when
// all is set (a window firing, kam deliver) or digests are off, else those
// whose window is past. A fold another instance made first is left to it.
// It returns the digests queued and the report mails they took.
func foldDigests(ctx context.Context, a *core.App, all bool) (digests, folded int, err error) {
	held, err := a.Store.HeldMail(ctx, a.Clock(), all || a.Cfg.Mail.DigestAt == "")
	if err != nil || len(held) == 0 {
		return 0, 0, err
	}
	var order []string
	byRcpt := map[string][]store.Mail{}
	for _, m := range held {
		k := strings.ToLower(strings.TrimSpace(m.Recipient))
		if _, ok := byRcpt[k]; !ok {
			order = append(order, k)
		}
		byRcpt[k] = append(byRcpt[k], m)
	}
	for _, k := range order {
		f, err := composeDigest(ctx, a, byRcpt[k])
		if err != nil {
			return digests, folded, err
		}
		id, err := a.Store.FoldDigest(context.WithoutCancel(ctx), f, a.Clock())
		if errors.Is(err, store.ErrFolded) {
			a.Log.Info().Str("to", byRcpt[k][0].Recipient).Msg("待汇总的邮件已由另一个 kam 汇总，跳过")
			continue
		}
		if err != nil {
			return digests, folded, err
		}
		if f.Digest != nil {
			digests++
			folded += len(f.Held) - len(f.Superseded)
			a.Log.Info().Int64("mail", id).Str("to", f.Digest.Recipient).Int("reports", len(f.Held)-len(f.Superseded)).
				Int("superseded", len(f.Superseded)).Msg("报表邮件已汇总为一封")
		}
	}
	return digests, folded, nil
}

// supersededInFold lists the held mails (one recipient's, oldest first) that a
// mail of the same job for a newer period in the same fold makes moot.
func supersededInFold(held []store.Mail) []int64 {
	newest := map[string]string{}
	for _, m := range held {
		if m.Period > newest[m.Kind] {
			newest[m.Kind] = m.Period
		}
	}
	var out []int64
	for _, m := range held {
		if m.Period < newest[m.Kind] {
			out = append(out, m.ID)
		}
	}
	return out
}

// digestSection is one report of a digest: its mail's subject and body.
type digestSection struct {
	Subject string
	HTML    template.HTML // rendered by kam from its own template: already escaped
	Text    string
}

// digestBody is what a digest says.
type digestBody struct {
	Title, Lead string
	Sections    []digestSection
	Notes       []string
	Footer      string
}

var digestHTML = template.Must(template.New("digest").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:'Microsoft YaHei','PingFang SC',sans-serif;font-size:14px;color:#222">
<p>{{.Lead}}</p>
<ol>
{{- range .Sections}}
<li>{{.Subject}}</li>
{{- end}}
</ol>
{{- range .Notes}}
<p>{{.}}</p>
{{- end}}
{{- range $i, $s := .Sections}}
<hr>
<h3 style="font-size:16px">{{$s.Subject}}</h3>
{{$s.HTML}}
{{- end}}
<p style="color:#888;font-size:12px">{{.Footer}}</p>
</body></html>
`))

// composeDigest is the fold of one recipient's held report mails (oldest
// first): the mails a newer period's in the same fold supersedes, and one
// digest of the rest with a section each and every workbook attached while
// they fit smtp.max_attachment_mb together (past it, a link or the command to
// take it from the archive, as a single mail says). A lone mail left goes as it is.
func composeDigest(ctx context.Context, a *core.App, held []store.Mail) (store.Fold, error) {
	f := store.Fold{Superseded: supersededInFold(held)}
	var keep []store.Mail
	for _, m := range held {
		f.Held = append(f.Held, m.ID)
		if !slices.Contains(f.Superseded, m.ID) {
			keep = append(keep, m)
		}
	}
	if len(keep) <= 1 {
		return f, nil
	}
	now := a.Clock()
	var titles, runs []string
	b := digestBody{Footer: "此邮件由 kam 自动发送，请勿直接回复。"}
	limit := int64(a.Cfg.SMTP.MaxAttachmentMB) << 20
	var attached []int64
	var size int64
	var key strings.Builder
	for _, m := range keep {
		key.WriteString(strconv.FormatInt(m.ID, 10) + " ")
		if m.Title != "" && !slices.Contains(titles, m.Title) {
			titles = append(titles, m.Title)
		}
		b.Sections = append(b.Sections, digestSection{Subject: m.Subject, HTML: template.HTML(htmlSection(m.HTML)), Text: textSection(m.Text)})
		for _, id := range m.Reports {
			rep, err := a.Store.Report(ctx, id)
			if err != nil {
				return f, fmt.Errorf("汇总邮件的附件（归档报表 %d）: %w", id, err)
			}
			if run := strconv.FormatInt(rep.RunID, 10); !slices.Contains(runs, run) {
				runs = append(runs, run)
			}
			if size+rep.Size > limit {
				b.Notes = append(b.Notes, "附件合计超过邮件附件上限，此报表未随信附上："+overLimitNote(a, "报表目录中的 "+rep.FileName, rep))
				continue
			}
			size += rep.Size
			attached = append(attached, id)
		}
	}
	if len(runs) > 0 {
		b.Footer += "运行编号 " + strings.Join(runs, "、") + "。"
	}
	date := now.In(a.Cfg.Location()).Format("2006-01-02")
	b.Title = digestSubject(date, titles, len(keep))
	b.Lead = fmt.Sprintf("自上次汇总以来，kam 为您生成了 %d 份报表，合并在这一封邮件中：每份一节，附件是全部工作簿。", len(keep))
	html, text, err := b.render()
	if err != nil {
		return f, err
	}
	rcpt := keep[0].Recipient
	f.Digest = &store.Mail{Kind: DigestKind, Recipient: rcpt, Subject: b.Title, HTML: html, Text: text, Reports: attached,
		// Fixed by the mails it folds: a fold made twice would collide here, never go twice.
		MessageID: fmt.Sprintf("digest-%d.%d.%s.%s@kam", keep[0].ID, len(keep), shortHash(key.String()), shortHash(rcpt)),
		CreatedAt: now}
	return f, nil
}

// digestSubject is `kam 日报 2026-12-08：季度客户分级、收入分成…（3 份报表）`, within the subject limit.
func digestSubject(date string, titles []string, n int) string {
	head, tail := "kam 日报 "+date+"：", fmt.Sprintf("（%d 份报表）", n)
	room := maxSubjectRunes - len([]rune(head)) - len([]rune(tail))
	return head + clip(strings.Join(titles, "、"), room) + tail
}

func (b digestBody) render() (html, text string, err error) {
	var h bytes.Buffer
	if err := digestHTML.Execute(&h, b); err != nil {
		return "", "", fmt.Errorf("汇总邮件正文: %w", err)
	}
	var t strings.Builder
	t.WriteString(b.Lead + "\n\n")
	for i, s := range b.Sections {
		fmt.Fprintf(&t, "%d. %s\n", i+1, s.Subject)
	}
	for _, n := range b.Notes {
		t.WriteString("\n" + n + "\n")
	}
	for i, s := range b.Sections {
		fmt.Fprintf(&t, "\n==== %d. %s ====\n\n%s\n", i+1, s.Subject, s.Text)
	}
	t.WriteString(textFooter + b.Footer + "\n")
	return h.String(), t.String(), nil
}
