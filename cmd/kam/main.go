// Command kam runs the postal key-account pipeline: ingest extracts, run the
// rulebook's jobs, write and deliver their workbooks. See SPEC §6.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"kam/domain"
)

const usage = `kam — 大客户管理流水线

用法:
  kam [--config FILE] serve                        常驻运行：按计划执行各作业，直到 SIGTERM
  kam [--config FILE] ingest                       扫描一次收件目录
  kam [--config FILE] run JOB [--period P] [--as-of YYYY-MM-DD]
        JOB: grade (P = 2026Q2) | review-diamond | review-gold | roster | splits (P = 2026-06) | tender | all
  kam [--config FILE] status                       最近的运行、文件与投递
  kam [--config FILE] reports list [--job J] [--period P]
  kam [--config FILE] reports get ID -o FILE
  kam [--config FILE] migrate
  kam gen --out DIR [--customers N] [--months M] [--seed S] [--end YYYY-MM] [--revenue-xlsx]   生成样例数据

不带 --config 时使用内置默认：SQLite 数据库 ./var/kam.db，目录在 ./var/ 下。
KAM_DB_DSN（或配置 db.dsn）指定 MySQL：mysql://user:pass@tcp(host:3306)/kam
退出码：0 完成，1 失败，2 用法或配置错误。
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	global := flag.NewFlagSet("kam", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	configPath := global.String("config", "", "配置文件")
	if err := global.Parse(args); err != nil || global.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cmd, rest := global.Arg(0), global.Args()[1:]
	var err error
	switch cmd {
	case "gen":
		err = cmdGen(ctx, *configPath, rest, stdout, stderr)
	case "ingest", "run", "status", "migrate", "reports", "serve":
		err = withApp(ctx, *configPath, cmd, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "未知命令 %q\n\n%s", cmd, usage)
		return 2
	}
	return exitCode(err, stderr)
}

// exitCode prints err for a person and maps it to SPEC §6's exit status.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "kam:", domain.Message(err))
	return domain.ExitCode(err)
}
