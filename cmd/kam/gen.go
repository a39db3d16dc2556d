package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"kam/domain"
	"kam/gen"
	"kam/pipeline/core"
)

const genUsage = "  kam gen --out DIR [--customers N] [--months M] [--seed S] [--end YYYY-MM] [--revenue-xlsx] [--force]   生成样例数据\n"

func init() {
	register(&command{
		name:  "gen",
		usage: genUsage,
		doc: "生成一套确定的样例数据（同一种子逐字节相同），可直接 kam ingest。默认写到今天之前最后一个完整月，--end 可指定。\n" +
			"--out 目录里已有文件时不写，除非加 --force（同名文件被覆盖）。\n",
		db:    noDB,
		parse: parseGen,
	})
}

func parseGen(args []string) (*work, error) {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	out := fs.String("out", "", "输出目录")
	customers := fs.Int("customers", 2000, "客户数")
	months := fs.Int("months", 12, "月数")
	seed := fs.Int64("seed", 1, "随机种子：同一种子生成逐字节相同的文件")
	end := fs.String("end", "", "最后一个月 YYYY-MM（默认：今天之前最后一个完整月）")
	revenueXLSX := fs.Bool("revenue-xlsx", false, "收入写成 .xlsx（默认每月一个 CSV）")
	force := fs.Bool("force", false, "覆盖 --out 中已有的文件")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, domain.Usagef("gen 不接受 %s", strings.Join(pos, " "))
	}
	if *out == "" {
		return nil, domain.Usagef("gen 需要 --out DIR")
	}
	if *customers < 1 || *months < 1 || *months > 120 {
		return nil, domain.Usagef("gen: --customers 至少 1，--months 在 1–120 之间")
	}
	var endMonth domain.Month
	if *end != "" {
		m, err := domain.ParseMonth(*end)
		if err != nil {
			return nil, domain.Usagef("--end: %v", err)
		}
		endMonth = m
	}
	if !*force {
		if err := refuseNonEmpty(*out); err != nil {
			return nil, err
		}
	}
	return &work{do: func(ctx context.Context, e *env) error {
		// "Today" in kam's own zone, so no generated date is in kam's future.
		opts := gen.Options{Out: *out, Customers: *customers, Months: *months, Seed: *seed, End: endMonth,
			Now: time.Now().In(e.cfg.Location()), RevenueXLSX: *revenueXLSX}
		return runGen(ctx, opts, e.stdout)
	}}, nil
}

// refuseNonEmpty refuses an output folder that already holds files (hidden ones aside).
func refuseNonEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil // missing: gen creates it; unreadable: gen says so when it writes
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil
	}
	return domain.Usagef("%s 中已有 %d 个文件（%s…）：kam gen 不覆盖已有文件；换一个空目录，或加 --force", dir, len(names), names[0])
}

func runGen(ctx context.Context, opts gen.Options, stdout io.Writer) error {
	if core.IsTerminal(os.Stderr) {
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
	fmt.Fprintf(stdout, "已生成到 %s：\n%s", opts.Out, sum)
	return nil
}
