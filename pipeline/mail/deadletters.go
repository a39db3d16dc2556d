package mail

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"kam/pipeline/core"
	"kam/store"
)

// DeadLettersKind is the kind of the alert that reports dead letters (死信) to
// recipients.admin. An alert the server will not take either is a dead
// letter no other alert reports, so a server refusing everything costs one
// alert per batch, never a loop.
const DeadLettersKind = "dead-letters"

// deadLettersListed is how many dead letters an alert lists; kam status and the page list them all.
const deadLettersListed = 20

// RetryCommand is what requeues the dead letters; the alert, kam status and the page name it.
const RetryCommand = "kam deliver --retry-dead"

// queueDeadLetterAlert queues one mail to each of recipients.admin that
// reports every dead letter no alert has reported yet (the batch), and
// records them reported in the same transaction: each dead letter is
// reported once, and a crash between dying and the alert loses nothing. It
// says whether it queued an alert. With no administrator configured the dead
// letters wait unreported (kam status, the page and /metrics show them).
func queueDeadLetterAlert(ctx context.Context, a *core.App) (bool, error) {
	admins := uniqueAddresses(a.Cfg.Recipients.Admin)
	if len(admins) == 0 {
		return false, nil
	}
	queued := false
	err := a.Store.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		dead, err := tx.UnreportedDeadMail(DeadLettersKind)
		if err != nil || len(dead) == 0 {
			return err
		}
		now := a.Clock()
		html, text, subject, err := deadLetterBody(a, dead)
		if err != nil {
			return err
		}
		ids := make([]int64, len(dead))
		var key strings.Builder
		for i, m := range dead {
			ids[i] = m.ID
			key.WriteString(strconv.FormatInt(m.ID, 10) + " ")
		}
		for _, rcpt := range admins {
			// Unique per batch: a mail queued again and dead once more is in a later batch.
			id := fmt.Sprintf("dead-letters.%d.%s.%s@kam", now.UnixNano(), shortHash(key.String()), shortHash(rcpt))
			if _, err := tx.QueueMail(store.Mail{Kind: DeadLettersKind, Recipient: rcpt, Subject: subject, HTML: html, Text: text,
				MessageID: id, CreatedAt: now}); err != nil {
				return err
			}
		}
		queued = true
		a.Log.Warn().Int("dead", len(dead)).Strs("admin", admins).Msg("死信提醒已排队")
		return tx.DeadMailReported(ids, now)
	})
	return queued, err
}

// deadLetterBody is what the alert says: how many, which (the first
// deadLettersListed), why, and the command that queues them again.
func deadLetterBody(a *core.App, dead []store.Mail) (html, text, subject string, err error) {
	rcpts := map[string]bool{}
	for _, m := range dead {
		rcpts[strings.ToLower(m.Recipient)] = true
	}
	table := &Table{Caption: "死信", Head: []string{"编号", "收件人", "主题", "已尝试", "最近错误"}}
	for _, m := range dead[:min(len(dead), deadLettersListed)] {
		table.Rows = append(table.Rows, []string{strconv.FormatInt(m.ID, 10), m.Recipient, clip(m.Subject, 40),
			strconv.Itoa(m.Attempts), clip(m.LastError, 160)})
	}
	if len(dead) > deadLettersListed {
		table.Caption += fmt.Sprintf("（前 %d 封，共 %d 封）", deadLettersListed, len(dead))
	}
	body := mailBody{
		Title: fmt.Sprintf("kam 邮件死信：%d 封邮件无法投递", len(dead)),
		Lead: fmt.Sprintf("以下 %d 封邮件 kam 已不再重试（死信）：收件人被邮件服务器拒收，或者这封邮件连续 %d 次尝试都没有成功。"+
			"邮件服务器停机期间 kam 只等待，不计尝试次数。", len(dead), max(a.Cfg.SMTP.MaxAttempts, 1)),
		Facts: [][2]string{{"死信", fmt.Sprintf("%d 封", len(dead))}, {"收件人", fmt.Sprintf("%d 个", len(rcpts))},
			{"时间", a.Clock().Format("2006-01-02 15:04:05 MST")}},
		Act: table,
		Notes: []string{
			"处理原因后（改正收件人地址、请邮件服务器放行 kam），在服务器上运行 " + RetryCommand + " 重新投递全部死信；" +
				"只重发某个收件人的：" + RetryCommand + " --to 地址。",
			"kam status 和网页的“死信”一栏列出全部死信。",
		},
		Footer: "此邮件由 kam 自动发送，请勿直接回复。这封提醒如果也无法投递，kam 不会再为它发提醒。",
	}
	html, text, err = body.render()
	return html, text, clip(body.Title, maxSubjectRunes), err
}

// RetryDead queues the dead letters again — all, or those to recipient —
// with a fresh smtp.max_attempts; alerts about dead letters are put out of
// date instead (已过时). It returns how many mails it queued.
func RetryDead(ctx context.Context, a *core.App, recipient string) (int, error) {
	n, err := a.Store.RequeueDeadMail(ctx, recipient, DeadLettersKind, a.Clock())
	if err == nil {
		a.Log.Info().Int("mails", n).Str("to", recipient).Msg("死信已重新排队")
	}
	return n, err
}
