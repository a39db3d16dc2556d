package config

import (
	"errors"
	"os"
	"strings"
	"testing"

	"kam/domain"
)

// Each bad file's message names the key path and what is wrong, in Chinese;
// none of yaml's English or Go's type names reach the person.
func TestConfigMessagesNameTheKeyInChinese(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "")
	os.Unsetenv("KAM_DB_DSN") // the file's db.dsn counts
	cases := []struct {
		name, body string
		want       []string
	}{
		{"wrong type", "smtp:\n  port: abc\n", []string{"配置项 smtp.port 有误", "应为整数", `"abc"`, "第 2 行"}},
		{"misspelt key", "db:\n  sqlite_pth: x.db\n", []string{"未知配置项 db.sqlite_pth，是否想写 db.sqlite_path？"}},
		{"misspelt section", "smpt:\n  port: 25\n", []string{"未知配置项 smpt，是否想写 smtp？"}},
		{"nothing close", "paths:\n  wibblewobble: x\n", []string{"未知配置项 paths.wibblewobble", "paths 下可用的配置项", "inbox"}},
		{"first in file order", "log:\n  levle: info\ndb:\n  sqlite_pth: x\nsmtp:\n  port: abc\n", []string{"log.levle", "是否想写 log.level", "第 2 行"}},
		{"type before unknown", "smtp:\n  port: abc\n  hots: x\n", []string{"smtp.port", "应为整数"}},
		{"section given a value", "db: kam.db\n", []string{"配置项 db 有误", "一组子项", `"kam.db"`}},
		{"list given a value", "business_lines: 函件\n", []string{"配置项 business_lines 有误", "列表"}},
		{"value given a list", "timezone: [Asia/Shanghai]\n", []string{"配置项 timezone 有误", "一个列表"}},
		{"list element", "http:\n  users:\n    - {name: a, pasword_hash: x}\n", []string{"未知配置项 http.users[0].pasword_hash，是否想写 http.users[0].password_hash？"}},
		{"misspelt job key", "schedule:\n  reviw_gold: x\n", []string{"未知配置项 schedule.reviw_gold，是否想写 schedule.review_gold？"}},
		{"job key given a list", "schedule:\n  tender: [a]\n", []string{"配置项 schedule.tender 有误", "一个列表"}},
		{"job recipients given a value", "recipients:\n  grades: 5\n", []string{"配置项 recipients.grades 有误", "列表"}},
		{"bad job schedule", "schedule:\n  splits: every day\n", []string{"配置项 schedule.splits 有误", "cron"}},
		{"bad job mailbox", "recipients:\n  splits: [not-a-mail]\n", []string{"配置项 recipients.splits 有误", "不是邮件地址"}},
		{"unit key naming a path", "recipients:\n  units:\n    \"..\": [d@example.cn]\n", []string{"配置项 recipients.units... 有误", `".." 不是单位编码`}},
		{"unit key with a separator", "recipients:\n  units:\n    a/b: [d@example.cn]\n", []string{"配置项 recipients.units.a/b 有误", "不是单位编码"}},
		{"not a mapping", "- a\n- b\n", []string{"配置文件应为一组配置项", "一个列表"}},
		{"bad yaml", "db: [\n", []string{"不是有效的 YAML"}},
		{"unparsable mysql dsn", "db:\n  dsn: mysql://root@127.0.0.1/kam\n", []string{"db.dsn", "无法解析", "mysql://user:pass@tcp(host:3306)/kam"}},
		{"mysql dsn without a database", "db:\n  dsn: mysql://root@tcp(db:3306)/\n", []string{"db.dsn", "缺少数据库名"}},
		{"unsupported scheme", "db:\n  dsn: postgres://u@h/kam\n", []string{"db.dsn", "postgres://", "mysql://", "SQLite"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tc.body), testJobs...)
			var ue *domain.Error
			if !errors.As(err, &ue) || ue.Kind != domain.EInvalid {
				t.Fatalf("err = %v, want a usage error (exit 2)", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(ue.Msg, w) {
					t.Errorf("message %q does not say %q", ue.Msg, w)
				}
			}
			for _, english := range []string{"cannot unmarshal", "not found in type", "config."} {
				if strings.Contains(ue.Msg, english) {
					t.Errorf("message %q carries yaml's English %q", ue.Msg, english)
				}
			}
		})
	}
}

func TestDSNSchemeFromTheEnvironmentIsCheckedToo(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "sqlite://var/kam.db")
	_, err := Load("", testJobs...)
	if domain.ExitCode(err) != 2 || !strings.Contains(domain.Message(err), "KAM_DB_DSN") || !strings.Contains(domain.Message(err), "sqlite://") {
		t.Fatalf("err = %v, want exit 2 naming KAM_DB_DSN and the scheme", err)
	}
	for _, ok := range []string{"", "mysql://u:p@tcp(db:3306)/kam", "u:p@tcp(db:3306)/kam"} {
		t.Setenv("KAM_DB_DSN", ok)
		if _, err := Load("", testJobs...); err != nil {
			t.Errorf("KAM_DB_DSN=%q: %v", ok, err)
		}
	}
}

func TestValidValuesOfEveryShapePass(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "")
	body := "smtp:\n  port: 25\n  host: mail.example.cn\ngrading:\n  thresholds: [5000000, 1000000, 600000, 300000, 150000, 80000, 30000, 0]\n" +
		"ingest:\n  quiet_period: 5s\nrecipients:\n  admin:\n    - ops@example.cn\n  grades: [g@example.cn]\nschedule:\n  tender: \"\"\n  grade:\nlog:\n"
	cfg, err := Load(writeConfig(t, body), testJobs...)
	if err != nil {
		t.Fatal(err)
	}
	// A job's key: "" unschedules it, an empty value keeps its default.
	if cfg.Schedule.Jobs["tender"] != "" || cfg.Schedule.Jobs["grade"] != "0 3 10 1,4,7,10 *" || cfg.Schedule.Jobs["splits"] != "0 5 6 * *" {
		t.Errorf("jobs' schedule not read: %v", cfg.Schedule.Jobs)
	}
	if got := cfg.Recipients.Reports["grades"]; len(got) != 1 || got[0] != "g@example.cn" {
		t.Errorf("recipients.grades not read: %v", cfg.Recipients.Reports)
	}
	if cfg.SMTP.Port != 25 || len(cfg.Recipients.Admin) != 1 || cfg.Log.Level != "info" {
		t.Errorf("values not read: %+v %+v %+v", cfg.SMTP, cfg.Recipients, cfg.Log)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"sqlite_pth", "sqlite_path", 1}, {"smpt", "smtp", 2}, {"函件", "包裹", 2}, {"abc", "", 3}} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
