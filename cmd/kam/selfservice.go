package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"kam/domain"
	"kam/pipeline"
	"kam/pipeline/ingest"
	"kam/pipeline/mail"
)

func init() {
	register(&command{
		name:  "deliver",
		usage: "  kam [--config FILE] deliver [--retry-dead [--to ADDRESS]]  立即投递一次排队的邮件；--retry-dead 先把死信重新排队\n",
		doc: "不运行 kam serve 的管理员用它发送排队的报表与通知；每封邮件的 Message-ID 固定，重发不会让收件人收到两封不同的邮件。\n" +
			"被收件人的邮件服务器拒收（5xx）、或 smtp.max_attempts 次尝试都没有成功的邮件成为死信，kam status 和网页列出，并提醒 recipients.admin；\n" +
			"邮件服务器连不上、登录失败或答 421 时邮件只等待，不计尝试次数。--retry-dead 把全部死信（--to：只是这个收件人的）重新排队，然后投递。\n" +
			"有邮件发出、或没有到期的邮件时退出 0；有到期的邮件却一封也没有发出（服务器不可用或拒收）时退出 1。\n",
		db: readWrite,
		parse: func(args []string) (*work, error) {
			fs := flag.NewFlagSet("deliver", flag.ContinueOnError)
			retryDead := fs.Bool("retry-dead", false, "先把死信重新排队")
			to := fs.String("to", "", "只重新排队这个收件人的死信")
			pos, err := parseFlags(fs, args)
			if err != nil {
				return nil, err
			}
			if len(pos) > 0 {
				return nil, domain.Usagef("deliver 不带参数，多出了 %s", strings.Join(pos, " "))
			}
			if *to != "" && !*retryDead {
				return nil, domain.Usagef("--to 只用于 --retry-dead：选出要重新排队的死信")
			}
			return &work{
				do: func(ctx context.Context, e *env) error {
					if e.cfg.SMTP.Host == "" {
						return domain.Usagef("没有配置邮件服务器（smtp.host），邮件仍在队列中")
					}
					return cmdDeliver(ctx, e.app, *retryDead, *to, e.stdout)
				},
			}, nil
		},
	})
	register(&command{
		name:  "check",
		usage: "  kam [--config FILE] check FILE...                检查文件能否导入，不做任何改动\n",
		doc: "按 kam ingest 的同样规则检查（同样的校验、现在已导入的单位和客户、收入影响与缩减保护），逐个文件给出结论；\n" +
			"有错误的文件旁边写出与退回时相同的 <文件名>.errors.xlsx。数据库和收件目录都不会改变。全部可以导入时退出 0，否则退出 1。\n",
		db: readWrite,
		parse: func(args []string) (*work, error) {
			pos, err := parseFlags(flag.NewFlagSet("check", flag.ContinueOnError), args)
			if err != nil {
				return nil, err
			}
			if len(pos) == 0 {
				return nil, domain.Usagef("check 需要至少一个文件")
			}
			return &work{do: func(ctx context.Context, e *env) error { return cmdCheck(ctx, e, pos) }}, nil
		},
	})
	register(&command{
		name:  "template",
		usage: "  kam [--config FILE] template [KIND|all] [-o DIR] 导入模板：带下拉列表的 .xlsx\n",
		doc: "KIND：" + kindNames() + "。不写 KIND 即全部。模板写到 -o DIR（默认当前目录）；\n" +
			"kam ingest 与 kam serve 启动时也把全部模板写到收件目录旁的 templates/ 目录。\n",
		db:    readOnly,
		parse: parseTemplate,
	})
	register(&command{
		name:  "explain",
		usage: "  kam [--config FILE] explain CUSTOMER [--period P]  说明客户为何是这个等级、负责单位和分成\n",
		doc:   "CUSTOMER 为客户编号（大小写、全角均可）、客户名称或名称中的几个字；相符的客户不止一户时列出它们，请用编号再查；P 为季度（如 2026Q2），默认最近一个完整季度。\n",
		db:    readOnly,
		parse: func(args []string) (*work, error) {
			fs := flag.NewFlagSet("explain", flag.ContinueOnError)
			period := fs.String("period", "", "季度，如 2026Q2")
			pos, err := parseFlags(fs, args)
			if err != nil {
				return nil, err
			}
			if len(pos) != 1 {
				return nil, domain.Usagef("explain 需要一个客户编号或客户名称")
			}
			if *period != "" {
				if _, err := domain.ParseQuarter(strings.ToUpper(*period)); err != nil {
					return nil, domain.Usagef("--period: %v", err)
				}
			}
			return &work{do: func(ctx context.Context, e *env) error {
				x, err := e.app.Explain(ctx, pos[0], strings.ToUpper(*period))
				if err != nil {
					return err
				}
				return x.WriteText(e.stdout)
			}}, nil
		},
	})
	register(&command{
		name:  "card",
		usage: "  kam [--config FILE] card CUSTOMER [-o FILE]  客户档案：基本信息、等级历史、收入、走访、开发项目、分成协议\n",
		doc:   "CUSTOMER 同 explain。工作簿默认写到当前目录的 客户档案_<客户编号>.xlsx。\n",
		db:    readOnly,
		parse: func(args []string) (*work, error) {
			fs := flag.NewFlagSet("card", flag.ContinueOnError)
			out := fs.String("o", "", "输出文件")
			pos, err := parseFlags(fs, args)
			if err != nil {
				return nil, err
			}
			if len(pos) != 1 {
				return nil, domain.Usagef("card 需要一个客户编号或客户名称")
			}
			return &work{do: func(ctx context.Context, e *env) error { return cmdCard(ctx, e, pos[0], *out) }}, nil
		},
	})
}

// cmdCard writes a customer's archive workbook to out, or to 客户档案_<客户编号>.xlsx
// in the current folder: written beside its final name first, so a failed card leaves nothing.
func cmdCard(ctx context.Context, e *env, who, out string) error {
	dir := "."
	if out != "" {
		dir = filepath.Dir(out)
	}
	tmp, err := os.CreateTemp(dir, ".kam-card-*.xlsx")
	if err != nil {
		return domain.Failed(err, "创建客户档案文件")
	}
	defer os.Remove(tmp.Name())
	c, err := e.app.Card(ctx, who, "", tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = domain.Failed(cerr, "写入客户档案")
	}
	if err != nil {
		return err
	}
	if out == "" {
		out = pipeline.CardFileName(c.ID)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return domain.Failed(err, "写入客户档案 %s", out)
	}
	fmt.Fprintf(e.stdout, "客户档案 %s %s → %s\n", c.ID, c.Name, out)
	return nil
}

func cmdCheck(ctx context.Context, e *env, paths []string) error {
	results, err := e.app.Check(ctx, paths)
	bad := 0
	for _, r := range results {
		name := filepath.Base(r.Path)
		switch r.Outcome {
		case ingest.OutcomeLoaded:
			fmt.Fprintf(e.stdout, "可以导入  %s  %s %d 行\n", name, domain.KindLabels[r.Kind], r.Rows)
			for _, im := range r.Impacts {
				fmt.Fprintf(e.stdout, "          %s %s：%d 行 %s 元 → %d 行 %s 元\n", im.Month, im.Line,
					im.RowsBefore, im.AmountBefore.Yuan(), im.RowsAfter, im.AmountAfter.Yuan())
			}
		case ingest.OutcomeDuplicate:
			fmt.Fprintf(e.stdout, "不必导入  %s  %s\n", name, r.Reason)
		default:
			bad++
			fmt.Fprintf(e.stdout, "不能导入  %s  %d 处错误：%s\n          错误明细：%s\n", name, r.Errors, r.Reason, r.ErrorBook)
		}
	}
	if err != nil {
		return err
	}
	if bad > 0 {
		return domain.Refusedf("%d 个文件不能导入（数据库与收件目录均未改动）", bad)
	}
	return nil
}

// kindNames lists the extract kinds, for usage text.
func kindNames() string {
	var names []string
	for _, k := range domain.LoadOrder {
		names = append(names, string(k)+"（"+domain.KindLabels[k]+"）")
	}
	return strings.Join(names, "、")
}

func parseTemplate(args []string) (*work, error) {
	fs := flag.NewFlagSet("template", flag.ContinueOnError)
	dir := fs.String("o", ".", "写到哪个目录")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	kinds := domain.LoadOrder
	switch {
	case len(pos) > 1:
		return nil, domain.Usagef("template 只接受一种资料，或 all")
	case len(pos) == 1 && pos[0] != "all":
		k := domain.Kind(pos[0])
		if _, ok := domain.KindLabels[k]; !ok {
			for kind, label := range domain.KindLabels {
				if label == pos[0] {
					k = kind
				}
			}
		}
		if _, ok := domain.KindLabels[k]; !ok {
			return nil, domain.Usagef("没有资料种类 %q；可用：%s，或 all", pos[0], kindNames())
		}
		kinds = []domain.Kind{k}
	}
	return &work{do: func(ctx context.Context, e *env) error {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			return domain.Failed(err, "创建目录 %s", *dir)
		}
		paths, err := e.app.WriteTemplates(ctx, *dir, kinds)
		if err != nil {
			return err
		}
		for _, p := range paths {
			fmt.Fprintln(e.stdout, "已写出", p)
		}
		return nil
	}}, nil
}

// writeShared writes every import template beside the inbox, for the staff
// who share that folder; a failure is logged, never fatal to the command.
func writeShared(ctx context.Context, app *pipeline.App) {
	if _, err := app.WriteTemplates(ctx, app.TemplatesDir(), domain.LoadOrder); err != nil {
		app.Log.Warn().Err(err).Msg("无法更新 templates/ 中的导入模板")
	}
}

// cmdDeliver requeues the dead letters when asked, sends the queue once and
// says what became of it. It fails (exit 1) when mail was due and none of it
// went: the server was down or refused it.
func cmdDeliver(ctx context.Context, app *pipeline.App, retryDead bool, to string, stdout io.Writer) error {
	if retryDead {
		n, err := app.RetryDead(ctx, to)
		if err != nil {
			return domain.Failed(err, "重新排队死信")
		}
		who := ""
		if to != "" {
			who = "（收件人 " + to + "）"
		}
		fmt.Fprintf(stdout, "已把 %d 封死信重新排队%s\n", n, who)
	}
	res, err := app.Deliver(ctx)
	if err != nil {
		return domain.Failed(err, "投递邮件")
	}
	if res.Busy {
		fmt.Fprintln(stdout, "另一个 kam 正在投递邮件，本次没有投递；排队的邮件由它发出")
		return nil
	}
	if res.Folded > 0 {
		// kam deliver does not wait for mail.digest_at: held report mails go now, one digest per recipient.
		fmt.Fprintf(stdout, "待汇总的 %d 封报表邮件已立即合并为 %d 封汇总邮件（不等 mail.digest_at 的发送时刻）\n", res.Folded, res.Digests)
	}
	fmt.Fprintf(stdout, "已发送 %d 封，等待服务器 %d 封，稍后重试 %d 封，新增死信 %d 封", res.Sent, res.Waiting, res.Retry, res.Dead)
	if res.Alerts > 0 {
		fmt.Fprintf(stdout, "，死信提醒 %d 封", res.Alerts)
	}
	fmt.Fprintln(stdout)
	if res.Dead > 0 {
		fmt.Fprintf(stdout, "死信见 kam status；处理原因后运行 %s 重新投递\n", mail.RetryCommand)
	}
	if !res.NothingSent() {
		return nil
	}
	if res.Server != "" {
		return &domain.Error{Kind: domain.EInternal, Err: errors.New(res.Server),
			Msg: fmt.Sprintf("一封邮件也没有发出：邮件服务器不可用，%d 封邮件仍在队列中，kam 稍后再试（不计尝试次数）", res.Waiting)}
	}
	return &domain.Error{Kind: domain.EInternal,
		Msg: fmt.Sprintf("一封邮件也没有发出：邮件服务器拒收或邮件无法投递（新增死信 %d 封，稍后重试 %d 封），原因见 kam status 的“最近错误”", res.Dead, res.Retry)}
}
