package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/term"

	"kam/config"
	"kam/domain"
	"kam/store"
	"kam/web"
)

const userUsage = "  kam [--config FILE] user add NAME [--unit 单位编码] [--password-stdin] | user list | user remove NAME | user passwd NAME [--password-stdin]\n"

func init() {
	register(&command{
		name:  "user",
		usage: userUsage,
		doc: "网页的登录用户，存放在数据库中（bcrypt，强度 12）；增删改立即生效，kam serve 无需重启。\n" +
			"密码在终端上输入两次（不回显）；--password-stdin 从标准输入读一行，供脚本使用。密码至少 8 个字符。\n" +
			"--unit 把用户绑定到一个已导入的单位：登录后只看到该单位自己的报表和放在该单位文件夹里的文件。\n" +
			"remove 与 passwd 让该用户已登录的会话立即失效。配置文件 http.users 中的用户仍可登录，在 list 中标为“配置文件”，只能在配置文件里修改。\n",
		db:    readWrite,
		parse: parseUser,
	})
}

// stdin is where passwords are read from; a var so tests hand in their own.
var stdin io.Reader = os.Stdin

func parseUser(args []string) (*work, error) {
	if len(args) == 0 {
		return nil, domain.Usagef("user 需要子命令 add、list、remove 或 passwd")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	var unit *string
	var fromStdin *bool
	switch sub {
	case "add":
		unit = fs.String("unit", "", "绑定到这个单位")
		fallthrough
	case "passwd":
		fromStdin = fs.Bool("password-stdin", false, "从标准输入读密码")
	case "list", "remove":
	default:
		return nil, domain.Usagef("未知的 user 子命令 %q：只有 add、list、remove 与 passwd", sub)
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if sub == "list" {
		if len(pos) > 0 {
			return nil, domain.Usagef("user list 不接受 %s", strings.Join(pos, " "))
		}
		return &work{do: func(ctx context.Context, e *env) error { return userList(ctx, e) }}, nil
	}
	if len(pos) != 1 {
		return nil, domain.Usagef("user %s 需要一个用户名", sub)
	}
	name := pos[0]
	if err := web.CheckUserName(name); err != nil {
		return nil, err
	}
	u := store.User{Name: name}
	if unit != nil && *unit != "" {
		if u.Unit, err = domain.ParseUnitCode(*unit); err != nil {
			return nil, domain.Usagef("--unit: %v", err)
		}
	}
	check := func(cfg config.Config) error {
		if slices.ContainsFunc(cfg.HTTP.Users, func(c config.HTTPUser) bool { return c.Name == name }) {
			return domain.Usagef("用户 %s 在配置文件的 http.users 中：请在配置文件里修改它，或先从配置文件中删去再用 kam user add 添加", name)
		}
		return nil
	}
	switch sub {
	case "add":
		return &work{check: check, do: func(ctx context.Context, e *env) error { return userAdd(ctx, e, u, *fromStdin) }}, nil
	case "passwd":
		return &work{check: check, do: func(ctx context.Context, e *env) error { return userPasswd(ctx, e, name, *fromStdin) }}, nil
	}
	return &work{check: check, do: func(ctx context.Context, e *env) error { return userRemove(ctx, e, name) }}, nil
}

func userAdd(ctx context.Context, e *env, u store.User, fromStdin bool) error {
	st := e.app.Store
	if _, err := st.UserByName(ctx, u.Name); err == nil {
		return domain.Usagef("已有用户 %s；改密码用 kam user passwd %s", u.Name, u.Name)
	} else if !errors.Is(err, store.ErrNoUser) {
		return domain.Failed(err, "读取用户")
	}
	if u.Unit != "" {
		units, err := st.Units(ctx)
		if err != nil {
			return domain.Failed(err, "读取单位")
		}
		if !slices.ContainsFunc(units, func(d domain.Unit) bool { return d.Code == u.Unit }) {
			return domain.Usagef("单位 %s 不在已导入的单位中：请检查单位编码，或先导入单位表", u.Unit)
		}
	}
	hash, err := newPassword(e, fromStdin)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	if err := st.AddUser(ctx, u); errors.Is(err, store.ErrUserExists) {
		return domain.Usagef("已有用户 %s；改密码用 kam user passwd %s", u.Name, u.Name)
	} else if err != nil {
		return domain.Failed(err, "添加用户")
	}
	scope := "可以看到全市的运行状态和报表"
	if u.Unit != "" {
		scope = "只能看到单位 " + u.Unit + " 自己的报表和文件"
	}
	fmt.Fprintf(e.stdout, "已添加用户 %s：%s。无需重启 kam serve，现在即可登录。\n", u.Name, scope)
	return nil
}

func userPasswd(ctx context.Context, e *env, name string, fromStdin bool) error {
	st := e.app.Store
	if _, err := st.UserByName(ctx, name); errors.Is(err, store.ErrNoUser) {
		return domain.Usagef("没有用户 %s（kam user list 列出全部用户）", name)
	} else if err != nil {
		return domain.Failed(err, "读取用户")
	}
	hash, err := newPassword(e, fromStdin)
	if err != nil {
		return err
	}
	if err := st.SetPassword(ctx, name, hash); errors.Is(err, store.ErrNoUser) {
		return domain.Usagef("没有用户 %s（kam user list 列出全部用户）", name)
	} else if err != nil {
		return domain.Failed(err, "修改密码")
	}
	fmt.Fprintf(e.stdout, "已修改用户 %s 的密码；它已登录的会话随即失效。\n", name)
	return nil
}

func userRemove(ctx context.Context, e *env, name string) error {
	if err := e.app.Store.RemoveUser(ctx, name); errors.Is(err, store.ErrNoUser) {
		return domain.Usagef("没有用户 %s（kam user list 列出全部用户）", name)
	} else if err != nil {
		return domain.Failed(err, "删除用户")
	}
	fmt.Fprintf(e.stdout, "已删除用户 %s；它已登录的会话随即失效。\n", name)
	return nil
}

func userList(ctx context.Context, e *env) error {
	users, err := e.app.Store.Users(ctx)
	if err != nil {
		return domain.Failed(err, "读取用户")
	}
	loc := e.cfg.Location()
	var rows [][]string
	for _, c := range e.cfg.HTTP.Users {
		rows = append(rows, []string{c.Name, "全市", "配置文件", "", ""})
	}
	for _, u := range users {
		unit := "全市"
		if u.Unit != "" {
			unit = u.Unit
		}
		rows = append(rows, []string{u.Name, unit, "数据库",
			u.CreatedAt.In(loc).Format("2006-01-02 15:04"), u.UpdatedAt.In(loc).Format("2006-01-02 15:04")})
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.stdout, "还没有任何用户：kam user add 用户名 添加一个。")
		return nil
	}
	printTable(e.stdout, []string{"用户名", "可见范围", "来源", "添加于", "密码修改于"}, rows)
	return nil
}

// newPassword reads a new password — one line from standard input with
// --password-stdin, else twice from the terminal without echo — and hashes it.
func newPassword(e *env, fromStdin bool) (string, error) {
	var password string
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", domain.Usagef("--password-stdin：没有从标准输入读到密码")
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		f, ok := stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", domain.Usagef("标准输入不是终端，无法输入密码：请用 --password-stdin 从标准输入读")
		}
		read := func(prompt string) (string, error) {
			fmt.Fprint(e.stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(e.stderr)
			if err != nil {
				return "", domain.Failed(err, "读取密码")
			}
			return string(b), nil
		}
		first, err := read("新密码：")
		if err != nil {
			return "", err
		}
		if err := web.CheckPassword(first); err != nil { // too short or long: say so before the second
			return "", err
		}
		again, err := read("再输入一次：")
		if err != nil {
			return "", err
		}
		if again != first {
			return "", domain.Usagef("两次输入的密码不一致，什么也没有改")
		}
		password = first
	}
	return web.HashPassword(password)
}
