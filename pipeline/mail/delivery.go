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

// Retry back-off of a mail whose own attempt failed: 1, 2, 4 … minutes, at most maxBackoff.
const (
	firstBackoff = time.Minute
	maxBackoff   = 6 * time.Hour
	// serverRetry is when mail waiting for a server that was down is tried
	// again: one connection a pass costs nothing, and the mail goes as soon
	// as the server is back.
	serverRetry = time.Minute
	// deliveryBatch is how many due mails one pass reads at a time.
	deliveryBatch = 50
)

// Task names the delivery in the schedule and its lock: one instance delivers at a time.
const Task = "delivery"

// DeliveryResult counts what one delivery pass did.
type DeliveryResult struct {
	Sent    int    // accepted by the server (the dead-letter alerts aside)
	Waiting int    // not sent: the server was down or busy; no attempt of theirs counted
	Retry   int    // the mail's own attempt failed for now: tried again after a back-off
	Dead    int    // became 死信: smtp.max_attempts used up, or refused for good
	Alerts  int    // dead-letter alerts the server accepted for recipients.admin
	Server  string // why the server could not take mail, when it could not
	Busy    bool   // another instance was delivering: this one did nothing
	Digests int    // digests composed of held report mails (each then sent, or waiting, as any mail)
	Folded  int    // the held report mails those digests took
}

// NothingSent: mail was due and none of it went, because the server was down
// or refused it (`kam deliver` then exits 1).
func (r DeliveryResult) NothingSent() bool { return r.Sent == 0 && r.Waiting+r.Retry+r.Dead > 0 }

// Deliver sends the queued mail that is due through SMTP and records each
// outcome: sent; tried again later with exponential back-off when the mail's
// own attempt failed for now (a 4xx reply to it other than 421, or the
// connection broke while it went: counted, so a mail that breaks it every
// time cannot go round for ever); 死信 (dead) after smtp.max_attempts such
// attempts, or at once when the server refused it for good (a 5xx reply) —
// one recipient's refusal is its mail's alone, the others go on.
//
// A server that is down is not the mail's fault: when kam cannot connect or
// log in, or the server answers 421 (busy, closing the channel), the pass
// stops, every due mail waits a minute for the next one and no attempt is
// counted; an outage of any length loses nothing, and the mail goes once the
// server is back. Waiting mail shows as 待发 with the server's error, and in
// kam_mail_oldest_queued_age_seconds.
//
// At the end, the dead letters no alert has reported yet are reported to
// recipients.admin in one mail each (one alert per batch), sent in the same
// pass. With no smtp.host the mail stays queued. Only one instance delivers at a time.
//
// Report mails held for a delivery window (mail.digest_at) whose window has
// passed are first folded into one digest per recipient (foldDigests), under
// the same lock: the every-minute delivery sends a window this instance was
// not running for, or another instance's.
func Deliver(ctx context.Context, a *core.App) (DeliveryResult, error) {
	return deliver(ctx, a, false)
}

// DeliverWindow is Deliver at a delivery window: every held report mail is
// folded into its recipient's digest now, whatever window it waits for, and
// sent. The daemon calls it when mail.digest_at fires; `kam deliver` too,
// since the administrator asked to send what is queued now.
func DeliverWindow(ctx context.Context, a *core.App) (DeliveryResult, error) {
	return deliver(ctx, a, true)
}

func deliver(ctx context.Context, a *core.App, window bool) (DeliveryResult, error) {
	var res DeliveryResult
	if a.Cfg.SMTP.Host == "" {
		return res, nil
	}
	// A delivery whose lease is lost stops before its next mail: the instance that takes over sends the rest.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lock, err := a.Store.LockRun(ctx, Task, cancel)
	if errors.Is(err, store.ErrBusy) {
		res.Busy = true // another instance is delivering
		return res, nil
	}
	if err != nil {
		return res, err
	}
	defer lock.Release()

	if res.Digests, res.Folded, err = foldDigests(ctx, a, window); err != nil {
		return res, err
	}
	client, err := mailClient(a)
	if err != nil {
		return res, err
	}
	d := &sender{a: a, client: client, res: &res, lease: lock.Err, cancel: cancel}
	defer d.hangUp()
	if err := d.sendDue(ctx); err != nil {
		return res, err
	}
	alerted, err := queueDeadLetterAlert(ctx, a)
	if err != nil {
		return res, err
	}
	if alerted && res.Server == "" && ctx.Err() == nil {
		// The alert goes now; with the server down it waits with the rest.
		err = d.sendDue(ctx)
	}
	return res, err
}

// sender is one delivery pass: its client, its connection, its counts.
type sender struct {
	a      *core.App
	client *mail.Client
	conn   *gmsmtp.Client // nil until the first mail, and after a failure
	res    *DeliveryResult
	lease  func() error            // non-nil once the delivery's lease is no longer surely held
	cancel context.CancelCauseFunc // ends the pass
}

// serverError is the server failing, not the mail: kam could not connect or
// log in, or the server is closing the channel or too busy (421).
type serverError struct{ err error }

func (e *serverError) Error() string { return e.err.Error() }
func (e *serverError) Unwrap() error { return e.err }

// sendDue sends every mail due now, a batch at a time, until none is left or
// the server fails.
func (d *sender) sendDue(ctx context.Context) error {
	a := d.a
	for ctx.Err() == nil {
		due, err := a.Store.DueMail(ctx, a.Clock(), deliveryBatch)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		for _, m := range due {
			if err := d.lease(); err != nil {
				d.cancel(err) // not surely ours any more: a mail sent now might go twice
			}
			if ctx.Err() != nil {
				return nil
			}
			if moot, err := a.Store.MailSuperseded(ctx, m, a.Clock()); err != nil || moot {
				if err != nil {
					return err
				}
				continue
			}
			msg, err := compose(a, ctx, m)
			if err == nil {
				err = d.send(ctx, msg)
			}
			var down *serverError
			switch {
			case errors.As(err, &down):
				return d.serverDown(ctx, down)
			case err != nil:
				if err := d.failed(ctx, m, err); err != nil {
					return err
				}
				continue
			}
			if err := a.Store.MailSent(context.WithoutCancel(ctx), m.ID, a.Clock()); err != nil {
				return err
			}
			if m.Kind == DeadLettersKind {
				d.res.Alerts++
			} else {
				d.res.Sent++
			}
			a.Log.Info().Int64("mail", m.ID).Str("to", m.Recipient).Str("kind", m.Kind).Str("message_id", m.MessageID).Msg("邮件已发送")
		}
		if len(due) < deliveryBatch {
			return nil
		}
	}
	return nil
}

// send hands msg to the server on the pass's connection, opening one if
// needed. A connection found gone before the mail began (the server hung up
// while kam composed) is opened again once. Any failure closes it: the next
// mail starts on a fresh one.
func (d *sender) send(ctx context.Context, msg *mail.Msg) error {
	c := d.a.Cfg.SMTP
	for retried := false; ; retried = true {
		if d.conn == nil {
			conn, err := d.client.DialToSMTPClientWithContext(ctx)
			if err != nil {
				return &serverError{fmt.Errorf("无法连接或登录邮件服务器 %s:%d: %w", c.Host, c.Port, err)}
			}
			d.conn = conn
		}
		err := d.client.SendWithSMTPClient(d.conn, msg)
		if err == nil {
			return nil
		}
		d.hangUp()
		if msg.IsDelivered() {
			return nil // accepted; only the reset after it failed
		}
		var se *mail.SendError
		if !errors.As(err, &se) {
			return err
		}
		switch {
		case se.Reason == mail.ErrConnCheck && !retried:
			continue
		case se.Reason == mail.ErrConnCheck || se.ErrorCode() == 421:
			return &serverError{fmt.Errorf("邮件服务器 %s:%d 暂停服务: %w", c.Host, c.Port, err)}
		}
		return err
	}
}

// hangUp closes the pass's connection, if one is open.
func (d *sender) hangUp() {
	if d.conn != nil {
		_ = d.client.CloseWithSMTPClient(d.conn)
		d.conn = nil
	}
}

// serverDown makes every mail due now wait for the next pass, its attempts
// not counted: the server being down is not the mail's fault.
func (d *sender) serverDown(ctx context.Context, down *serverError) error {
	a := d.a
	n, err := a.Store.DeferDueMail(context.WithoutCancel(ctx), a.Clock(), down.Error(), a.Clock().Add(serverRetry))
	d.res.Waiting += n
	d.res.Server = down.Error()
	a.Log.Warn().Err(down.err).Int("waiting", n).Msg("邮件服务器不可用，邮件等待下次投递（不计入尝试次数）")
	return err
}

// failed records a failed attempt of m's own: tried again after a back-off,
// or 死信 when the server refused it for good (5xx) or its attempts are used up.
func (d *sender) failed(ctx context.Context, m store.Mail, sendErr error) error {
	a := d.a
	var se *mail.SendError
	refused := errors.As(sendErr, &se) && se.ErrorCode() >= 500
	attempts := m.Attempts + 1
	dead := refused || attempts >= max(a.Cfg.SMTP.MaxAttempts, 1)
	next := a.Clock().Add(backoff(attempts))
	if dead {
		next = a.Clock() // when it died
		d.res.Dead++
		a.Log.Error().Err(sendErr).Int64("mail", m.ID).Str("to", m.Recipient).Int("attempts", attempts).Bool("refused", refused).
			Msg("邮件成为死信，不再重试（kam deliver --retry-dead 重新排队）")
	} else {
		d.res.Retry++
	}
	return a.Store.MailAttemptFailed(context.WithoutCancel(ctx), m.ID, sendErr.Error(), next, dead)
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
