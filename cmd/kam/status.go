package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"kam/domain"
	"kam/pipeline"
	"kam/pipeline/core"
	"kam/pipeline/daemon"
	"kam/pipeline/jobs"
	"kam/store"
)

// What status lists of each section.
const (
	statusRuns = 15
	statusMail = 10
)

var runOutcomes = map[string]string{store.RunSucceeded: "成功", store.RunFailed: "失败", store.RunRunning: "运行中",
	store.RunRefused: "拒绝", store.RunInterrupted: "中断"}

var fileOutcomes = map[store.FileOutcome]string{store.FileLoaded: "已导入", store.FileRejected: "已退回", store.FileDuplicate: "重复"}

var mailStatuses = map[string]string{store.MailQueued: "待发", store.MailSent: "已发送", store.MailFailed: "已放弃"}

// cmdStatus prints recent runs, failed runs, the latest files, the mail backlog and the schedule.
func cmdStatus(ctx context.Context, app *pipeline.App, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return domain.Usagef("status 不带参数")
	}
	st, loc := app.Store, app.Cfg.Location()
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}

	runs, err := st.RecentRuns(ctx, statusRuns)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "最近的运行（数据库：%s）\n", st.Dialect())
	if len(runs) == 0 {
		fmt.Fprintln(stdout, "  （还没有运行记录）")
	} else {
		rows := make([][]string, len(runs))
		for i, r := range runs {
			took := ""
			if r.FinishedAt.Valid {
				took = tookLabel(r.FinishedAt.Time.Sub(r.StartedAt))
			}
			note := r.Headline
			if r.Outcome != store.RunSucceeded {
				note = r.Error
			}
			rows[i] = []string{fmt.Sprint(r.ID), jobs.Title(r.Job), jobs.PeriodLabel(r.Job, r.Period),
				jobs.TriggerLabel(r.Trigger), when(r.StartedAt), took, label(runOutcomes, r.Outcome), clip(note, 60)}
		}
		printTable(stdout, []string{"编号", "作业", "期间", "触发", "开始", "用时", "结果", "要点 / 错误"}, rows)
	}

	failed, err := st.FailedRuns(ctx, statusRuns)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\n失败或中断、尚未重跑成功的运行")
	if len(failed) == 0 {
		fmt.Fprintln(stdout, "  （没有）")
	} else {
		rows := make([][]string, len(failed))
		for i, r := range failed {
			rows[i] = []string{fmt.Sprint(r.ID), jobs.Title(r.Job), jobs.PeriodLabel(r.Job, r.Period),
				when(r.StartedAt), label(runOutcomes, r.Outcome), clip(r.Error, 70), fmt.Sprintf("kam run %s --period %s", r.Job, r.Period)}
		}
		printTable(stdout, []string{"编号", "作业", "期间", "开始", "结果", "错误", "重跑"}, rows)
	}

	files, err := st.LastScanFiles(ctx)
	if err != nil {
		return err
	}
	if len(files) > 0 {
		fmt.Fprintf(stdout, "\n最近一次扫描（%s）处理的文件\n", when(time.UnixMicro(files[0].ScanID)))
	} else {
		fmt.Fprintln(stdout, "\n最近一次扫描处理的文件")
	}
	if len(files) == 0 {
		fmt.Fprintln(stdout, "  （还没有文件）")
	} else {
		rows := make([][]string, len(files))
		for i, f := range files {
			kind := domain.KindLabels[f.Kind]
			if kind == "" {
				kind = "无法识别"
			}
			errs := ""
			if f.ErrorCount > 0 {
				errs = fmt.Sprint(f.ErrorCount)
			}
			rows[i] = []string{when(f.StartedAt), clip(f.Name, 40), kind, label(fileOutcomes, f.Outcome),
				fmt.Sprint(f.Rows), errs, clip(f.StoredAs, 50)}
		}
		printTable(stdout, []string{"时间", "文件", "类型", "结果", "行数", "错误", "现在位置"}, rows)
		// SPEC §3.2: what each revenue file did to the (month, line) pairs it covers.
		for _, f := range files {
			if f.Kind != domain.KindRevenue || f.ID == 0 {
				continue
			}
			im, err := st.FileImpacts(ctx, f.ID)
			if err != nil {
				return err
			}
			if len(im) == 0 {
				continue
			}
			mark := ""
			if f.Confirmed {
				mark = "（确认替换）"
			}
			if f.Unit != "" {
				mark += "（单位 " + f.Unit + "）"
			}
			change := "收入变化"
			if f.Outcome != store.FileLoaded {
				change = "收入变化（未导入：若导入将是）"
			}
			fmt.Fprintf(stdout, "  %s%s %s：\n", f.Name, mark, change)
			for _, r := range im {
				fmt.Fprintf(stdout, "    %s %s：%d 行 ¥%s → %d 行 ¥%s\n", r.Month, r.Line, r.RowsBefore, r.AmountBefore.Yuan(), r.RowsAfter, r.AmountAfter.Yuan())
			}
		}
	}

	unread, err := st.UnreadFiles(ctx)
	if err != nil {
		return err
	}
	if len(unread) > 0 {
		fmt.Fprintln(stdout, "\n未处理的文件（留在收件目录中，kam 不会读取）")
		rows := make([][]string, len(unread))
		for i, u := range unread {
			rows[i] = []string{when(u.FirstSeen), clip(u.Path, 40), u.Reason}
		}
		printTable(stdout, []string{"发现于", "文件", "原因"}, rows)
	}

	// SPEC §5: each centre gets its own part by mail; say which have nowhere to receive it.
	units, err := st.Units(ctx)
	if err != nil {
		return err
	}
	boxes := core.UnitMailboxes(units, app.Cfg.Recipients.Units)
	var centres []string
	small := 0
	for _, u := range units {
		if len(boxes[u.Code]) > 0 {
			continue
		}
		switch u.Kind {
		case domain.CityCenter, domain.Professional, domain.District:
			centres = append(centres, u.Code+" "+u.Name)
		default:
			small++
		}
	}
	if len(units) > 0 {
		fmt.Fprintf(stdout, "\n单位邮箱（单位资料的邮箱列，或配置 recipients.units）：%d 个单位有邮箱\n", len(units)-len(centres)-small)
		if len(centres) > 0 {
			fmt.Fprintf(stdout, "  没有邮箱的大客户中心：%s\n", strings.Join(centres, "、"))
		}
		if small > 0 {
			fmt.Fprintf(stdout, "  没有邮箱的营投班组、营业窗口：%d 个\n", small)
		}
	}

	b, err := st.MailBacklog(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\n邮件投递")
	line := fmt.Sprintf("  待发 %d 封", b.Queued)
	if b.OldestQueued.Valid {
		line += "（最早排队于 " + when(b.OldestQueued.Time) + "）"
	}
	line += fmt.Sprintf("，已放弃 %d 封，已发送 %d 封", b.Failed, b.Sent)
	if b.LastSent.Valid {
		line += "（最近一封 " + when(b.LastSent.Time) + "）"
	}
	fmt.Fprintln(stdout, line)
	if app.Cfg.SMTP.Host == "" {
		fmt.Fprintln(stdout, "  未配置 smtp.host：邮件只排队，不发送。")
	} else {
		fmt.Fprintf(stdout, "  邮件服务器 %s:%d（%s）\n", app.Cfg.SMTP.Host, app.Cfg.SMTP.Port, app.Cfg.SMTP.TLS)
	}
	unsent, err := st.UnsentMail(ctx, statusMail)
	if err != nil {
		return err
	}
	if len(unsent) > 0 {
		rows := make([][]string, len(unsent))
		for i, m := range unsent {
			next := ""
			if m.Status == store.MailQueued {
				next = when(m.NextAttemptAt)
			}
			rows[i] = []string{fmt.Sprint(m.ID), m.Recipient, clip(m.Subject, 40), label(mailStatuses, m.Status),
				fmt.Sprint(m.Attempts), next, clip(m.LastError, 50)}
		}
		printTable(stdout, []string{"编号", "收件人", "主题", "状态", "已尝试", "下次尝试", "最近错误"}, rows)
	}

	sched, err := app.NewScheduler()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n计划（时区 %s）\n", sched.Plan.Loc)
	now := time.Now()
	rows := make([][]string, len(sched.Plan.Entries))
	for i, e := range sched.Plan.Entries {
		what := jobs.Title(e.Name)
		switch e.Name {
		case daemon.TaskIngest:
			what = "扫描收件目录"
		case daemon.TaskDelivery:
			what = "投递邮件"
		}
		rows[i] = []string{what, e.Spec, when(sched.Plan.Next(e, now))}
	}
	printTable(stdout, []string{"任务", "计划", "下次"}, rows)
	return nil
}

// tookLabel rounds a run's duration to what a person wants to know: 0.4s, 12s, 3m5s.
func tookLabel(d time.Duration) string {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func label[K comparable](labels map[K]string, k K) string {
	if l, ok := labels[k]; ok {
		return l
	}
	return strings.TrimSpace(fmt.Sprint(k))
}
