package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"kam/config"
	"kam/domain"
	"kam/pipeline"
	"kam/store"
)

// withApp loads the configuration, opens the store (migrating it) and runs a command against them.
func withApp(ctx context.Context, configPath, cmd string, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	log := pipeline.NewLogger(os.Stderr, cfg.Log.Format, cfg.Log.Level)
	st, err := store.Open(ctx, store.Options{DSN: cfg.DB.DSN, SQLitePath: cfg.DB.SQLitePath, Log: log})
	if err != nil {
		return fmt.Errorf("打开数据库: %w", err)
	}
	defer st.Close()
	app := &pipeline.App{Cfg: cfg, Store: st, Log: log, Progress: pipeline.IsTerminal(os.Stderr)}
	switch cmd {
	case "migrate":
		if len(args) > 0 {
			return domain.Usagef("migrate 不带参数")
		}
		fmt.Fprintf(stdout, "数据库已是最新结构（%s）\n", st.Dialect())
		return nil // Open has applied every migration
	case "ingest":
		if len(args) > 0 {
			return domain.Usagef("ingest 不带参数")
		}
		res, err := app.Ingest(ctx)
		if err != nil {
			return err
		}
		printScan(stdout, res)
		return nil
	case "run":
		return cmdRun(ctx, app, args, stdout)
	case "serve":
		return cmdServe(ctx, app, args)
	case "status":
		return cmdStatus(ctx, app, args, stdout)
	case "reports":
		return cmdReports(ctx, app, args, stdout)
	}
	return domain.Usagef("未知命令 %q", cmd)
}

func printScan(w io.Writer, res pipeline.ScanResult) {
	for _, f := range res.Files {
		name := pad(f.Name, 40)
		switch f.Outcome {
		case pipeline.OutcomeLoaded:
			fmt.Fprintf(w, "已导入  %s %s %9d 行  %s\n", name, pad(domain.KindLabels[f.Kind], 8), f.Rows, f.Duration.Round(time.Millisecond))
		case pipeline.OutcomeRejected:
			fmt.Fprintf(w, "已退回  %s %d 处错误，见 %s.errors.xlsx\n", name, f.Errors, f.MovedTo)
		case pipeline.OutcomeDuplicate:
			fmt.Fprintf(w, "重复    %s %s\n", name, f.Reason)
		case pipeline.OutcomeWaiting:
			fmt.Fprintf(w, "等待    %s 仍在写入，下次扫描再处理\n", name)
		}
	}
	fmt.Fprintf(w, "导入 %d 个，退回 %d 个，重复 %d 个，等待 %d 个（%s）\n",
		res.Count(pipeline.OutcomeLoaded), res.Count(pipeline.OutcomeRejected),
		res.Count(pipeline.OutcomeDuplicate), res.Count(pipeline.OutcomeWaiting), res.Duration.Round(time.Millisecond))
}

// pad fills s to width terminal columns, a CJK character taking two.
func pad(s string, width int) string {
	w := 0
	for _, r := range s {
		if r >= 0x2E80 {
			w += 2
		} else {
			w++
		}
	}
	if w >= width {
		return s
	}
	return s + strings.Repeat(" ", width-w)
}

func cmdRun(ctx context.Context, app *pipeline.App, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return domain.Usagef("run 需要作业名：%s", pipeline.JobNames())
	}
	job := args[0]
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	period := fs.String("period", "", "期间：2026Q2 或 2026-06")
	asOf := fs.String("as-of", "", "截至日期 YYYY-MM-DD")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return domain.Usagef("run %s 的参数有误：只接受 --period 与 --as-of", job)
	}
	req := pipeline.RunRequest{Period: *period, Trigger: "manual"}
	if *asOf != "" {
		d, err := domain.ParseDate(*asOf)
		if err != nil {
			return domain.Usagef("--as-of: %v", err)
		}
		req.AsOf = d
	}
	if job == "all" {
		if *period != "" {
			return domain.Usagef("run all 不接受 --period：每个作业取其最近一个完整期间")
		}
		for _, name := range pipeline.JobOrder {
			if !pipeline.Registered(name) {
				continue
			}
			if err := runOne(ctx, app, name, req, stdout); err != nil {
				return err
			}
		}
		return nil
	}
	return runOne(ctx, app, job, req, stdout)
}

func runOne(ctx context.Context, app *pipeline.App, job string, req pipeline.RunRequest, stdout io.Writer) error {
	out, err := app.RunJob(ctx, job, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s：%s\n", job, out.Period, out.Headline)
	for _, p := range out.Paths {
		fmt.Fprintf(stdout, "  → %s\n", p)
	}
	return nil
}
