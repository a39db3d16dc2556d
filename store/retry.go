package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"kam/domain"
)

// A write the database refused for a conflict is tried conflictAttempts times
// in all, waiting conflictBackoff, then twice as long each time (±50%), at most
// maxConflictBackoff: about 3 s before a run fails for it.
const (
	conflictAttempts   = 6
	conflictBackoff    = 100 * time.Millisecond
	maxConflictBackoff = 2 * time.Second
)

// Conflict reports whether err is the database refusing a transaction that
// may well succeed when run again from its start: a deadlock or a Galera
// certification conflict (1213, SQLSTATE 40001), a lock wait timeout (1205),
// or Group Replication rolling a transaction back at commit (3101).
func Conflict(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1213, 1205, 3101:
		return true
	}
	return string(me.SQLState[:]) == "40001"
}

// NotPrimary reports whether err is a Galera node refusing work because it is
// not, for the moment, part of the cluster's primary component: while the
// cluster forms a new view after a node is lost or joins, a transaction's
// commit fails (1180 …Not connected to Primary Component) and statements are
// refused (1047 WSREP has not yet prepared node for application use). Nothing
// was committed; once the view is formed the same transaction goes through.
func NotPrimary(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	return me.Number == 1047 || strings.Contains(strings.ToLower(me.Message), "primary component")
}

// clusterWait is how long a write waits for its Galera node to be back in the
// primary component: a view change after a node is lost takes seconds
// (evs.suspect_timeout is 5 s); a node cut off for longer is an outage.
var clusterWait = 30 * time.Second

// conflictCode names the refusal for a message: 1213 (死锁或集群认证冲突) and so on.
func conflictCode(err error) string {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return "写入冲突"
	}
	switch me.Number {
	case 1213:
		return "错误 1213：死锁或集群认证冲突"
	case 1205:
		return "错误 1205：等待行锁超时"
	case 3101:
		return "错误 3101：组复制在提交时回滚"
	}
	return fmt.Sprintf("错误 %d", me.Number)
}

// conflictRetries counts, for the whole process, the writes run again after a conflict.
var conflictRetries atomic.Int64

// ConflictRetries is how many times this process has run a write again after
// the database refused it for a conflict, or while its Galera cluster re-formed
// (NotPrimary).
func ConflictRetries() int64 { return conflictRetries.Load() }

// Retry runs fn, and runs it again from its start while it fails with a
// conflict (see Conflict), up to conflictAttempts times in all, with backoff.
// fn must be safe to run again: each attempt must start from nothing (a
// transaction rolled back leaves nothing, but what fn keeps in memory or
// reads from a stream is its own to reset). When the attempts are spent the
// error says so in Chinese, naming what was being done; a domain.Error of kind
// EInternal that still wraps the last conflict.
func (s *Store) Retry(ctx context.Context, what string, fn func() error) error {
	return s.retry(ctx, what, Conflict, fn)
}

// retry is Retry for the errors retryable says may pass.
func (s *Store) retry(ctx context.Context, what string, retryable func(error) bool, fn func() error) error {
	wait := conflictBackoff
	var notPrimarySince time.Time
	for attempt := 1; ; attempt++ {
		err := fn()
		if err != nil && NotPrimary(err) {
			// Not a conflict: the cluster is re-forming. Wait for it, within clusterWait, without spending attempts.
			if notPrimarySince.IsZero() {
				notPrimarySince = time.Now()
			}
			if time.Since(notPrimarySince) >= clusterWait {
				return &domain.Error{Kind: domain.EInternal, Err: err, Msg: fmt.Sprintf(
					"%s没有完成：数据库集群（Galera）节点 %v 内一直不在主组件中（集群失去了多数节点，或这个节点与其他节点断开），已回滚；"+
						"请检查集群状态（wsrep_cluster_status 应为 Primary）后重试", what, clusterWait)}
			}
			conflictRetries.Add(1)
			s.log.Warn().Err(err).Str("what", what).Msg("数据库集群节点暂时不在主组件中（节点离开或加入，集群正在重组），稍后重试")
			attempt--
			select {
			case <-ctx.Done():
				return err
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		if err == nil || !retryable(err) {
			return err
		}
		if attempt == conflictAttempts {
			return &domain.Error{Kind: domain.EInternal, Err: err, Msg: fmt.Sprintf(
				"%s没有完成：数据库拒绝了这次写入（%s），已重试 %d 次仍然冲突，重试次数已用完，已回滚；"+
					"多个 kam 或其他程序同时写同样的数据时会这样，请稍后重新运行", what, conflictCode(err), conflictAttempts-1)}
		}
		conflictRetries.Add(1)
		d := wait/2 + rand.N(wait) // ±50%: two instances that collided do not collide again in step
		s.log.Warn().Err(err).Str("what", what).Int("attempt", attempt).Dur("backoff", d).Msg("数据库写入冲突，稍后重试")
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
		wait = min(2*wait, maxConflictBackoff)
	}
}

// writeSetLimit explains a transaction a Galera cluster refused for its size,
// naming the setting to raise; nil when err is something else.
func (s *Store) writeSetLimit(err error) error {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return nil
	}
	setting := ""
	switch {
	case strings.Contains(me.Message, "wsrep_max_ws_rows"):
		setting = "wsrep_max_ws_rows"
	case strings.Contains(me.Message, "writeset size exceeded") || strings.Contains(me.Message, "wsrep_max_ws_size"):
		setting = "wsrep_max_ws_size"
	default:
		return nil
	}
	current := "?"
	var v struct {
		Name  string `db:"Variable_name"`
		Value string `db:"Value"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s.db.GetContext(ctx, &v, "SHOW GLOBAL VARIABLES LIKE '"+setting+"'") == nil {
		current = v.Value
	}
	advice := "调大到能容纳整个文件（0 为不限行数；收入文件替换已有的月份时，要写的行数是新旧行数之和）"
	if setting == "wsrep_max_ws_size" {
		advice = "调大（上限 2147483647 字节，即 2 GB）；仍不够时请把文件按月份分开提交"
	}
	return &domain.Error{Kind: domain.EInternal, Err: err, Msg: fmt.Sprintf(
		"数据库集群（Galera）拒绝了这个事务：它超出了写集上限 %s（现为 %s）。一个文件在一个事务中整体导入，不能拆开；"+
			"请数据库管理员在每个节点上把 %s %s；文件仍在收件目录中，kam 下次扫描时会重新导入", setting, current, setting, advice)}
}

// checkCluster reads a Galera node's settings that bear on kam's one-file
// transactions: with wsrep_load_data_splitting on, the node would commit a
// LOAD DATA every 10,000 rows, so a file could be kept in part; revenue is then
// written with INSERTs. Write-set limits that a large month may exceed are logged.
func (s *Store) checkCluster(ctx context.Context) error {
	vars := map[string]string{}
	rows, err := s.db.QueryContext(ctx, "SHOW GLOBAL VARIABLES LIKE 'wsrep%'")
	if err != nil {
		return fmt.Errorf("读取 Galera 设置: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("读取 Galera 设置: %w", err)
		}
		vars[strings.ToLower(k)] = v
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("读取 Galera 设置: %w", err)
	}
	if vars["wsrep_on"] != "ON" {
		return nil
	}
	if vars["wsrep_load_data_splitting"] == "ON" && s.loadData {
		s.loadData = false
		s.log.Warn().Msg("Galera 的 wsrep_load_data_splitting 已开启（LOAD DATA 会每 10,000 行提交一次，文件可能只导入一部分）：收入改用批量 INSERT 写入；建议关闭该设置")
	}
	if n, err := strconv.ParseInt(vars["wsrep_max_ws_rows"], 10, 64); err == nil && n > 0 && n < 2_000_000 {
		s.log.Warn().Int64("wsrep_max_ws_rows", n).Msg("Galera 的 wsrep_max_ws_rows 限制了一个事务的行数：一个月的收入文件（连同它替换的旧行）超过时无法导入；建议设为 0（不限）")
	}
	if n, err := strconv.ParseInt(vars["wsrep_max_ws_size"], 10, 64); err == nil && n < 1<<30 {
		s.log.Warn().Int64("wsrep_max_ws_size", n).Msg("Galera 的 wsrep_max_ws_size 小于 1 GB：一个大的收入文件可能超过它而无法导入；建议设为 2147483647")
	}
	return nil
}
