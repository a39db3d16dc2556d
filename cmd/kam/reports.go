package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"kam/domain"
	"kam/pipeline"
	"kam/store"
)

const reportsUsage = "kam reports list [--job J] [--period P] [--limit N] | kam reports get ID -o FILE"

// cmdReports lists the archive or writes one archived report out, byte for byte.
func cmdReports(ctx context.Context, app *pipeline.App, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return domain.Usagef("用法：%s", reportsUsage)
	}
	switch args[0] {
	case "list":
		return reportsList(ctx, app, args[1:], stdout)
	case "get":
		return reportsGet(ctx, app, args[1:], stdout)
	}
	return domain.Usagef("未知的 reports 子命令 %q；用法：%s", args[0], reportsUsage)
}

func reportsList(ctx context.Context, app *pipeline.App, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("reports list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	job := fs.String("job", "", "作业")
	period := fs.String("period", "", "期间")
	limit := fs.Int("limit", 50, "最多列出几份")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *limit < 1 {
		return domain.Usagef("reports list 的参数有误；用法：%s", reportsUsage)
	}
	reps, err := app.Store.ListReports(ctx, *job, *period, *limit)
	if err != nil {
		return err
	}
	if len(reps) == 0 {
		fmt.Fprintln(stdout, "归档中没有符合条件的报表")
		return nil
	}
	loc := app.Cfg.Location()
	rows := make([][]string, len(reps))
	for i, r := range reps {
		rows[i] = []string{fmt.Sprint(r.ID), r.Job, r.Period, r.FileName, fmt.Sprint(r.Size), r.SHA256[:min(12, len(r.SHA256))],
			r.CreatedAt.In(loc).Format("2006-01-02 15:04"), fmt.Sprint(r.RunID)}
	}
	printTable(stdout, []string{"编号", "作业", "期间", "文件", "字节", "SHA-256", "归档时间", "运行"}, rows)
	fmt.Fprintln(stdout, "\n取出一份：kam reports get 编号 -o 文件名")
	return nil
}

func reportsGet(ctx context.Context, app *pipeline.App, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("reports get", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	outPath := fs.String("o", "", "写到哪个文件（- 为标准输出）")
	// The id may come before or after -o.
	var idArg string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		idArg, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return domain.Usagef("reports get 的参数有误；用法：%s", reportsUsage)
	}
	if idArg == "" && fs.NArg() == 1 {
		idArg = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return domain.Usagef("reports get 的参数有误；用法：%s", reportsUsage)
	}
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil || id < 1 || *outPath == "" {
		return domain.Usagef("reports get 需要报表编号和 -o 文件名；用法：%s", reportsUsage)
	}
	if *outPath == "-" {
		_, err := app.Store.ReportContent(ctx, id, stdout)
		return reportErr(id, err)
	}
	// Written beside the target and renamed: a damaged or interrupted copy never takes the name.
	tmp, err := os.CreateTemp(filepath.Dir(*outPath), "."+filepath.Base(*outPath)+".*.part")
	if err != nil {
		return fmt.Errorf("创建 %s: %w", *outPath, err)
	}
	defer os.Remove(tmp.Name())
	rep, err := app.Store.ReportContent(ctx, id, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return reportErr(id, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *outPath); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已取出报表 %d（%s，%s %s，%d 字节，SHA-256 %s）→ %s\n",
		rep.ID, rep.FileName, rep.Job, rep.Period, rep.Size, rep.SHA256, *outPath)
	return nil
}

func reportErr(id int64, err error) error {
	if errors.Is(err, store.ErrNoReport) {
		return domain.Usagef("归档中没有编号为 %d 的报表；kam reports list 可列出全部", id)
	}
	return err
}
