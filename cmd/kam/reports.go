package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/jobs"
	"kam/status"
	"kam/store"
)

const reportsUsage = "  kam [--config FILE] reports list [--job J] [--period P] [--unit 单位编码 | --city] [--limit N]\n" +
	"  kam [--config FILE] reports get ID -o FILE [--force]   归档中的原始字节，按 SHA-256 核对；-o - 写到标准输出\n"

func init() {
	register(&command{
		name:  "reports",
		usage: reportsUsage,
		doc: "list 列出归档的报表，最新的在前；--period 与 run 的写法相同（2026Q2、2026q2、2026-06、2026-07-15）；\n" +
			"--unit D01 只列该单位自己的报表（grades_2026Q2_D01.xlsx 等），--city 只列全市的报表。\n" +
			"get 取出一份归档报表；不覆盖已有文件，除非加 --force。只读：数据库不可写时也能运行。\n",
		db:    readOnly,
		parse: parseReports,
	})
}

func parseReports(args []string) (*work, error) {
	if len(args) == 0 {
		return nil, domain.Usagef("reports 需要子命令 list 或 get")
	}
	switch args[0] {
	case "list":
		return parseReportsList(args[1:])
	case "get":
		return parseReportsGet(args[1:])
	}
	return nil, domain.Usagef("未知的 reports 子命令 %q：只有 list 与 get", args[0])
}

func parseReportsList(args []string) (*work, error) {
	fs := flag.NewFlagSet("reports list", flag.ContinueOnError)
	job := fs.String("job", "", "作业")
	period := fs.String("period", "", "期间")
	unit := fs.String("unit", "", "只列该单位自己的报表")
	city := fs.Bool("city", false, "只列全市的报表")
	limit := fs.Int("limit", 50, "最多列出几份")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, domain.Usagef("reports list 不接受 %s", strings.Join(pos, " "))
	}
	if *limit < 1 {
		return nil, domain.Usagef("reports list --limit 至少为 1")
	}
	if *city && *unit != "" {
		return nil, domain.Usagef("reports list：--unit 与 --city 只能选一个")
	}
	if *job != "" && !jobs.Registered(*job) {
		return nil, domain.Usagef("reports list --job：未知作业 %q；可用：%s", *job, jobs.Names())
	}
	p, err := canonicalPeriod(*period)
	if err != nil {
		return nil, err
	}
	code := ""
	if *unit != "" {
		// Archived with the code as stored (SPEC §3.3): --unit zq14 lists ZQ14's reports.
		if code, err = domain.ParseUnitCode(*unit); err != nil {
			return nil, domain.Usagef("reports list --unit %q 不是单位编码：%v", *unit, err)
		}
	}
	f := store.ReportFilter{Job: *job, Period: p, Unit: code, CityOnly: *city}
	return &work{do: func(ctx context.Context, e *env) error { return reportsList(ctx, e, f, *limit) }}, nil
}

// canonicalPeriod writes a --period as the archive stores it, as `kam run` reads it: 2026q2 → 2026Q2.
func canonicalPeriod(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if q, err := domain.ParseQuarter(s); err == nil {
		return q.String(), nil
	}
	if d, err := domain.ParseDate(s); err == nil {
		return d.String(), nil
	}
	if m, err := domain.ParseMonth(s); err == nil {
		return m.String(), nil
	}
	return "", domain.Usagef("--period %q 不是期间：季度如 2026Q2，月份如 2026-06，日期如 2026-07-15", s)
}

func reportsList(ctx context.Context, e *env, f store.ReportFilter, limit int) error {
	stdout := e.stdout
	reps, err := e.app.Store.ListReports(ctx, f, limit)
	if err != nil {
		return domain.Failed(err, "读取报表归档")
	}
	if len(reps) == 0 {
		fmt.Fprintln(stdout, "归档中没有符合条件的报表")
		return nil
	}
	loc := e.cfg.Location()
	rows := make([][]string, len(reps))
	for i, r := range reps {
		unit := r.Unit
		if unit == "" {
			unit = "全市"
		}
		rows[i] = []string{fmt.Sprint(r.ID), r.Job, r.Period, unit, r.FileName, status.VersionLabel(r.Version, r.Current), fmt.Sprint(r.Size), r.SHA256[:min(12, len(r.SHA256))],
			r.CreatedAt.In(loc).Format("2006-01-02 15:04"), fmt.Sprint(r.RunID)}
	}
	printTable(stdout, []string{"编号", "作业", "期间", "单位", "文件", "版本", "字节", "SHA-256", "归档时间", "运行"}, rows)
	fmt.Fprintln(stdout, "\n取出一份：kam reports get 编号 -o 文件名")
	return nil
}

func parseReportsGet(args []string) (*work, error) {
	fs := flag.NewFlagSet("reports get", flag.ContinueOnError)
	outPath := fs.String("o", "", "写到哪个文件（- 为标准输出）")
	force := fs.Bool("force", false, "覆盖已有文件")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 || *outPath == "" {
		return nil, domain.Usagef("reports get 需要一个报表编号和 -o 文件名")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id < 1 {
		return nil, domain.Usagef("报表编号 %q 不正确：应为 kam reports list 列出的编号", pos[0])
	}
	if *outPath != "-" {
		// -o names a file: not a folder (., .., x/) nor a name longer than a file system takes.
		dir, file := filepath.Split(*outPath)
		if _, err := core.FileIn(dir, file); err != nil {
			return nil, domain.Usagef("-o %s 不是可以写出的文件名：%s", *outPath, domain.Message(err))
		}
	}
	if *outPath != "-" && !*force {
		if _, err := os.Lstat(*outPath); err == nil {
			return nil, domain.Usagef("%s 已存在，没有覆盖；加 --force 覆盖，或换一个 -o 文件名", *outPath)
		}
	}
	return &work{do: func(ctx context.Context, e *env) error { return reportsGet(ctx, e, id, *outPath, *force) }}, nil
}

func reportsGet(ctx context.Context, e *env, id int64, outPath string, force bool) error {
	st, stdout := e.app.Store, e.stdout
	if outPath == "-" {
		_, err := st.ReportContent(ctx, id, stdout)
		return reportErr(id, err)
	}
	// Written beside the target and renamed: a damaged or interrupted copy never takes the name.
	// Its name leaves room for CreateTemp's random digits and ".part" within what a file system takes.
	tmp, err := os.CreateTemp(filepath.Dir(outPath), "."+core.ShortenName(filepath.Base(outPath), core.MaxNameBytes-32)+".*.part")
	if err != nil {
		return domain.Failed(err, "创建 %s", outPath)
	}
	defer os.Remove(tmp.Name())
	rep, err := st.ReportContent(ctx, id, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return reportErr(id, err)
	}
	if err := os.Chmod(tmp.Name(), e.cfg.Paths.FileMode.Mode()); err != nil {
		return domain.Failed(err, "写入 %s", outPath)
	}
	if force {
		err = os.Rename(tmp.Name(), outPath)
	} else {
		// A link, not a rename, so a file that appeared meanwhile is still not overwritten.
		err = os.Link(tmp.Name(), outPath)
		if errors.Is(err, os.ErrExist) {
			return domain.Usagef("%s 已存在，没有覆盖；加 --force 覆盖，或换一个 -o 文件名", outPath)
		}
	}
	if err != nil {
		return domain.Failed(err, "写入 %s", outPath)
	}
	fmt.Fprintf(stdout, "已取出报表 %d（%s，%s %s，%d 字节，SHA-256 %s）→ %s\n",
		rep.ID, rep.FileName, rep.Job, rep.Period, rep.Size, rep.SHA256, outPath)
	return nil
}

func reportErr(id int64, err error) error {
	if errors.Is(err, store.ErrNoReport) {
		return domain.Usagef("归档中没有编号为 %d 的报表；kam reports list 可列出全部", id)
	}
	if err != nil {
		return domain.Failed(err, "读取归档报表 %d", id)
	}
	return nil
}
