package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"kam/config"
	"kam/domain"
	"kam/gen"
	"kam/pipeline"
)

func cmdGen(ctx context.Context, configPath string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "", "输出目录")
	customers := fs.Int("customers", 2000, "客户数")
	months := fs.Int("months", 12, "月数")
	seed := fs.Int64("seed", 1, "随机种子：同一种子生成逐字节相同的文件")
	end := fs.String("end", "", "最后一个月 YYYY-MM（默认：今天之前最后一个完整月）")
	revenueXLSX := fs.Bool("revenue-xlsx", false, "收入写成 .xlsx（默认每月一个 CSV）")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return domain.Usagef("gen 的参数有误：kam gen --out DIR [--customers N] [--months M] [--seed S] [--end YYYY-MM] [--revenue-xlsx]")
	}
	if *out == "" {
		return domain.Usagef("gen 需要 --out DIR")
	}
	if *customers < 1 || *months < 1 || *months > 120 {
		return domain.Usagef("gen: --customers 至少 1，--months 在 1–120 之间")
	}
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	// "Today" in kam's own zone, so no generated date is in kam's future.
	opts := gen.Options{Out: *out, Customers: *customers, Months: *months, Seed: *seed, Now: time.Now().In(cfg.Location()), RevenueXLSX: *revenueXLSX}
	if *end != "" {
		m, err := domain.ParseMonth(*end)
		if err != nil {
			return domain.Usagef("--end: %v", err)
		}
		opts.End = m
	}
	if pipeline.IsTerminal(os.Stderr) {
		// Progress counts customers per pass (the customer file, then each month).
		bar := progressbar.NewOptions64(-1, progressbar.OptionSetDescription("生成"), progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionShowCount(), progressbar.OptionSetItsString("客户·月"), progressbar.OptionShowIts(),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
		opts.Progress = func(done, total int64) {
			bar.ChangeMax64(total)
			_ = bar.Set64(done)
		}
		defer bar.Finish()
	}
	sum, err := gen.Run(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已生成到 %s：\n%s", *out, sum)
	return nil
}
