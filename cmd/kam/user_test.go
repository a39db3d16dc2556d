package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
	"kam/web"
)

// kamWithStdin is kamSplit with standard input.
func kamWithStdin(t *testing.T, in string, args ...string) (int, string, string) {
	t.Helper()
	stdin = strings.NewReader(in)
	defer func() { stdin = os.Stdin }()
	return kamSplit(t, args...)
}

// kam user add, list, passwd and remove on either database: bcrypt cost 12,
// a unit binding only to a unit kam knows, and the config's users left alone.
func TestUserCommands(t *testing.T) {
	for _, db := range []string{"sqlite", "mariadb"} {
		t.Run(db, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			opts := store.Options{SQLitePath: filepath.Join(dir, "kam.db"), Log: zerolog.Nop()}
			t.Setenv("KAM_DB_DSN", "")
			if db == "mariadb" {
				opts = store.Options{DSN: storetest.NewMySQLDatabase(t), Log: zerolog.Nop()}
				t.Setenv("KAM_DB_DSN", "mysql://"+opts.DSN)
			}
			cfg := filepath.Join(dir, "kam.yaml")
			hash, _ := bcrypt.GenerateFromPassword([]byte("ops password"), bcrypt.MinCost)
			if err := os.WriteFile(cfg, []byte("db:\n  sqlite_path: "+opts.SQLitePath+"\nhttp:\n  users:\n    - name: ops\n      password_hash: \""+string(hash)+"\"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			kam := func(in string, args ...string) (int, string, string) {
				t.Helper()
				return kamWithStdin(t, in, append([]string{"--config", cfg}, args...)...)
			}
			stored := func(name string) store.User {
				t.Helper()
				s, err := store.Open(context.Background(), opts)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				u, err := s.UserByName(context.Background(), name)
				if err != nil {
					t.Fatalf("user %s: %v", name, err)
				}
				return u
			}

			if code, out, errOut := kam("", "user", "list"); code != 0 || !strings.Contains(out, "ops") || !strings.Contains(out, "配置文件") {
				t.Errorf("list with the config's user: %d\n%s%s", code, out, errOut)
			}
			if code, out, errOut := kam("正确的密码 42\n", "user", "add", "alice", "--password-stdin"); code != 0 || !strings.Contains(out, "无需重启") {
				t.Fatalf("add: %d\n%s%s", code, out, errOut)
			}
			u := stored("alice")
			if cost, _ := bcrypt.Cost([]byte(u.PasswordHash)); cost != web.PasswordCost || u.Unit != "" ||
				bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("正确的密码 42")) != nil {
				t.Errorf("stored %+v: want a cost-12 hash of the password, no unit", u)
			}
			for _, c := range []struct {
				in   string
				args []string
				want string
			}{
				{"another one\n", []string{"user", "add", "alice", "--password-stdin"}, "已有用户 alice"},
				{"another one\n", []string{"user", "add", "ops", "--password-stdin"}, "http.users"},
				{"short\n", []string{"user", "add", "bob", "--password-stdin"}, "密码太短"},
				{"", []string{"user", "add", "bob", "--password-stdin"}, "没有从标准输入读到密码"},
				{"long enough\n", []string{"user", "add", "bob"}, "--password-stdin"}, // stdin is no terminal
				{"long enough\n", []string{"user", "add", "bob", "--unit", "D01", "--password-stdin"}, "单位 D01 不在已导入的单位中"},
				{"long enough\n", []string{"user", "passwd", "nobody", "--password-stdin"}, "没有用户 nobody"},
				{"", []string{"user", "remove", "ops"}, "http.users"},
				{"", []string{"user", "add", "two words", "--password-stdin"}, "空白"},
				{"", []string{"user", "frob"}, "未知的 user 子命令"},
			} {
				if code, out, errOut := kam(c.in, c.args...); code != 2 || !strings.Contains(errOut, c.want) {
					t.Errorf("kam %s: exit %d, want 2 saying %q\n%s%s", strings.Join(c.args, " "), code, c.want, out, errOut)
				}
			}

			// With the units loaded, a user is bound to one (its code in normal form).
			s, err := store.Open(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.InTx(context.Background(), func(tx *store.Tx) error {
				return tx.PutUnits([]domain.Unit{{Code: "D01", Name: "第一营业部", Kind: domain.District}})
			}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if code, out, errOut := kam("d01 的密码 123\n", "user", "add", "clerk", "--unit", "d01", "--password-stdin"); code != 0 || !strings.Contains(out, "单位 D01") {
				t.Fatalf("add --unit: %d\n%s%s", code, out, errOut)
			}
			if u := stored("clerk"); u.Unit != "D01" {
				t.Errorf("clerk's unit %q, want D01", u.Unit)
			}

			old := stored("alice").PasswordHash
			if code, out, errOut := kam("新的密码 2027\r\n", "user", "passwd", "alice", "--password-stdin"); code != 0 {
				t.Fatalf("passwd: %d\n%s%s", code, out, errOut)
			}
			if u := stored("alice"); u.PasswordHash == old || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("新的密码 2027")) != nil {
				t.Error("passwd did not store a hash of the new password (without the line's end)")
			}
			if code, out, errOut := kam("", "user", "remove", "alice"); code != 0 {
				t.Fatalf("remove: %d\n%s%s", code, out, errOut)
			}
			if code, _, errOut := kam("", "user", "remove", "alice"); code != 2 || !strings.Contains(errOut, "没有用户 alice") {
				t.Errorf("remove twice: %d %s", code, errOut)
			}
			code, out, errOut := kam("", "user", "list")
			if code != 0 || strings.Contains(out, "alice") || !strings.Contains(out, "clerk") || !strings.Contains(out, "D01") || !strings.Contains(out, "ops") {
				t.Errorf("list: %d\n%s%s", code, out, errOut)
			}
		})
	}
}

// On a terminal the password is asked twice without echo; two that differ change nothing.
func TestUserAddOnATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the kam binary")
	}
	bin := buildKam(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kam.yaml")
	if err := os.WriteFile(cfg, []byte("db:\n  sqlite_path: "+filepath.Join(dir, "kam.db")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// type answers each prompt in turn and returns the exit status and everything the terminal showed.
	typeIn := func(answers ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(bin, "--config", cfg, "user", "add", "alice")
		cmd.Env = append(os.Environ(), "KAM_DB_DSN=")
		tty, err := pty.Start(cmd)
		if err != nil {
			t.Fatal(err)
		}
		defer tty.Close()
		var mu sync.Mutex
		var out bytes.Buffer
		done := make(chan struct{})
		go func() {
			defer close(done)
			b := make([]byte, 4096)
			for {
				n, err := tty.Read(b)
				mu.Lock()
				out.Write(b[:n])
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
		shown := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
		for i, a := range answers {
			prompt := []string{"新密码：", "再输入一次："}[i]
			// Typed only once kam shows the prompt and has turned echo off, as a person
			// reading the prompt would: typed between the two, the password would echo.
			for deadline := time.Now().Add(30 * time.Second); !strings.Contains(shown(), prompt) || !echoOff(tty); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("no prompt %q:\n%s", prompt, shown())
				}
			}
			io.WriteString(tty, a+"\r")
		}
		err = cmd.Wait()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		return cmd.ProcessState.ExitCode(), shown()
	}
	code, out := typeIn("第一个密码 abc", "第二个密码 xyz")
	if code != 2 || !strings.Contains(out, "不一致") {
		t.Errorf("two different passwords: exit %d\n%s", code, out)
	}
	code, out = typeIn("终端上的密码 1", "终端上的密码 1")
	if code != 0 || !strings.Contains(out, "已添加用户 alice") || strings.Contains(out, "终端上的密码") {
		t.Errorf("the same password twice: exit %d, want 0 and no echo\n%s", code, out)
	}
	s, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "kam.db"), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.UserByName(context.Background(), "alice")
	if err != nil || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("终端上的密码 1")) != nil {
		t.Errorf("alice %+v %v: want the typed password's hash", u, err)
	}
}
