package status

import (
	"fmt"
	"strings"
	"time"

	"kam/domain"
	"kam/pipeline/ingest"
	"kam/pipeline/mail"
	"kam/store"
)

// Every Chinese word the status views show for a value the store records
// lives here, once: `kam status` and the web page print what these say.

// runOutcomes names each outcome a run can have (store.Run*).
var runOutcomes = map[string]string{
	store.RunRunning:     "运行中",
	store.RunSucceeded:   "成功",
	store.RunFailed:      "失败",
	store.RunRefused:     "拒绝",
	store.RunInterrupted: "中断",
}

// mailStatuses names each state of a mail in the outbox (store.Mail*).
var mailStatuses = map[string]string{
	store.MailQueued:     "待发",
	store.MailSent:       "已发送",
	store.MailDead:       "死信",
	store.MailSuperseded: "已过时",
	store.MailHeld:       "待汇总",
	store.MailFolded:     "已并入汇总",
}

// fileOutcomes names what became of a file dropped into the inbox (store.File*).
var fileOutcomes = map[store.FileOutcome]string{
	store.FileLoaded:    "已导入",
	store.FileRejected:  "已退回",
	store.FileDuplicate: "重复",
	store.FileReplaced:  "已被替换",
}

// taskTitles names the scheduled tasks that are not jobs, by the schedule's
// names for them (ingest.Task, mail.Task: the keys of
// config's schedule). A job is named by its report's title.
var taskTitles = map[string]string{
	ingest.Task:     "扫描收件目录",
	mail.Task:       "投递邮件",
	mail.DigestKind: "每日汇总邮件",
}

// unknownKind is the kind of a file whose header kam did not recognise.
const unknownKind = "无法识别"

// RunOutcomeLabel is the word for a run's outcome: 成功, 失败, 拒绝, 中断, 运行中.
func RunOutcomeLabel(outcome string) string { return label(runOutcomes, outcome) }

// RunLabel is a run's 结果: its outcome's word, and for a succeeded run whose
// report copies are not all in the reports folder yet (kam writes them from
// the archive), how many are missing: 成功（报表副本缺 2 份）.
func RunLabel(outcome string, missingCopies int) string {
	l := RunOutcomeLabel(outcome)
	if outcome == store.RunSucceeded && missingCopies > 0 {
		l += fmt.Sprintf("（报表副本缺 %d 份）", missingCopies)
	}
	return l
}

// MailStatusLabel is the word for a mail's state: 待发, 已发送, 死信, 已过时.
func MailStatusLabel(status string) string { return label(mailStatuses, status) }

// FileOutcomeLabel is the word for what became of a file: 已导入, 已退回, 重复.
func FileOutcomeLabel(o store.FileOutcome) string { return label(fileOutcomes, o) }

// KindLabel is the word for an extract's kind, or 无法识别 for a header kam did not recognise.
func KindLabel(k domain.Kind) string {
	if l, ok := domain.KindLabels[k]; ok {
		return l
	}
	return unknownKind
}

// TaskLabel names a scheduled task: the inbox scan, mail delivery, or a job's report.
func TaskLabel(name string) string {
	if t, ok := taskTitles[name]; ok {
		return t
	}
	return jobTitle(name)
}

// label is k's word in labels, or k itself for a value this version has no word for.
func label[K ~string](labels map[K]string, k K) string {
	if l, ok := labels[k]; ok {
		return l
	}
	return strings.TrimSpace(string(k))
}

// tookLabel rounds a run's duration to what a person wants to know: 0.4s, 12s, 3m5s.
func tookLabel(d time.Duration) string {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// sizeLabel writes a file's size the way people read it: 812 字节, 14 KB, 2.3 MB.
func sizeLabel(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d 字节", n)
}

// StaleLabel marks a published report whose data a later file changed (SPEC §5.2).
const StaleLabel = "待更正"

// VersionLabel says which version an archived report is: 第 2 版（当前）; "" when it was archived unnumbered.
func VersionLabel(version int, current bool) string {
	if version == 0 {
		return ""
	}
	l := fmt.Sprintf("第 %d 版", version)
	if current {
		l += "（当前）"
	}
	return l
}
