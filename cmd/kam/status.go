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
	"kam/status"
)

// What status lists of each section.
const (
	statusRuns = 15
	statusMail = 10
)

// cmdStatus prints recent runs, failed runs, the latest files, the mail backlog and the schedule.
func cmdStatus(ctx context.Context, app *pipeline.App, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return domain.Usagef("status 不带参数")
	}
	sched, err := app.NewScheduler()
	if err != nil {
		return err
	}
	now := time.Now()
	m, err := status.Gather(ctx, app.Store, app.Cfg, now, status.Options{
		Runs: statusRuns, Failed: statusRuns, Mail: statusMail, Inbox: true, Codes: true,
		UnitMailboxes: func(units []domain.Unit) map[string][]string {
			return core.UnitMailboxes(units, app.Cfg.Recipients.Units)
		},
		Tasks: status.PlanTasks(sched.Plan, now),
	})
	if err != nil {
		return err
	}
	printStatus(stdout, m)
	return nil
}

// printStatus writes the model for a terminal: aligned tables, long cells clipped.
func printStatus(w io.Writer, m status.Model) {
	fmt.Fprintf(w, "最近的运行（数据库：%s）\n", m.Dialect)
	if len(m.Runs) == 0 {
		fmt.Fprintln(w, "  （还没有运行记录）")
	} else {
		rows := make([][]string, len(m.Runs))
		for i, r := range m.Runs {
			rows[i] = []string{fmt.Sprint(r.ID), r.JobTitle, r.PeriodLabel, r.TriggerLabel, r.Started, r.Took, r.OutcomeLabel, clip(r.Note, 60)}
		}
		printTable(w, []string{"编号", "作业", "期间", "触发", "开始", "用时", "结果", "要点 / 错误"}, rows)
	}

	fmt.Fprintln(w, "\n失败或中断、尚未重跑成功的运行")
	if len(m.Failed) == 0 {
		fmt.Fprintln(w, "  （没有）")
	} else {
		rows := make([][]string, len(m.Failed))
		for i, r := range m.Failed {
			rows[i] = []string{fmt.Sprint(r.ID), r.JobTitle, r.PeriodLabel, r.Started, r.OutcomeLabel, clip(r.Note, 70), r.Rerun}
		}
		printTable(w, []string{"编号", "作业", "期间", "开始", "结果", "错误", "重跑"}, rows)
	}

	if m.ScanAt != "" {
		fmt.Fprintf(w, "\n最近一次扫描（%s）处理的文件\n", m.ScanAt)
	} else {
		fmt.Fprintln(w, "\n最近一次扫描处理的文件")
	}
	if len(m.Files) == 0 {
		fmt.Fprintln(w, "  （还没有文件）")
	} else {
		rows := make([][]string, len(m.Files))
		for i, f := range m.Files {
			errs := ""
			if f.Errors > 0 {
				errs = fmt.Sprint(f.Errors)
			}
			rows[i] = []string{f.When, clip(f.Name, 40), f.KindLabel, f.OutcomeLabel, fmt.Sprint(f.Rows), errs, clip(f.StoredAs, 50)}
		}
		printTable(w, []string{"时间", "文件", "类型", "结果", "行数", "错误", "现在位置"}, rows)
		// SPEC §3.2: what each revenue file did to the (month, line) pairs it covers.
		for _, f := range m.Files {
			if len(f.Impacts) == 0 {
				continue
			}
			fmt.Fprintf(w, "  %s%s %s：\n", f.Name, f.Marks, f.Change)
			for _, r := range f.Impacts {
				fmt.Fprintf(w, "    %s %s：%d 行 ¥%s → %d 行 ¥%s\n", r.Month, r.Line, r.RowsBefore, r.Before.Yuan(), r.RowsAfter, r.After.Yuan())
			}
		}
	}

	if len(m.Unread) > 0 {
		fmt.Fprintln(w, "\n未处理的文件（留在收件目录中，kam 不会读取）")
		rows := make([][]string, len(m.Unread))
		for i, u := range m.Unread {
			rows[i] = []string{u.FirstSeen, clip(u.Path, 40), u.Reason}
		}
		printTable(w, []string{"发现于", "文件", "原因"}, rows)
	}

	if len(m.Codes) > 0 {
		fmt.Fprintln(w)
		printCodeProblems(w, m.Codes)
	}

	// SPEC §5: each centre gets its own part by mail; say which have nowhere to receive it.
	if u := m.Units; u != nil {
		fmt.Fprintf(w, "\n单位邮箱（单位资料的邮箱列，或配置 recipients.units）：%d 个单位有邮箱\n", u.WithMailbox)
		if len(u.Centres) > 0 {
			fmt.Fprintf(w, "  没有邮箱的大客户中心：%s\n", strings.Join(u.Centres, "、"))
		}
		if u.Small > 0 {
			fmt.Fprintf(w, "  没有邮箱的营投班组、营业窗口：%d 个\n", u.Small)
		}
	}

	fmt.Fprintln(w, "\n邮件投递")
	fmt.Fprintln(w, "  "+m.Backlog)
	fmt.Fprintln(w, "  "+m.SMTP)
	if len(m.Mail) > 0 {
		rows := make([][]string, len(m.Mail))
		for i, ml := range m.Mail {
			rows[i] = []string{fmt.Sprint(ml.ID), ml.Recipient, clip(ml.Subject, 40), ml.StatusLabel,
				fmt.Sprint(ml.Attempts), ml.Next, clip(ml.LastError, 50)}
		}
		printTable(w, []string{"编号", "收件人", "主题", "状态", "已尝试", "下次尝试", "最近错误"}, rows)
	}
	if len(m.Dead) > 0 {
		fmt.Fprintln(w, "\n死信")
		fmt.Fprintln(w, "  "+m.DeadNote)
		rows := make([][]string, len(m.Dead))
		for i, ml := range m.Dead {
			rows[i] = []string{fmt.Sprint(ml.ID), ml.Recipient, clip(ml.Subject, 40), ml.StatusLabel,
				fmt.Sprint(ml.Attempts), ml.GivenUp, clip(ml.LastError, 50)}
		}
		printTable(w, []string{"编号", "收件人", "主题", "状态", "已尝试", "放弃于", "最近错误"}, rows)
	}

	if len(m.Stale) > 0 {
		fmt.Fprintln(w, "\n"+status.StaleLabel+"的报表")
		fmt.Fprintln(w, "  "+m.StaleNote)
		rows := make([][]string, len(m.Stale))
		for i, r := range m.Stale {
			rows[i] = []string{r.JobTitle, r.PeriodLabel, r.Label, r.Since, clip(r.Reason, 70), r.Reissue}
		}
		printTable(w, []string{"报表", "期间", "状态", "标记于", "原因", "现在更正"}, rows)
	}

	fmt.Fprintf(w, "\n计划（时区 %s）\n", m.Zone)
	rows := make([][]string, len(m.Firings))
	for i, f := range m.Firings {
		rows[i] = []string{f.Title, f.Spec, f.Next}
	}
	printTable(w, []string{"任务", "计划", "下次"}, rows)
}

// printCodeProblems lists the stored ids and codes to correct under their heading; none prints nothing.
func printCodeProblems(w io.Writer, codes []string) {
	if len(codes) == 0 {
		return
	}
	fmt.Fprintln(w, status.CodeProblemsHeading)
	for _, c := range codes {
		fmt.Fprintln(w, "  "+c)
	}
}
