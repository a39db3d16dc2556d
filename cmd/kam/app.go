package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"kam/config"
	"kam/domain"
	"kam/pipeline"
	"kam/pipeline/core"
	"kam/pipeline/ingest"
	"kam/pipeline/jobs"
	"kam/status"
	"kam/store"
)

// env is what a command's work runs with.
type env struct {
	cfg            config.Config
	app            *pipeline.App // nil for a command without the database
	stdout, stderr io.Writer
}

// openStore opens the database; a var so tests can hand the command a store they hold.
var openStore = store.Open

// execute reads the configuration, judges the command line against it, then opens the store and runs the work.
func execute(ctx context.Context, c *command, w *work, configPath string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(configPath, jobs.ConfigKeys()...)
	if err != nil {
		return err
	}
	if w.check != nil {
		if err := w.check(cfg); err != nil {
			return err
		}
	}
	e := &env{cfg: cfg, stdout: stdout, stderr: stderr}
	if c.db == noDB {
		return w.do(ctx, e)
	}
	log := core.NewLoggerWith(os.Stderr, core.LogOptions{Format: cfg.Log.Format, Level: cfg.Log.Level,
		Location: cfg.Location(), Summarised: c.name == "ingest" || c.name == "run", StdoutTerminal: isTerminal(stdout)})
	st, err := openDB(ctx, cfg, c.db, store.Options{DSN: cfg.DB.DSN, SQLitePath: cfg.DB.SQLitePath, Log: log})
	if err != nil {
		return domain.Failed(err, "打开数据库")
	}
	defer st.Close()
	e.app = pipeline.New(&core.App{Cfg: cfg, Store: st, Log: log, Progress: core.IsTerminal(os.Stderr)})
	return w.do(ctx, e)
}

// openDB opens a read-only command's database for reading only when its
// schema is current, so status and reports work on a database kam may not
// write; otherwise (a new database, one behind on migrations, or any other
// command) it opens and migrates.
func openDB(ctx context.Context, cfg config.Config, mode dbMode, opts store.Options) (*store.Store, error) {
	if mode == readOnly {
		_, statErr := os.Stat(cfg.DB.SQLitePath)
		if cfg.DB.DSN != "" || statErr == nil {
			ro := opts
			ro.ReadOnly = true
			st, err := openStore(ctx, ro)
			if !errors.Is(err, store.ErrSchemaOutdated) {
				return st, err
			}
		}
	}
	return openStore(ctx, opts)
}

func init() {
	register(&command{
		name:  "serve",
		usage: "  kam [--config FILE] serve                        常驻运行：计划任务、补跑、投递邮件，直到 SIGTERM\n",
		doc:   "按 schedule 的计划运行各作业与收件扫描；启动时补跑错过的期间；每分钟投递邮件。收到 SIGTERM 后让正在运行的作业在 schedule.shutdown_grace 内完成。\n",
		db:    readWrite,
		parse: func(args []string) (*work, error) {
			if len(args) > 0 {
				return nil, domain.Usagef("serve 不带参数")
			}
			return &work{do: func(ctx context.Context, e *env) error { return cmdServe(ctx, e.app, nil) }}, nil
		},
	})
	register(&command{
		name:  "ingest",
		usage: "  kam [--config FILE] ingest                       扫描一次收件目录\n",
		doc:   "每个文件或整体导入，或整体退回（附错误工作簿）；仍在写入的文件留到下次。每个文件都处理了就退出 0，无法工作（数据库不可用、目录不可写）时退出 1。\n",
		db:    readWrite,
		parse: func(args []string) (*work, error) {
			if len(args) > 0 {
				return nil, domain.Usagef("ingest 不带参数")
			}
			return &work{do: func(ctx context.Context, e *env) error {
				res, err := e.app.Ingest(ctx)
				writeShared(ctx, e.app) // with the codes just loaded in their drop-downs
				if err != nil {
					return err
				}
				printScan(e.stdout, res)
				return nil
			}}, nil
		},
	})
	register(&command{
		name: "run",
		usage: "  kam [--config FILE] run JOB [--period P] [--as-of YYYY-MM-DD] [--dry-run [-o FILE]] [--allow-incomplete]\n" +
			"        JOB: " + jobs.Usage() + " | all\n" +
			"      [--force] [--no-mail]\n",
		doc: "不带 --period 时取最近一个完整期间（上一季度、上一个月，黄金客户取最近的双月；tender 为今天）。\n" +
			"--dry-run 计算并写出工作簿（到 -o FILE 或当前目录），不记录运行、不归档、不发邮件；未来的期间或日期只能试算。\n" +
			"all 依次运行每个作业，即使其中一个失败；每个作业一行结果，退出码取最坏的一个。\n" +
			"某月没有收入、或某业务种类连续有收入后突然缺失时，数据不完整，作业被拒绝（退出 1）；--allow-incomplete 仍然运行，并在报表说明、数据警告和邮件中注明。\n" +
			"报表跟随数据：该期间已发布、之后数据没有变化时，不生成新版本、不发邮件（退出 0）；数据变了则发布第 N+1 版（说明写明原因，变更工作表列出每一处不同），只发给部分有变化的收件人，主题带【更正】。\n" +
			"--force 数据没有变化也发布新版本；--no-mail 只归档，不发邮件。\n",
		db:    readWrite,
		parse: parseRun,
	})
	register(&command{
		name:  "status",
		usage: "  kam [--config FILE] status                       最近的运行、文件与投递\n",
		doc:   "只读：数据库不可写时也能运行。\n",
		db:    readOnly,
		parse: func(args []string) (*work, error) {
			if len(args) > 0 {
				return nil, domain.Usagef("status 不带参数")
			}
			return &work{do: func(ctx context.Context, e *env) error { return cmdStatus(ctx, e.app, nil, e.stdout) }}, nil
		},
	})
	register(&command{
		name:  "migrate",
		usage: "  kam [--config FILE] migrate                      把数据库结构升级到最新\n",
		doc:   "每次打开数据库时也会自动迁移；已是最新时什么也不做。\n",
		db:    readWrite,
		parse: func(args []string) (*work, error) {
			if len(args) > 0 {
				return nil, domain.Usagef("migrate 不带参数")
			}
			return &work{do: func(ctx context.Context, e *env) error {
				fmt.Fprintln(e.stdout, migrateMessage(e.app.Store.Applied(), e.app.Store.Dialect())) // opening the store applied every migration
				// After an upgrade, what an older kam stored may no longer read as stored: said once, here.
				codes, err := status.CodeProblems(ctx, e.app.Store)
				if err != nil {
					return domain.Failed(err, "检查已存的编号")
				}
				printCodeProblems(e.stdout, codes)
				return nil
			}}, nil
		},
	})
}

// migrateMessage says what opening the database applied.
func migrateMessage(applied []int64, dialect string) string {
	switch len(applied) {
	case 0:
		return fmt.Sprintf("数据库已是最新结构，没有需要应用的迁移（%s）", dialect)
	case 1:
		return fmt.Sprintf("已应用 1 个迁移（%05d），数据库结构已是最新（%s）", applied[0], dialect)
	}
	return fmt.Sprintf("已应用 %d 个迁移（%05d … %05d），数据库结构已是最新（%s）", len(applied), applied[0], applied[len(applied)-1], dialect)
}

// isTerminal: w is a terminal (stdout of a person at a shell).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && core.IsTerminal(f)
}

// parseFlags parses fs over args with flags and positional arguments in any order.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, domain.Usagef("%s 的参数有误：%s", fs.Name(), flagMessage(err))
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		if args = fs.Args(); len(args) > 0 && args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

var (
	flagUndefined = regexp.MustCompile(`^flag provided but not defined: (.*)$`)
	flagNeedsArg  = regexp.MustCompile(`^flag needs an argument: (.*)$`)
	flagBadValue  = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for flag (\S+)`)
)

// flagMessage says in Chinese what the flag package said in English.
func flagMessage(err error) string {
	s := err.Error()
	if m := flagUndefined.FindStringSubmatch(s); m != nil {
		return "不认识的选项 " + m[1]
	}
	if m := flagNeedsArg.FindStringSubmatch(s); m != nil {
		return "选项 " + m[1] + " 需要一个值"
	}
	if m := flagBadValue.FindStringSubmatch(s); m != nil {
		return fmt.Sprintf("选项 %s 的值 %q 不正确", strings.TrimRight(m[2], ":"), m[1])
	}
	return s
}

// today is the calendar day in kam's zone.
func today(cfg config.Config) domain.Date { return domain.DateFromTime(time.Now().In(cfg.Location())) }

func parseRun(args []string) (*work, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	period := fs.String("period", "", "期间：2026Q2 或 2026-06")
	asOf := fs.String("as-of", "", "截至日期 YYYY-MM-DD")
	dry := fs.Bool("dry-run", false, "试算：只写文件，不记录")
	dryOut := fs.String("o", "", "试算结果写到哪个文件")
	allowIncomplete := fs.Bool("allow-incomplete", false, "数据不完整时仍然运行，并在报表和邮件中注明")
	force := fs.Bool("force", false, "数据没有变化也发布新版本")
	noMail := fs.Bool("no-mail", false, "只归档，不发邮件")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) == 0 {
		return nil, domain.Usagef("run 需要作业名：%s | all", jobs.Names())
	}
	if len(pos) > 1 {
		return nil, domain.Usagef("run 只接受一个作业名，多出了 %s", strings.Join(pos[1:], " "))
	}
	job := pos[0]
	if job != "all" && !jobs.Registered(job) {
		return nil, domain.Usagef("未知作业 %q；可用：%s | all", job, jobs.Names())
	}
	if *dryOut != "" && !*dry {
		return nil, domain.Usagef("-o 只用于 --dry-run：正式运行的报表写到 paths.reports 并归档")
	}
	if *dry && (*force || *noMail) {
		return nil, domain.Usagef("--force 和 --no-mail 只用于正式运行：--dry-run 本来就不记录、不发邮件")
	}
	req := jobs.RunRequest{Period: *period, Trigger: jobs.TriggerManual, DryRun: *dry, DryRunPath: *dryOut, AllowIncomplete: *allowIncomplete,
		Force: *force, NoMail: *noMail}
	if *asOf != "" {
		d, err := domain.ParseDate(*asOf)
		if err != nil {
			return nil, domain.Usagef("--as-of: %v", err)
		}
		req.AsOf = d
	}
	if job == "all" {
		if *period != "" {
			return nil, domain.Usagef("run all 不接受 --period：每个作业取其最近一个完整期间")
		}
		if *dryOut != "" {
			return nil, domain.Usagef("run all 不接受 -o：试算结果写到当前目录")
		}
	}
	return &work{
		check: func(cfg config.Config) error {
			if job != "all" {
				return jobs.CheckRun(job, req, today(cfg))
			}
			for _, j := range jobs.All() {
				if err := jobs.CheckRun(j.Name, req, today(cfg)); err != nil {
					return err
				}
			}
			return nil
		},
		do: func(ctx context.Context, e *env) error {
			if job == "all" {
				return runAll(ctx, e.app, req, e.stdout)
			}
			return runOne(ctx, e.app, job, req, e.stdout)
		},
	}, nil
}

// outcomeLabels name a job's outcome in `kam run all`.
var outcomeLabels = map[domain.ErrorKind]string{domain.ERefused: "拒绝", domain.EBusy: "忙", domain.EInternal: "失败", domain.EInvalid: "用法错误"}

// runAll runs every job, even after one fails, prints one line per job, and
// returns an error of the worst outcome's kind: usage (2) over any other failure (1).
func runAll(ctx context.Context, app *pipeline.App, req jobs.RunRequest, stdout io.Writer) error {
	// One run all at a time: a second one exits at once, having run nothing.
	lock, err := app.Store.LockRun(ctx, "run-all", nil)
	if errors.Is(err, store.ErrBusy) {
		return domain.Busyf("另一个 kam run all 正在运行，本次什么也没有运行（%v）", err)
	}
	if err != nil {
		return domain.Failed(err, "锁定 run all")
	}
	defer lock.Release()
	var failed []string
	var worst *domain.Error
	for _, j := range jobs.All() {
		name := j.Name
		if ctx.Err() != nil {
			failed = append(failed, name)
			fmt.Fprintf(stdout, "%-15s 未运行：已中止\n", name)
			continue
		}
		out, err := app.RunJob(ctx, name, req)
		if err == nil {
			fmt.Fprintf(stdout, "%-15s %s  %s：%s\n", name, doneLabel(out), out.Period, versionNote(out)+out.Headline)
			printPaths(stdout, out)
			continue
		}
		kind := domain.KindOf(err)
		failed = append(failed, name)
		first, _, _ := strings.Cut(domain.Message(err), "\n")
		fmt.Fprintf(stdout, "%-15s %s  %s\n", name, outcomeLabels[kind], first)
		if worst == nil || (kind == domain.EInvalid && worst.Kind != domain.EInvalid) {
			worst = &domain.Error{Kind: kind}
		}
	}
	if ctx.Err() != nil && worst == nil {
		return domain.Failed(ctx.Err(), "运行全部作业")
	}
	if worst == nil {
		return nil
	}
	worst.Msg = fmt.Sprintf("%d 个作业未完成：%s", len(failed), strings.Join(failed, "、"))
	return worst
}

func runOne(ctx context.Context, app *pipeline.App, job string, req jobs.RunRequest, stdout io.Writer) error {
	out, err := app.RunJob(ctx, job, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s：%s\n", job, out.Period, versionNote(out)+out.Headline)
	printPaths(stdout, out)
	return nil
}

// doneLabel is a finished job's word in `kam run all`: 完成, or 未变 when nothing was issued.
func doneLabel(out *jobs.Output) string {
	if out.Unchanged {
		return "未变"
	}
	return "完成"
}

// versionNote says which version a run issued, why, and whether it was mailed (SPEC §5.2).
func versionNote(out *jobs.Output) string {
	if out.Unchanged || out.DryRun {
		return ""
	}
	note := ""
	if out.Version > 1 {
		note = fmt.Sprintf("第 %d 版", out.Version)
		if out.Why != "" {
			note += "（" + out.Why + "）"
		}
		note += "；"
	}
	if out.NotMailed {
		note += "按 --no-mail 只归档，未发邮件；"
	}
	return note
}

// printPaths lists the city-wide files, and the units' own workbooks in one
// line: there may be hundreds; and how many copies the reports folder still lacks.
func printPaths(stdout io.Writer, out *jobs.Output) {
	for _, p := range out.Paths {
		fmt.Fprintf(stdout, "  → %s\n", p)
	}
	if n := len(out.UnitPaths); n > 0 {
		dir := filepath.Dir(filepath.Dir(out.UnitPaths[0]))
		fmt.Fprintf(stdout, "  → 各单位自己的报表 %d 份：%s/<单位编码>/（例如 %s）\n", n, dir, filepath.Base(out.UnitPaths[0]))
	}
	if n := out.MissingCopies; n > 0 {
		fmt.Fprintf(stdout, "  ! 报表副本缺 %d 份：未能写入报表目录（见日志）；报表已归档、邮件已排队，kam 会在下次扫描、投递或启动时从归档补写\n", n)
	}
}

func printScan(w io.Writer, res ingest.ScanResult) {
	for _, f := range res.Files {
		name := pad(f.Name, 40)
		switch f.Outcome {
		case ingest.OutcomeLoaded:
			fmt.Fprintf(w, "已导入  %s %s %9d 行  %s\n", name, pad(domain.KindLabels[f.Kind], 8), f.Rows, f.Duration.Round(time.Millisecond))
			if f.Note != "" {
				fmt.Fprintf(w, "        %s\n", f.Note)
			}
		case ingest.OutcomeRejected:
			// The workbook named is the one this scan wrote (a file rejected again gets " (2)"), none when none was.
			if f.ErrorBook != "" {
				fmt.Fprintf(w, "已退回  %s %d 处错误，见 %s\n", name, f.Errors, f.ErrorBook)
			} else {
				fmt.Fprintf(w, "已退回  %s %d 处错误：%s\n", name, f.Errors, f.Reason) // the reason says why it was not written
			}
		case ingest.OutcomeDuplicate:
			fmt.Fprintf(w, "重复    %s %s\n", name, f.Reason)
		case ingest.OutcomeWaiting:
			why := "仍在写入或复制未完成，下次扫描再处理"
			if f.Reason != "" {
				why = f.Reason
			}
			fmt.Fprintf(w, "等待    %s %s\n", name, why)
		}
	}
	fmt.Fprintf(w, "导入 %d 个，退回 %d 个，重复 %d 个，等待 %d 个（%s）\n",
		res.Count(ingest.OutcomeLoaded), res.Count(ingest.OutcomeRejected),
		res.Count(ingest.OutcomeDuplicate), res.Count(ingest.OutcomeWaiting), res.Duration.Round(time.Millisecond))
}

// pad fills s to width terminal columns, a CJK character taking two.
func pad(s string, width int) string {
	w := displayWidth(s)
	if w >= width {
		return s
	}
	return s + strings.Repeat(" ", width-w)
}
