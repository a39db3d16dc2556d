// Command kam runs the postal key-account pipeline: ingest extracts, run the
// rulebook's jobs, write and deliver their workbooks. See SPEC §6.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"kam/config"
	"kam/domain"
)

const usageHead = `kam — 大客户管理流水线

用法:
`

const usageTail = `
全局选项 --config FILE 可写在命令前或命令后。
不带 --config 时使用内置默认：SQLite 数据库 ./var/kam.db，目录在 ./var/ 下。
KAM_DB_DSN（或配置 db.dsn）指定 MySQL：mysql://user:pass@tcp(host:3306)/kam
退出码：0 完成，1 失败（包括因数据被拒绝、另一个 kam 正在运行），2 用法或配置错误。
`

// command is one of kam's subcommands. Each registers itself in init.
type command struct {
	name  string
	usage string // its lines of the usage text
	doc   string // what `kam help NAME` adds below them
	db    dbMode
	// parse checks the arguments and returns the work. It runs before the
	// configuration is read or anything is opened, so a bad command line
	// creates nothing; its errors are bad usage (exit 2).
	parse func(args []string) (*work, error)
}

// work is a parsed command line, ready to run.
type work struct {
	// check, if set, judges the arguments against the configuration before the store opens.
	check func(cfg config.Config) error
	do    func(ctx context.Context, e *env) error
}

// dbMode is what a command needs of the database.
type dbMode int

const (
	noDB      dbMode = iota
	readWrite        // opened and migrated
	readOnly         // opened for reading; migrated only when its schema is behind
)

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// usageOrder is SPEC §6's order; commands other files register appear in it.
var usageOrder = []string{"serve", "ingest", "run", "status", "reports", "migrate", "check", "template", "explain", "card", "deliver", "user"}

func usage() string {
	var b strings.Builder
	b.WriteString(usageHead)
	var extra []string // commands SPEC §6 does not list, in a stable order
	for n := range commands {
		if !slices.Contains(usageOrder, n) && n != "gen" {
			extra = append(extra, n)
		}
	}
	slices.Sort(extra)
	names := append(slices.Clone(usageOrder), extra...)
	for _, n := range names {
		if c, ok := commands[n]; ok {
			b.WriteString(c.usage)
		}
	}
	b.WriteString("  kam version | kam help [COMMAND] | kam COMMAND -h\n")
	if c, ok := commands["gen"]; ok {
		b.WriteString(c.usage)
	}
	b.WriteString(usageTail)
	return b.String()
}

func commandHelp(c *command) string {
	s := "用法:\n" + c.usage
	if c.doc != "" {
		s += "\n" + c.doc
	}
	return s
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status. Everything on
// the command line is checked before the configuration is read and the
// store opened.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	configPath, args, err := globalFlags(args)
	if err != nil {
		return exitCode(err, stderr)
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage())
		return 0
	case "help":
		return help(rest, stdout, stderr)
	case "version", "--version":
		if len(rest) > 0 && !wantsHelp(rest) {
			return exitCode(domain.Usagef("version 不带参数"), stderr)
		}
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "kam: 未知命令 %q\n\n%s", name, usage())
		return 2
	}
	if wantsHelp(rest) {
		fmt.Fprint(stdout, commandHelp(c))
		return 0
	}
	w, err := c.parse(rest)
	if err != nil {
		code := exitCode(err, stderr)
		fmt.Fprintf(stderr, "用法:\n%s", c.usage)
		return code
	}
	return exitCode(execute(ctx, c, w, configPath, stdout, stderr), stderr)
}

// globalFlags takes --config FILE (or --config=FILE, -config) from anywhere on the command line.
func globalFlags(args []string) (configPath string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		switch {
		case a == "--config" || a == "-config":
			if i+1 >= len(args) {
				return "", nil, domain.Usagef("--config 需要配置文件名")
			}
			configPath = args[i+1]
			i++
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			configPath = a[strings.Index(a, "=")+1:]
			if configPath == "" {
				return "", nil, domain.Usagef("--config 需要配置文件名")
			}
		default:
			rest = append(rest, a)
		}
	}
	return configPath, rest, nil
}

func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		case "--":
			return false
		}
	}
	return false
}

// help prints the usage, or one command's, to stdout.
func help(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stdout, usage())
		return 0
	case len(args) > 1:
		return exitCode(domain.Usagef("用法：kam help [COMMAND]"), stderr)
	}
	switch args[0] {
	case "help", "version":
		fmt.Fprint(stdout, "用法:\n  kam version | kam help [COMMAND] | kam COMMAND -h\n")
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "kam: 未知命令 %q\n\n%s", args[0], usage())
		return 2
	}
	fmt.Fprint(stdout, commandHelp(c))
	return 0
}

// versionLine names the build: its release (stamped by make build), VCS revision and time when Go recorded them, Go version.
func versionLine() string {
	s := "kam " + domain.Version()
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return s
	}
	var rev, at, modified string
	for _, kv := range info.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			at = kv.Value
		case "vcs.modified":
			modified = kv.Value
		}
	}
	if rev != "" {
		s += " 修订 " + rev
		if at != "" {
			s += "（" + at + "）"
		}
		if modified == "true" {
			s += "，含未提交的修改"
		}
	}
	return s + " " + info.GoVersion
}

// exitCode prints err for a person and maps it to SPEC §6's exit status.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "kam:", domain.Message(err))
	return domain.ExitCode(err)
}
