package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"kam/domain"
	"kam/pipeline"
	"kam/pipeline/ingest"
)

func init() {
	register(&command{
		name:  "deliver",
		usage: "  kam [--config FILE] deliver                      立即投递一次排队的邮件，然后退出\n",
		doc:   "不运行 kam serve 的管理员用它发送排队的报表与通知；每封邮件的 Message-ID 固定，重发不会让收件人收到两封不同的邮件。\n",
		db:    readWrite,
		parse: func(args []string) (*work, error) {
			if len(args) > 0 {
				return nil, domain.Usagef("deliver 不带参数")
			}
			return &work{
				do: func(ctx context.Context, e *env) error {
					if e.cfg.SMTP.Host == "" {
						return domain.Usagef("没有配置邮件服务器（smtp.host），邮件仍在队列中")
					}
					res, err := e.app.Deliver(ctx)
					if err != nil {
						return domain.Failed(err, "投递邮件")
					}
					fmt.Fprintf(e.stdout, "已发送 %d 封，稍后重试 %d 封，放弃 %d 封\n", res.Sent, res.Retry, res.GivenUp)
					return nil
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
