package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
	gmsmtp "github.com/wneessen/go-mail/smtp"

	"kam/pipeline/core"
	"kam/store"
)

// Retry back-off of a mail that could not be sent: 1, 2, 4 … minutes, at most maxBackoff.
const (
	firstBackoff = time.Minute
	maxBackoff   = 6 * time.Hour
	// deliveryBatch is how many due mails one pass reads at a time.
	deliveryBatch = 50
)

// Task names the delivery in the schedule and its lock: one instance delivers at a time.
const Task = "delivery"

// DeliveryResult counts what one delivery pass did.
type DeliveryResult struct {
	Sent    int // accepted by the server
	Retry   int // failed for now, tried again later
	GivenUp int // attempts used up, or refused for good
}

// Deliver sends the queued mail that is due through SMTP and records each
// outcome: sent, tried again later with exponential back-off, or given up
// after smtp.max_attempts (or when the server refuses it for good). With no
// smtp.host the mail stays queued. Only one instance delivers at a time.
func Deliver(ctx context.Context, a *core.App) (DeliveryResult, error) {
	var res DeliveryResult
	if a.Cfg.SMTP.Host == "" {
		return res, nil
	}
	// A delivery whose lease is lost stops before its next mail: the instance that takes over sends the rest.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lock, err := a.Store.LockRun(ctx, Task, cancel)
	if errors.Is(err, store.ErrBusy) {
		return res, nil // another instance is delivering
	}
	if err != nil {
		return res, err
	}
	defer lock.Release()

	client, err := mailClient(a)
	if err != nil {
		return res, err
	}
	var conn *gmsmtp.Client
	defer func() {
		if conn != nil {
			_ = client.CloseWithSMTPClient(conn)
		}
	}()
	for ctx.Err() == nil {
		due, err := a.Store.DueMail(ctx, a.Clock(), deliveryBatch)
		if err != nil {
			return res, err
		}
		if len(due) == 0 {
			break
		}
		for i, m := range due {
			if err := lock.Err(); err != nil {
				cancel(err) // not surely ours any more: a mail sent now might go twice
			}
			if ctx.Err() != nil {
				break
			}
			if moot, err := a.Store.MailSuperseded(ctx, m, a.Clock()); err != nil || moot {
				if err != nil {
					return res, err
				}
				continue
			}
			msg, err := compose(a, ctx, m)
			if err != nil {
				if err := recordFailure(a, ctx, m, err, false, &res); err != nil {
					return res, err
				}
				continue
			}
			if conn == nil {
				if conn, err = client.DialToSMTPClientWithContext(ctx); err != nil {
					conn = nil
					// The server is unreachable: every mail due now waits for its next attempt.
					err = fmt.Errorf("无法连接邮件服务器 %s:%d: %w", a.Cfg.SMTP.Host, a.Cfg.SMTP.Port, err)
					a.Log.Warn().Err(err).Int("due", len(due)-i).Msg("邮件暂时无法发送，稍后重试")
					for _, m := range due[i:] {
						if err := recordFailure(a, ctx, m, err, false, &res); err != nil {
							return res, err
						}
					}
					return res, nil
				}
			}
			if err := client.SendWithSMTPClient(conn, msg); err != nil {
				var se *mail.SendError
				permanent := errors.As(err, &se) && se.ErrorCode() >= 500
				if err := recordFailure(a, ctx, m, err, permanent, &res); err != nil {
					return res, err
				}
				// Start the next message on a fresh connection: this one may be broken.
				_ = client.CloseWithSMTPClient(conn)
				conn = nil
				continue
			}
			if err := a.Store.MailSent(context.WithoutCancel(ctx), m.ID, a.Clock()); err != nil {
				return res, err
			}
			res.Sent++
			a.Log.Info().Int64("mail", m.ID).Str("to", m.Recipient).Str("kind", m.Kind).Str("message_id", m.MessageID).Msg("邮件已发送")
		}
		if len(due) < deliveryBatch {
			break
		}
	}
	return res, nil
}

// recordFailure records one failed attempt and when to try again.
func recordFailure(a *core.App, ctx context.Context, m store.Mail, sendErr error, permanent bool, res *DeliveryResult) error {
	attempts := m.Attempts + 1
	final := permanent || attempts >= max(a.Cfg.SMTP.MaxAttempts, 1)
	next := a.Clock().Add(backoff(attempts))
	if final {
		res.GivenUp++
		a.Log.Error().Err(sendErr).Int64("mail", m.ID).Str("to", m.Recipient).Int("attempts", attempts).Msg("邮件发送失败，不再重试")
	} else {
		res.Retry++
	}
	return a.Store.MailAttemptFailed(context.WithoutCancel(ctx), m.ID, sendErr.Error(), next, final)
}

// backoff is the wait after the n-th failed attempt.
func backoff(n int) time.Duration {
	d := firstBackoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// mailClient is a go-mail client for the configured server.
func mailClient(a *core.App) (*mail.Client, error) {
	c := a.Cfg.SMTP
	opts := []mail.Option{mail.WithPort(c.Port), mail.WithTimeout(30 * time.Second)}
	switch c.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "tls":
		opts = append(opts, mail.WithSSL())
	}
	if c.User != "" {
		auth := mail.SMTPAuthAutoDiscover
		if c.TLS == "none" {
			auth = mail.SMTPAuthPlainNoEnc // tls: none is the administrator's choice of a plain link (an internal relay)
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(c.User), mail.WithPassword(c.Password))
	}
	client, err := mail.NewClient(c.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("邮件客户端（smtp.host %s）: %w", c.Host, err)
	}
	return client, nil
}

// attachmentTypes are the MIME types of the files kam mails.
var attachmentTypes = map[string]mail.ContentType{
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".csv":  "text/csv",
}

// compose builds the message for one outbox row, attaching the archived
// reports' bytes (checked against their SHA-256) or the inline attachment.
func compose(a *core.App, ctx context.Context, m store.Mail) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(a.Cfg.SMTP.FromName, a.Cfg.SMTP.From); err != nil {
		return nil, fmt.Errorf("发件人 smtp.from %q: %w", a.Cfg.SMTP.From, err)
	}
	if err := msg.To(m.Recipient); err != nil {
		return nil, fmt.Errorf("收件人 %q: %w", m.Recipient, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDateWithValue(a.Clock())
	msg.SetUserAgent("kam")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	attach := func(name string, data []byte) {
		var opts []mail.FileOption
		if ct, ok := attachmentTypes[strings.ToLower(filepath.Ext(name))]; ok {
			opts = append(opts, mail.WithFileContentType(ct))
		}
		msg.AttachReadSeeker(name, bytes.NewReader(data), opts...)
	}
	for _, id := range m.Reports {
		var buf bytes.Buffer
		rep, err := a.Store.ReportContent(ctx, id, &buf)
		if err != nil {
			return nil, fmt.Errorf("附件（归档报表 %d）: %w", id, err)
		}
		attach(rep.FileName, buf.Bytes())
	}
	if m.AttachmentName != "" {
		attach(m.AttachmentName, m.Attachment)
	}
	return msg, nil
}
