// Package config reads kam's YAML configuration. Every key has a default, so
// no file is needed; an unknown key or a bad value is a usage error (exit 2)
// naming the key.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the zone database travels with the binary

	"github.com/go-sql-driver/mysql"
	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"kam/domain"
)

// Config is the whole configuration. YAML keys are the snake_case tags.
type Config struct {
	Timezone      string      `yaml:"timezone"`
	DB            DB          `yaml:"db"`
	Paths         Paths       `yaml:"paths"`
	Ingest        Ingest      `yaml:"ingest"`
	BusinessLines []string    `yaml:"business_lines"`
	Grading       Grading     `yaml:"grading"`
	Review        Review      `yaml:"review"`
	Claims        Claims      `yaml:"claims"`
	Roster        Roster      `yaml:"roster"`
	Corrections   Corrections `yaml:"corrections"`
	Maintenance   Maintenance `yaml:"maintenance"`
	Archive       Archive     `yaml:"archive"`
	Schedule      Schedule    `yaml:"schedule"`
	SMTP          SMTP        `yaml:"smtp"`
	Recipients    Recipients  `yaml:"recipients"`
	Mail          Mail        `yaml:"mail"`
	Log           Log         `yaml:"log"`
	HTTP          HTTP        `yaml:"http"`

	jobs []JobKeys // the jobs whose keys schedule: and recipients: take

	loc *time.Location
}

type DB struct {
	DSN        string `yaml:"dsn"`         // empty: SQLite at sqlite_path; mysql://user:pass@tcp(host:3306)/kam for MySQL
	SQLitePath string `yaml:"sqlite_path"` // the embedded default store
}

type Paths struct {
	Inbox     string `yaml:"inbox"`
	Processed string `yaml:"processed"`
	Rejected  string `yaml:"rejected"`
	Reports   string `yaml:"reports"`
	// FileMode is what kam gives the files staff read in the shared folders: templates, report
	// copies, error workbooks (a moved extract keeps its own); the database and locks stay owner-only.
	FileMode FileMode `yaml:"file_mode"`
}

type Ingest struct {
	QuietPeriod     Duration `yaml:"quiet_period"`         // a file changed more recently than this is still being written
	MaxErrorsListed int      `yaml:"max_errors_listed"`    // rows listed in one error workbook
	MaxFileMB       int      `yaml:"max_file_mb"`          // a larger file is rejected unread
	ShrinkAlertPct  int      `yaml:"shrink_alert_percent"` // a revenue file removing more of a (month, line) is rejected as 疑似不完整
	// IncompleteWait is how long a file that ends mid-row (a CSV without a line end
	// after its last row, a workbook without its end) waits for the rest, unchanged, before it is read as it is.
	IncompleteWait Duration `yaml:"incomplete_wait"`
	// WatchLoaded is how long after its load a file in processed/ is watched: one that changes is loaded again whole.
	WatchLoaded Duration `yaml:"watch_loaded"`
}

type Grading struct {
	Thresholds []string `yaml:"thresholds"` // annual thresholds T1..T8 in yuan, strictly decreasing, T8 = 0
	Progress   []string `yaml:"progress"`   // percent of the annual threshold due by each quarter-end
	Tiers      []string `yaml:"tiers"`      // tier of levels 1..8: 钻石, 黄金, 白银 or 普通
}

type Review struct {
	YoYDropPct int `yaml:"yoy_drop_percent"` // a fall beyond this against the same period last year is flagged 预警
	ChartTopN  int `yaml:"chart_top_n"`      // customers drawn on the 12-month trend chart
}

// Corrections is how far back a later file marks a published report 待更正 and
// kam serve re-issues it (SPEC §5.2).
type Corrections struct {
	MaxAgeMonths int `yaml:"max_age_months"` // reports of periods ending within this many months
}

type Claims struct {
	DueSoonDays     int `yaml:"due_soon_days"`    // deadline within this many days → 临期
	UnconfirmedDays int `yaml:"unconfirmed_days"` // unconfirmed for longer → listed for the city centre
	ManagerCap      int `yaml:"manager_cap"`      // open claims one manager may hold
	// BidDays is how long the units may bid for a claim opened to tender, from its first announcement (第十条(一)).
	BidDays int `yaml:"bid_days"`
	// TenderContact is whom the public 竞标公告 names for bids and questions.
	TenderContact string `yaml:"tender_contact"`
}

type Roster struct {
	ConcentrationPct int `yaml:"concentration_percent"` // a manager's primary share of a centre's revenue above this is flagged
	TargetsDueDay    int `yaml:"targets_due_day"`       // next month's targets are due by this day of the month
}

// Maintenance is 分级维护 (SPEC §4.7): how often each tier must be visited.
type Maintenance struct {
	// MaxGapDays is, per tier (钻石, 黄金, 白银, 普通), the most days between
	// counting visits; 0: the tier is not tracked.
	MaxGapDays map[string]int `yaml:"max_gap_days"`
	// CountedKinds are the 走访方式 that count as a visit (上门拜访, 会议, …).
	CountedKinds []string `yaml:"counted_kinds"`
	// RemindDays is how many days before its due day a visit is listed as 走访临期.
	RemindDays int `yaml:"remind_days"`
}

// Archive is 档案管理: the archive fields a cooperating customer must have.
type Archive struct {
	Required []string `yaml:"required"` // of 通信地址, 邮政编码, 业务联系人, 联系电话, 联系邮箱
}

// JobKeys is what the configuration knows of one report job (the job
// registry, package jobs, declares them): its key under schedule: with its
// default cron spec, and its key under recipients:.
type JobKeys struct {
	Schedule, Recipients, DefaultSchedule string
}

type Schedule struct {
	Ingest   string `yaml:"ingest"`
	Delivery string `yaml:"delivery"`
	// Jobs is each job's cron spec by its key (review_gold); "" leaves it unscheduled.
	Jobs          map[string]string `yaml:"-"`
	Grace         Duration          `yaml:"shutdown_grace"`  // how long a running job may finish after SIGTERM
	CatchUpMonths int               `yaml:"catch_up_months"` // how far back a start looks for periods missed while kam was down
}

type SMTP struct {
	Host            string `yaml:"host"` // empty: mail is queued but not sent
	Port            int    `yaml:"port"`
	TLS             string `yaml:"tls"` // none, starttls or tls
	User            string `yaml:"user"`
	Password        string `yaml:"-"` // only from KAM_SMTP_PASSWORD
	From            string `yaml:"from"`
	FromName        string `yaml:"from_name"` // the display name beside From
	MaxAttachmentMB int    `yaml:"max_attachment_mb"`
	MaxAttempts     int    `yaml:"max_attempts"`
}

// Mail is how report mails reach people (SPEC §5.1).
type Mail struct {
	// DigestAt is the delivery window (cron): report mails queued for a recipient since the
	// last window go at the window as one mail. "": every report mail goes as soon as it is queued.
	DigestAt string `yaml:"digest_at"`
}

// DefaultDigestAt is the daily window of report mails: after the morning's runs (tender at 07:30).
const DefaultDigestAt = "30 8 * * *"

// NextDigest is the first delivery window after t, in the configured zone; the
// zero time when report mails are not held for a window (mail.digest_at empty).
func (c Config) NextDigest(t time.Time) time.Time {
	if c.Mail.DigestAt == "" {
		return time.Time{}
	}
	sched, err := cron.ParseStandard(c.Mail.DigestAt)
	if err != nil {
		return time.Time{} // Validate refuses it: a loaded config never gets here
	}
	return sched.Next(t.In(c.Location()))
}

type Recipients struct {
	// Reports are the mailboxes of each job's city-wide report, by the job's key (grades).
	Reports    map[string][]string `yaml:"-"`
	Rejections []string            `yaml:"rejections"`
	Admin      []string            `yaml:"admin"`
	// Units adds mailboxes per unit code to the units extract's 邮箱 (SPEC §5: each centre gets its own).
	Units map[string][]string `yaml:"units"`
}

type Log struct {
	Format string `yaml:"format"` // auto (console on a terminal, JSON otherwise), json or console
	Level  string `yaml:"level"`
}

// Duration reads Go durations such as 2s or 5m. A bad value is kept and
// reported by Validate, which knows the key's name.
type Duration struct {
	time.Duration
	bad string
}

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		d.bad = n.Value
		return nil
	}
	d.Duration, d.bad = v, ""
	return nil
}

func (d Duration) check(key string) error {
	if d.bad != "" {
		return domain.Usagef("配置项 %s 有误: %q 不是时长（例如 10s、5m）", key, d.bad)
	}
	if d.Duration < 0 {
		return domain.Usagef("配置项 %s 有误: 不能为负", key)
	}
	return nil
}

func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Default is the configuration used when no file is given, for the jobs given.
func Default(jobs ...JobKeys) Config {
	c := Config{
		Timezone: "Asia/Shanghai",
		DB:       DB{SQLitePath: "var/kam.db"},
		Paths:    Paths{Inbox: "var/inbox", Processed: "var/processed", Rejected: "var/rejected", Reports: "var/reports", FileMode: NewFileMode(DefaultFileMode)},
		Ingest: Ingest{QuietPeriod: Duration{Duration: 2 * time.Second}, MaxErrorsListed: 100000, MaxFileMB: 200, ShrinkAlertPct: 50,
			IncompleteWait: Duration{Duration: 10 * time.Minute}, WatchLoaded: Duration{Duration: 24 * time.Hour}},
		BusinessLines: append([]string(nil), domain.DefaultBusinessLines...),
		Grading: Grading{
			Thresholds: []string{"5000000", "1000000", "600000", "300000", "150000", "80000", "30000", "0"},
			Progress:   []string{"25", "50", "75", "100"},
			Tiers:      []string{"钻石", "钻石", "黄金", "黄金", "白银", "白银", "普通", "普通"},
		},
		Review:      Review{YoYDropPct: 10, ChartTopN: 10},
		Claims:      Claims{DueSoonDays: 7, UnconfirmedDays: 10, ManagerCap: 20, BidDays: 15, TenderContact: "市局大客户中心"},
		Roster:      Roster{ConcentrationPct: 30, TargetsDueDay: 25},
		Corrections: Corrections{MaxAgeMonths: 3},
		Maintenance: Maintenance{
			MaxGapDays:   map[string]int{"钻石": 30, "黄金": 60, "白银": 90, "普通": 0},
			CountedKinds: []string{"上门拜访", "会议"},
			RemindDays:   7,
		},
		Archive: Archive{Required: []string{"通信地址", "业务联系人", "联系电话"}},
		Schedule: Schedule{
			Ingest:        "@every 2m",
			Delivery:      "@every 1m",
			Jobs:          map[string]string{},
			Grace:         Duration{Duration: time.Minute},
			CatchUpMonths: 12,
		},
		SMTP: SMTP{Port: 587, TLS: "starttls", From: "kam@localhost", FromName: "东莞邮政大客户管理", MaxAttachmentMB: 20, MaxAttempts: 8},
		Mail: Mail{DigestAt: DefaultDigestAt},
		Log:  Log{Format: "auto", Level: "info"},
		HTTP: DefaultHTTP(),
		jobs: slices.Clone(jobs),
	}
	c.Recipients.Reports = map[string][]string{}
	for _, j := range jobs {
		c.Schedule.Jobs[j.Schedule] = j.DefaultSchedule
		c.Recipients.Reports[j.Recipients] = nil
	}
	return c
}

// Load reads path (empty: defaults only) for the jobs given and applies environment overrides.
func Load(path string, jobs ...JobKeys) (Config, error) {
	cfg := Default(jobs...)
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return cfg, domain.Usagef("配置文件 %s 不存在", path)
			}
			return cfg, &domain.Error{Kind: domain.EInvalid, Msg: fmt.Sprintf("读取配置文件 %s 失败", path), Err: err}
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return cfg, domain.Usagef("配置文件 %s 不是有效的 YAML：%s", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if err := checkKeys(&doc, path, jobs); err != nil {
			return cfg, err
		}
		if doc.Kind != 0 { // an empty file means all defaults
			if err := doc.Decode(&cfg); err != nil {
				return cfg, domain.Usagef("配置文件 %s 有误: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
			}
			if err := cfg.decodeJobs(&doc); err != nil {
				return cfg, domain.Usagef("配置文件 %s 有误: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
			}
		}
	}
	if v, ok := os.LookupEnv("KAM_DB_DSN"); ok {
		cfg.DB.DSN = v
	}
	cfg.SMTP.Password = os.Getenv("KAM_SMTP_PASSWORD")
	return cfg, cfg.Validate()
}

// decodeJobs reads the jobs' keys under schedule: and recipients: (checkKeys
// has checked their types); an empty value keeps the default.
func (c *Config) decodeJobs(doc *yaml.Node) error {
	for _, j := range c.jobs {
		if n := keyValue(doc, "schedule", j.Schedule); n != nil {
			if err := n.Decode(ptr(c.Schedule.Jobs, j.Schedule)); err != nil {
				return err
			}
		}
		if n := keyValue(doc, "recipients", j.Recipients); n != nil {
			if err := n.Decode(ptr(c.Recipients.Reports, j.Recipients)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ptr decodes into m[k] through a pointer and stores the result back.
func ptr[V any](m map[string]V, k string) *mapSlot[V] { return &mapSlot[V]{m: m, k: k} }

type mapSlot[V any] struct {
	m map[string]V
	k string
}

func (s *mapSlot[V]) UnmarshalYAML(n *yaml.Node) error {
	var v V
	if err := n.Decode(&v); err != nil {
		return err
	}
	s.m[s.k] = v
	return nil
}

// keyValue is the value node of section.key in a parsed file, nil when absent or empty.
func keyValue(doc *yaml.Node, section, key string) *yaml.Node {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range []string{section, key} {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	return n
}

// Location is the configured time zone (valid after Validate).
func (c Config) Location() *time.Location {
	if c.loc == nil {
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			return time.UTC
		}
		return loc
	}
	return c.loc
}

// Validate checks every value and names the offending key.
func (c *Config) Validate() error {
	bad := func(key, format string, a ...any) error {
		return domain.Usagef("配置项 %s 有误: %s", key, fmt.Sprintf(format, a...))
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return bad("timezone", "未知时区 %q", c.Timezone)
	}
	c.loc = loc
	if err := checkDSN(c.DB.DSN); err != nil {
		return bad("db.dsn（或环境变量 KAM_DB_DSN）", "%s", err)
	}
	if c.DB.DSN == "" && c.DB.SQLitePath == "" {
		return bad("db.sqlite_path", "不能为空")
	}
	for key, p := range map[string]string{"paths.inbox": c.Paths.Inbox, "paths.processed": c.Paths.Processed, "paths.rejected": c.Paths.Rejected, "paths.reports": c.Paths.Reports} {
		if p == "" {
			return bad(key, "不能为空")
		}
	}
	if filepath.Clean(c.Paths.Inbox) == filepath.Clean(c.Paths.Processed) || filepath.Clean(c.Paths.Inbox) == filepath.Clean(c.Paths.Rejected) {
		return bad("paths", "收件目录不能与 processed/rejected 相同")
	}
	if err := c.Paths.FileMode.check("paths.file_mode"); err != nil {
		return err
	}
	if err := c.Ingest.IncompleteWait.check("ingest.incomplete_wait"); err != nil {
		return err
	}
	if err := c.Ingest.WatchLoaded.check("ingest.watch_loaded"); err != nil {
		return err
	}
	if err := c.Ingest.QuietPeriod.check("ingest.quiet_period"); err != nil {
		return err
	}
	if err := c.Schedule.Grace.check("schedule.shutdown_grace"); err != nil {
		return err
	}
	if c.Ingest.MaxErrorsListed < 1 {
		return bad("ingest.max_errors_listed", "至少为 1")
	}
	if len(c.BusinessLines) == 0 {
		return bad("business_lines", "至少一个业务种类")
	}
	seen := map[string]bool{}
	for _, l := range c.BusinessLines {
		if strings.TrimSpace(l) == "" || seen[l] {
			return bad("business_lines", "业务种类 %q 为空或重复", l)
		}
		seen[l] = true
	}
	if err := c.validateGrading(); err != nil {
		return err
	}
	for key, v := range map[string]int{
		"review.yoy_drop_percent": c.Review.YoYDropPct, "review.chart_top_n": c.Review.ChartTopN,
		"claims.due_soon_days": c.Claims.DueSoonDays, "claims.unconfirmed_days": c.Claims.UnconfirmedDays,
		"claims.manager_cap": c.Claims.ManagerCap, "roster.concentration_percent": c.Roster.ConcentrationPct,
	} {
		if v < 0 {
			return bad(key, "不能为负")
		}
	}
	if c.Review.YoYDropPct > 100 || c.Roster.ConcentrationPct > 100 {
		return bad("review.yoy_drop_percent / roster.concentration_percent", "应在 0–100 之间")
	}
	if c.Claims.BidDays < 1 {
		return bad("claims.bid_days", "至少 1 天：竞标公告要给各单位竞标的时间")
	}
	if strings.TrimSpace(c.Claims.TenderContact) == "" {
		return bad("claims.tender_contact", "不能为空：公开竞标公告要写明向谁竞标")
	}
	if c.Corrections.MaxAgeMonths < 1 || c.Corrections.MaxAgeMonths > 120 {
		return bad("corrections.max_age_months", "应在 1–120 之间：更正最近几个月的报表")
	}
	if err := c.validateMaintenance(); err != nil {
		return err
	}
	if c.Roster.TargetsDueDay < 1 || c.Roster.TargetsDueDay > 28 {
		return bad("roster.targets_due_day", "应在 1–28 之间")
	}
	if err := c.validateHTTP(); err != nil {
		return err
	}
	if err := c.validateSchedule(); err != nil {
		return err
	}
	if c.Mail.DigestAt != "" {
		if _, err := cron.ParseStandard(c.Mail.DigestAt); err != nil {
			return bad("mail.digest_at", "%q 不是 cron 计划（分 时 日 月 周，例如 \"30 8 * * *\"；留空则每份报表单独发送）: %v", c.Mail.DigestAt, err)
		}
	}
	switch c.SMTP.TLS {
	case "none", "starttls", "tls":
	default:
		return bad("smtp.tls", "应为 none、starttls 或 tls，而不是 %q", c.SMTP.TLS)
	}
	if c.SMTP.Host != "" && (c.SMTP.Port < 1 || c.SMTP.Port > 65535) {
		return bad("smtp.port", "端口 %d 不正确", c.SMTP.Port)
	}
	if c.SMTP.MaxAttachmentMB < 1 {
		return bad("smtp.max_attachment_mb", "至少为 1")
	}
	if c.SMTP.MaxAttempts < 1 {
		return bad("smtp.max_attempts", "至少为 1")
	}
	if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
		return bad("smtp.from", "%q 不是邮件地址", c.SMTP.From)
	}
	r := c.Recipients
	type list struct {
		key   string
		addrs []string
	}
	lists := []list{{"rejections", r.Rejections}, {"admin", r.Admin}}
	for _, key := range slices.Sorted(maps.Keys(r.Reports)) {
		lists = append(lists, list{key, r.Reports[key]})
	}
	for _, list := range lists {
		for _, a := range list.addrs {
			if _, err := mail.ParseAddress(a); err != nil {
				return bad("recipients."+list.key, "%q 不是邮件地址", a)
			}
		}
	}
	// Unit codes are keys in the normal form the store holds (SPEC §3.3): zq14 is ZQ14.
	units := make(map[string][]string, len(r.Units))
	keys := map[string]string{} // normal form → the key as written
	for _, key := range slices.Sorted(maps.Keys(r.Units)) {
		code, err := domain.ParseUnitCode(key)
		if err != nil {
			return bad("recipients.units."+key, "%q 不是单位编码：%v", key, err)
		}
		if first, dup := keys[code]; dup {
			return bad("recipients.units", "%q 与 %q 是同一个单位编码 %s；请合并为一项", first, key, code)
		}
		keys[code] = key
		for _, a := range r.Units[key] {
			if _, err := mail.ParseAddress(a); err != nil {
				return bad("recipients.units."+key, "%q 不是邮件地址", a)
			}
		}
		units[code] = r.Units[key]
	}
	if r.Units != nil {
		c.Recipients.Units = units
	}
	switch c.Log.Format {
	case "auto", "json", "console":
	default:
		return bad("log.format", "应为 auto、json 或 console")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "应为 debug、info、warn 或 error")
	}
	return nil
}

// checkDSN accepts an empty DSN (SQLite) or a MySQL one with a database name, as the store will read it.
func checkDSN(dsn string) error {
	if dsn == "" {
		return nil
	}
	const want = "mysql://user:pass@tcp(host:3306)/kam（MySQL/MariaDB），或留空使用 SQLite（db.sqlite_path）"
	if scheme, _, ok := strings.Cut(dsn, "://"); ok && scheme != "mysql" {
		return fmt.Errorf("不支持 %s://；支持的只有 %s", scheme, want)
	}
	m, err := mysql.ParseDSN(strings.TrimPrefix(dsn, "mysql://"))
	if err != nil {
		return fmt.Errorf("无法解析（%v）；应为 %s", err, want)
	}
	if m.DBName == "" {
		return fmt.Errorf("缺少数据库名；应为 %s", want)
	}
	return nil
}

// validateSchedule checks each cron spec (an empty one leaves the task unscheduled).
func (c *Config) validateSchedule() error {
	s := c.Schedule
	type entry struct{ key, spec string }
	entries := []entry{{"ingest", s.Ingest}, {"delivery", s.Delivery}}
	for _, key := range slices.Sorted(maps.Keys(s.Jobs)) {
		entries = append(entries, entry{key, s.Jobs[key]})
	}
	for _, e := range entries {
		if e.spec == "" {
			continue
		}
		if _, err := cron.ParseStandard(e.spec); err != nil {
			return domain.Usagef("配置项 schedule.%s 有误: %q 不是 cron 计划（分 时 日 月 周，或 @every 2m）: %v", e.key, e.spec, err)
		}
	}
	if s.Grace.Duration < 0 {
		return domain.Usagef("配置项 schedule.shutdown_grace 有误: 不能为负")
	}
	if s.CatchUpMonths < 0 || s.CatchUpMonths > 120 {
		return domain.Usagef("配置项 schedule.catch_up_months 有误: 应在 0–120 之间")
	}
	return nil
}

func (c *Config) validateGrading() error {
	_, err := c.GradeTable()
	return err
}

// GradeTable converts the grading keys into the rule's table, naming the key of any bad value.
func (c Config) GradeTable() (domain.GradeTable, error) {
	var s domain.GradeTable
	g := c.Grading
	if len(g.Thresholds) != 8 {
		return s, domain.Usagef("配置项 grading.thresholds 有误: 需要 8 个级别门槛，实际 %d 个", len(g.Thresholds))
	}
	if len(g.Progress) != 4 {
		return s, domain.Usagef("配置项 grading.progress 有误: 需要 4 个季度进度，实际 %d 个", len(g.Progress))
	}
	if len(g.Tiers) != 8 {
		return s, domain.Usagef("配置项 grading.tiers 有误: 需要为 8 个级别各指定一个等级，实际 %d 个", len(g.Tiers))
	}
	for i, v := range g.Thresholds {
		m, err := domain.ParseMoney(v)
		if err != nil {
			return s, domain.Usagef("配置项 grading.thresholds 第 %d 个值 %q 有误: %v", i+1, v, err)
		}
		s.Thresholds[i] = m
	}
	for i, v := range g.Progress {
		r, err := domain.ParseRatio(v)
		if err != nil {
			return s, domain.Usagef("配置项 grading.progress 第 %d 个值 %q 有误: %v", i+1, v, err)
		}
		s.Progress[i] = r
	}
	for i, v := range g.Tiers {
		t, err := domain.ParseTier(v)
		if err != nil {
			return s, domain.Usagef("配置项 grading.tiers 第 %d 个值有误: %v", i+1, err)
		}
		s.Tiers[i] = t
	}
	return s, validateGradeTable(s)
}

// validateGradeTable checks the table's order; the error names the config key (exit status 2).
func validateGradeTable(s domain.GradeTable) error {
	for k := 1; k < 8; k++ {
		if s.Thresholds[k] >= s.Thresholds[k-1] {
			return domain.Usagef("配置 grading.thresholds：第 %d 级门槛 %s 元必须小于第 %d 级门槛 %s 元",
				k+1, s.Thresholds[k].Yuan(), k, s.Thresholds[k-1].Yuan())
		}
	}
	if s.Thresholds[7] != 0 {
		return domain.Usagef("配置 grading.thresholds：第 8 级门槛必须为 0，现为 %s 元", s.Thresholds[7].Yuan())
	}
	for q, p := range s.Progress {
		if p <= 0 {
			return domain.Usagef("配置 grading.progress：第 %d 季度进度 %s%% 必须大于 0", q+1, p)
		}
		if q > 0 && p <= s.Progress[q-1] {
			return domain.Usagef("配置 grading.progress：第 %d 季度进度 %s%% 必须大于第 %d 季度的 %s%%", q+1, p, q, s.Progress[q-1])
		}
	}
	if s.Progress[3] != domain.FullRatio {
		return domain.Usagef("配置 grading.progress：第 4 季度进度必须为 100.00%%，现为 %s%%", s.Progress[3])
	}
	for k, t := range s.Tiers {
		if t.Rank() == 0 {
			return domain.Usagef("配置 grading.tiers：第 %d 级的等级 %q 不是 钻石/黄金/白银/普通 之一", k+1, string(t))
		}
		// Levels are split into tiers in order (第八条 "依次划分"), which 升级/降级 relies on.
		if k > 0 && t.Rank() > s.Tiers[k-1].Rank() {
			return domain.Usagef("配置 grading.tiers：第 %d 级（%s）不能高于第 %d 级（%s）", k+1, t.Label(), k, s.Tiers[k-1].Label())
		}
	}
	return nil
}

// validateMaintenance checks maintenance.* and archive.required.
func (c Config) validateMaintenance() error {
	bad := func(key, format string, a ...any) error {
		return domain.Usagef("配置项 %s 有误: %s", key, fmt.Sprintf(format, a...))
	}
	for label, days := range c.Maintenance.MaxGapDays {
		if _, err := domain.ParseTier(label); err != nil {
			return bad("maintenance.max_gap_days", "%q 不是等级：应为 钻石、黄金、白银 或 普通", label)
		}
		if days < 0 || days > 3660 {
			return bad("maintenance.max_gap_days."+label, "应在 0–3660 天之间（0：该等级不跟踪走访）")
		}
	}
	if len(c.Maintenance.CountedKinds) == 0 {
		return bad("maintenance.counted_kinds", "至少一种走访方式（如 上门拜访、会议）")
	}
	seen := map[domain.VisitKind]bool{}
	for _, k := range c.Maintenance.CountedKinds {
		kind, err := domain.ParseEnum(domain.VisitKinds, k)
		if err != nil {
			return bad("maintenance.counted_kinds", "「%s」：走访方式%v", k, err)
		}
		if seen[kind] {
			return bad("maintenance.counted_kinds", "「%s」重复", k)
		}
		seen[kind] = true
	}
	if c.Maintenance.RemindDays < 0 || c.Maintenance.RemindDays > 365 {
		return bad("maintenance.remind_days", "应在 0–365 天之间")
	}
	fields := map[domain.ArchiveField]bool{}
	for _, f := range c.Archive.Required {
		field, ok := domain.ParseArchiveField(f)
		if !ok {
			return bad("archive.required", "「%s」不是档案项目：应为 %s 之一", f, strings.Join(domain.ArchiveFieldLabels, "、"))
		}
		if fields[field] {
			return bad("archive.required", "「%s」重复", f)
		}
		fields[field] = true
	}
	return nil
}
